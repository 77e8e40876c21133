/**
 * `npm start`: the Statehouse server — gRPC (statehouse.v1, port 50051) and HTTP (port 8080) —
 * over Redis: the configured one, or a private redis-server it starts itself (AOF, appendfsync
 * always, data in ./data) and stops on shutdown. Settings: see config/server-config.ts or --help.
 */
import { EmbeddedRedisError } from '@statehouse/core';
import { ConfigError, loadConfig } from './config/server-config';
import { USAGE } from './config/usage';
import { JsonLogger } from './observability/json-logger';
import { startServer, type RunningServer } from './server';
import { SERVER_VERSION } from './version';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (argv.includes('--version')) {
    // What the v1 Version RPC answers.
    process.stdout.write(
      `statehouse-server ${SERVER_VERSION.version} (${SERVER_VERSION.gitSha})\n`,
    );
    return;
  }
  const config = loadConfig(process.env, argv);
  const logger = new JsonLogger(config.logLevel);
  // Signal handlers before anything starts: a SIGTERM during startup (an orchestrator giving up
  // on a slow start) still stops the server cleanly, its embedded redis-server and lock included,
  // instead of killing the process outright.
  let server: RunningServer | undefined = undefined;
  let stopping = false;
  let signals = 0;
  const shutdown = (running: RunningServer): void => {
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.entry('error', 'shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  const stop = (signal: string): void => {
    if (++signals > 1) {
      logger.entry('warn', `${signal} again: exiting now`);
      process.exit(1);
    }
    logger.entry('info', `${signal} received`);
    stopping = true;
    if (server) shutdown(server);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  server = await startServer(config, logger);
  if (stopping) shutdown(server);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof EmbeddedRedisError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `statehouse server failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
