import { Command, CommanderError } from 'commander';
import { registerGet } from './commands/get.command';
import { registerHealth, registerVersion } from './commands/health.command';
import { registerHistory } from './commands/history.command';
import { registerInspect } from './commands/inspect.command';
import { registerKeys } from './commands/keys.command';
import { registerReplay, registerTail } from './commands/replay.command';
import { registerTx } from './commands/tx.command';
import { registerAgents, registerNamespaces } from './commands/namespaces.command';
import { registerDump } from './commands/dump.command';
import { registerRestore } from './commands/restore.command';
import { registerCompact, registerRetention } from './commands/retention.command';
import { DEFAULT_ADDRESS, DEFAULT_NAMESPACE } from './connection/connection-options';
import { ExitCode } from './exit-codes';
import { Runner } from './runner';

const EPILOG = `
Environment:
  STATEHOUSE_ADDR       the server's gRPC address (as the official statehousectl), default ${DEFAULT_ADDRESS}
  STATEHOUSE_TOKEN      the bearer token, when the server has tokens
  STATEHOUSE_NAMESPACE  the namespace, default "${DEFAULT_NAMESPACE}"
  NO_COLOR              no colours even on a terminal

Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 unauthenticated or denied, 5 unavailable.`;

/** statehousectl's commands and global options. */
export function buildProgram(runner: Runner, json: boolean): Command {
  const program = new Command('statehousectl')
    .description('The command-line tool of a Statehouse server.')
    .option(
      '--address <host:port>',
      `the server's gRPC address (env STATEHOUSE_ADDR; default ${DEFAULT_ADDRESS})`,
    )
    .option('--token <token>', 'bearer token (env STATEHOUSE_TOKEN)')
    .option(
      '--namespace <name>',
      `the namespace (env STATEHOUSE_NAMESPACE; default "${DEFAULT_NAMESPACE}")`,
    )
    .option('--json', 'machine-readable output: one JSON document, or NDJSON for streams')
    .addHelpText('after', EPILOG)
    .showHelpAfterError(!json)
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(
          json
            ? `${JSON.stringify({ error: { code: 'USAGE', message: text.replace(/^error: /, '').trim(), exitCode: ExitCode.Usage } })}\n`
            : text,
        ),
    });
  registerHealth(program, runner);
  registerVersion(program, runner);
  registerNamespaces(program, runner);
  registerAgents(program, runner);
  registerGet(program, runner);
  registerHistory(program, runner);
  registerKeys(program, runner);
  registerReplay(program, runner);
  registerTail(program, runner);
  registerInspect(program, runner);
  registerTx(program, runner);
  registerDump(program, runner);
  registerRestore(program, runner);
  registerRetention(program, runner);
  registerCompact(program, runner);
  // Every command inherits the error handling: usage errors exit 2 with that command's usage.
  for (const command of allCommands(program)) {
    command
      .showHelpAfterError(!json)
      .exitOverride()
      .configureOutput(program.configureOutput())
      .configureHelp({ showGlobalOptions: true });
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

/** Runs statehousectl with `argv` (process.argv's shape); resolves with the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const runner = new Runner();
  const json = argv.slice(2).includes('--json');
  const program = buildProgram(runner, json);
  const onInterrupt = (): void => runner.interrupt(130);
  const onTerminate = (): void => runner.interrupt(143);
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return ExitCode.Usage;
    }
    await program.parseAsync([...argv]);
    return runner.exitCode;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and `help COMMAND` are not errors; help shown for a missing command is (exitCode 1).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
      return ExitCode.Ok;
    }
    if (error.code === 'commander.help' && error.exitCode === 0) return ExitCode.Ok;
    return ExitCode.Usage;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
  }
}
