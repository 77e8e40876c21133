import { Test } from '@nestjs/testing';
import type { LoggerService } from '@nestjs/common';
import type { BackgroundErrorSource } from '@statehouse/core';
import { STATEHOUSE, StatehouseModule } from '@statehouse/nestjs';
import type { StatehouseApi } from '@statehouse/core';
import { breakTimeoutSweeps } from '../../core/test/support/background-faults';
import { eventually, redisUrl, uniqueNamespace } from '../../core/test/support/statehouse';

// The module's client reports its background errors: to onError when given, else through Nest's
// Logger (context 'Statehouse').

async function failOneSweep(
  client: StatehouseApi,
  namespace: string,
): Promise<() => Promise<void>> {
  await client.beginTransaction({ timeoutMs: 300 });
  const sweeps = await breakTimeoutSweeps(redisUrl(), namespace);
  return () => sweeps.mend();
}

it('forRoot passes onError to the engine', async () => {
  const namespace = uniqueNamespace('nest');
  const reported: Array<{ error: Error; source: BackgroundErrorSource }> = [];
  const moduleRef = await Test.createTestingModule({
    imports: [
      StatehouseModule.forRoot({
        redis: redisUrl(),
        namespace,
        onError: (error, source) => reported.push({ error, source }),
      }),
    ],
  }).compile();
  const app = await moduleRef.init();
  const mend = await failOneSweep(app.get<StatehouseApi>(STATEHOUSE), namespace);
  try {
    await eventually(() => reported.some(({ source }) => source === 'timeout-sweep'));
    expect(reported[0]!.error.message).toContain(`namespace "${namespace}"`);
  } finally {
    await mend();
    await app.close();
  }
});

it("logs through Nest's Logger (context Statehouse) by default, one line per source", async () => {
  const namespace = uniqueNamespace('nest');
  const errors: Array<{ message: string; context: string | undefined }> = [];
  const logger: LoggerService = {
    log: () => undefined,
    warn: () => undefined,
    error: (message: unknown, ...rest: unknown[]) =>
      errors.push({ message: String(message), context: rest.at(-1) as string | undefined }),
  };
  const moduleRef = await Test.createTestingModule({
    imports: [
      StatehouseModule.forRootAsync({ useFactory: () => ({ redis: redisUrl(), namespace }) }),
    ],
  })
    .setLogger(logger)
    .compile();
  const app = await moduleRef.init();
  const mend = await failOneSweep(app.get<StatehouseApi>(STATEHOUSE), namespace);
  try {
    await eventually(() => errors.length > 0);
    expect(errors).toEqual([
      {
        message: expect.stringMatching(
          new RegExp(`^timeout-sweep: The timeout sweep of namespace "${namespace}" failed`),
        ),
        context: 'Statehouse',
      },
    ]);
  } finally {
    await mend();
    await app.close();
  }
});
