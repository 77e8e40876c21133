import { Inject, Injectable } from '@nestjs/common';
import type { StatehouseApi } from '@statehouse/contract';
import { STATEHOUSE } from './statehouse.constants';

/** The shape @nestjs/terminus expects of a health indicator's result. */
export type StatehouseHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up'; lastCommitTs: number } | { status: 'down'; message: string }
>;

/**
 * Up when the store answers (a read of the namespace's commit counter). Its result has the shape
 * of @nestjs/terminus' HealthIndicatorResult, so it goes straight into a health check:
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.statehouse.isHealthy('statehouse')]); }
 * ```
 */
@Injectable()
export class StatehouseHealthIndicator {
  constructor(@Inject(STATEHOUSE) private readonly client: StatehouseApi) {}

  async isHealthy<const Key extends string = 'statehouse'>(
    key: Key = 'statehouse' as Key,
    timeoutMs = 2000,
  ): Promise<StatehouseHealthResult<Key>> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const lastCommitTs = await Promise.race([
        this.client.lastCommitTs(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return { [key]: { status: 'up', lastCommitTs } } as StatehouseHealthResult<Key>;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { [key]: { status: 'down', message } } as StatehouseHealthResult<Key>;
    } finally {
      clearTimeout(timer);
    }
  }
}
