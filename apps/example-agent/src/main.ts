/**
 * The example agent backend: `node apps/example-agent/dist/main.js` (port PORT, default 3000) on
 * REDIS_URL, or on a Redis Cluster (REDIS_CLUSTER_NODES=host:port,host:port,...), or on a private
 * redis-server it starts (data in ./data-example). Every replica started on the same Redis shares
 * the agents' state and runs the timeout worker.
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConsoleLogger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startEmbeddedRedis } from '@statehouse/core';
import { StatehouseModule } from '@statehouse/nestjs';
import { AgentModule } from './agent.module';

async function main(): Promise<void> {
  const clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .filter(Boolean)
    .map((node) => {
      const [host, port] = node.trim().split(':');
      if (!host || !/^\d+$/.test(port ?? '')) {
        throw new Error(`REDIS_CLUSTER_NODES must be host:port,host:port,...; "${node}" is not`);
      }
      return { host, port: Number(port) };
    });
  const configured = process.env.REDIS_URL || undefined;
  const embedded =
    configured || clusterNodes.length
      ? undefined
      : await startEmbeddedRedis({ dataDir: 'data-example' });
  const namespace = process.env.STATEHOUSE_NAMESPACE ?? 'agents';

  @Module({
    imports: [
      StatehouseModule.forRoot({
        ...(clusterNodes.length
          ? { cluster: { nodes: clusterNodes } }
          : { redis: configured ?? embedded!.url }),
        namespace,
        isGlobal: true,
      }),
      AgentModule,
    ],
  })
  class AppModule {}

  try {
    const app = await NestFactory.create(AppModule, {
      // One JSON object per line, like the Statehouse server's log (and log collectors' input).
      logger: new ConsoleLogger({ json: true, logLevels: ['error', 'warn'] }),
      abortOnError: false,
    });
    await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'example agent ready', port })}\n`);
    // Graceful stop: the app (and Statehouse's connections and worker) first, then its own Redis.
    process.once('SIGTERM', () => {
      void app
        .close()
        .then(() => embedded?.stop())
        .then(() => process.exit(0));
    });
  } catch (error) {
    await embedded?.stop(); // never leave the private redis-server behind
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg: 'example agent failed to start', error: String(error) })}\n`,
  );
  process.exit(1);
});
