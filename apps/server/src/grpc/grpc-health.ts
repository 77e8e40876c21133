import { Inject, Injectable } from '@nestjs/common';
import type * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Statehouse } from '@statehouse/core';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';

/** The services whose health grpc.health.v1 reports: the server as a whole ('') and statehouse.v1. */
export const HEALTH_SERVICES = ['', 'statehouse.v1.StatehouseService'] as const;

/** How often Redis is probed for the health status (one GET; Check and Watch answer from it). */
const PROBE_INTERVAL_MS = 1000;
/** A probe not answered within this long counts as Redis unreachable. */
const PROBE_TIMEOUT_MS = 1500;

/**
 * grpc.health.v1.Health (Check and Watch) for Kubernetes gRPC probes and grpc_health_probe:
 * SERVING while Redis answers, NOT_SERVING while it does not and from the start of shutdown.
 * The status comes from a probe loop (one Redis read a second), not from the probes themselves,
 * so a burst of probes costs Redis nothing.
 */
@Injectable()
export class GrpcHealth {
  private readonly health = new HealthImplementation(
    Object.fromEntries(HEALTH_SERVICES.map((service) => [service, 'NOT_SERVING'])),
  );
  private readonly watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  private status: ServingStatus = 'NOT_SERVING';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(@Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse) {}

  /** Adds the Health service to the server (its Watch calls tracked, to end them on shutdown). */
  addToServer(server: grpc.Server): void {
    this.health.addToServer({
      addService: (service, implementation) => {
        const watch = implementation.watch as grpc.handleServerStreamingCall<unknown, unknown>;
        server.addService(service, {
          ...implementation,
          watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
            if (this.stopped) {
              call.write({ status: 'NOT_SERVING' });
              call.end();
              return;
            }
            this.watches.add(call);
            call.on('close', () => this.watches.delete(call));
            call.on('cancelled', () => this.watches.delete(call));
            watch(call);
          },
        });
      },
    });
  }

  /** Probes Redis now, then every second until stop(). */
  async start(): Promise<void> {
    await this.probe();
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.probe().then(() => {
          if (!this.stopped) loop();
        });
      }, PROBE_INTERVAL_MS);
      this.timer.unref();
    };
    loop();
  }

  /** NOT_SERVING from now on; Watch calls get it and end, so they do not hold the shutdown. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.set('NOT_SERVING');
    for (const call of this.watches) call.end();
    this.watches.clear();
  }

  private async probe(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      this.client.lastCommitTs().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>(
        (resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)),
      ),
    ]);
    clearTimeout(timer);
    if (!this.stopped) this.set(answered ? 'SERVING' : 'NOT_SERVING');
  }

  private set(status: ServingStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const service of HEALTH_SERVICES) this.health.setStatus(service, status);
  }
}
