import type { Command } from 'commander';
import { CliError } from '../cli.error';
import { ExitCode } from '../exit-codes';
import { fields } from '../output/table';
import type { Runner } from '../runner';
import { CLI_VERSION } from '../version';

export function registerHealth(program: Command, runner: Runner): void {
  program
    .command('health')
    .description(
      'whether the server is up and serving (grpc.health.v1: SERVING while it reaches its Redis); exit 5 if not',
    )
    .action(
      runner.action<[], object>(async (context) => {
        const { address } = context.connection;
        const health = await context.probe().check();
        if (context.out.json) {
          // `status` as the official statehousectl says it ("ok"); `grpcHealth` as probes do.
          await context.out.document({
            address,
            status: health.serving ? 'ok' : 'not serving',
            serving: health.serving,
            grpcHealth: health.status,
          });
        } else if (health.serving) {
          await context.out.lines([
            `${context.out.style.green('ok')}  ${health.status}  ${address}`,
          ]);
        }
        if (health.serving) return ExitCode.Ok;
        const failure = new CliError(
          `the Statehouse server at ${address} answers but is not serving (${health.status}): it ` +
            'cannot reach its storage, or it is shutting down. Its log says which.',
          ExitCode.Unavailable,
          'NOT_SERVING',
        );
        if (context.out.json) return failure.exitCode; // the document above says it
        throw failure;
      }),
    );
}

export function registerVersion(program: Command, runner: Runner): void {
  program
    .command('version')
    .description("statehousectl's version and the server's (version and git commit)")
    .action(
      runner.action<[], object>(async (context) => {
        const { address } = context.connection;
        const server = await context
          .probe()
          .version()
          .catch((error: unknown) => {
            // The client's version is known even when the server's is not.
            context.out.note(`client  statehousectl ${CLI_VERSION}`);
            throw error;
          });
        if (context.out.json) {
          await context.out.document({
            client: { version: CLI_VERSION },
            server: { address, ...server },
          });
          return;
        }
        await context.out.lines(
          fields([
            ['client', `statehousectl ${CLI_VERSION}`],
            ['server', `${server.version} (git ${server.gitSha || 'unknown'}) at ${address}`],
          ]),
        );
      }),
    );
}
