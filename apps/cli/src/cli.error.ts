import { ExitCode } from './exit-codes';

/**
 * A failure statehousectl reports itself: a message saying what to do, the exit code, and a
 * stable `code` for `--json` output.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
  ) {
    super(message);
  }

  /** A bad argument or option: exit 2, and the command's usage is printed after the message. */
  static usage(message: string): CliError {
    return new CliError(message, ExitCode.Usage, 'USAGE');
  }

  /** Something asked for does not exist: exit 3. */
  static notFound(message: string, code = 'NOT_FOUND'): CliError {
    return new CliError(message, ExitCode.NotFound, code);
  }
}
