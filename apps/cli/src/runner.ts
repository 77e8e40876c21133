import type { Command } from 'commander';
import { connectionOptions } from './connection/connection-options';
import { toCliError } from './connection/to-cli-error';
import { Context } from './context';
import { ExitCode } from './exit-codes';
import { Output } from './output/output';

/** A command's work: its positional arguments, then its options; returns the exit code (0 if none). */
export type Handler<A extends unknown[], O> = (
  context: Context,
  ...args: [...A, O]
) => Promise<number | void>;

/** The state of one run of statehousectl: the exit code, and the command running (for Ctrl-C). */
export class Runner {
  exitCode: number = ExitCode.Ok;
  private running: Context | undefined;

  /**
   * A commander action around `handler`: builds its Context from the global options, reports any
   * error (a usage error with the command's usage) and sets the exit code.
   */
  action<A extends unknown[], O>(handler: Handler<A, O>): (...args: unknown[]) => Promise<void> {
    return async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const options = args[args.length - 2] as O;
      const positional = args.slice(0, -2) as A;
      const flags = command.optsWithGlobals<{
        address?: string;
        token?: string;
        namespace?: string;
        json?: boolean;
      }>();
      let context: Context | undefined;
      try {
        context = new Context(flags);
        this.running = context;
        this.exitCode = (await handler(context, ...positional, options)) ?? ExitCode.Ok;
      } catch (error) {
        const out = context?.out ?? new Output(flags.json === true, process.stdout, process.stderr);
        const cliError = toCliError(error, context?.connection ?? safeConnection(flags));
        out.error(
          cliError,
          cliError.exitCode === ExitCode.Usage && !out.json ? command.helpInformation() : undefined,
        );
        this.exitCode = cliError.exitCode;
      } finally {
        this.running = undefined;
        await context?.close();
      }
    };
  }

  /**
   * Ctrl-C (SIGINT) or SIGTERM: a command that follows or streams (tail -f, replay, dump) is told
   * to stop, closes its stream and exits by itself; anything else, or a second signal, exits at
   * once with `exitCode` (128 + the signal's number, as a shell reports it).
   */
  interrupt(exitCode: number): void {
    const context = this.running;
    if (context?.interruptible && !context.interrupt.signal.aborted) {
      context.interrupt.abort();
      return;
    }
    process.exit(exitCode);
  }
}

/** The connection for an error message when the options themselves were invalid. */
function safeConnection(flags: { address?: string; token?: string; namespace?: string }) {
  try {
    return connectionOptions(flags);
  } catch {
    return {
      address: flags.address ?? '',
      token: flags.token,
      namespace: '',
      namespaceGiven: false,
    };
  }
}
