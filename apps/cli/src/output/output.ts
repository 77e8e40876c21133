import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { CliError } from '../cli.error';
import { colourWanted, style, type Style } from './style';

/**
 * Where a command's results go. With `--json`, stdout gets machine-readable output only: one JSON
 * document per command, or one JSON text per line (NDJSON) for a stream (replay, tail, dump), and
 * an error is one JSON document on stderr. Without it, people get aligned tables and pretty JSON,
 * coloured only when the stream is a terminal.
 */
export class Output {
  readonly style: Style;
  readonly errStyle: Style;

  constructor(
    readonly json: boolean,
    private readonly stdout: Writable & { isTTY?: boolean },
    private readonly stderr: Writable & { isTTY?: boolean },
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.style = style(!json && colourWanted(stdout, env));
    this.errStyle = style(colourWanted(stderr, env));
  }

  /** Whether stderr is a terminal (progress bars are drawn only then). */
  get stderrIsTTY(): boolean {
    return this.stderr.isTTY === true;
  }

  /** The one JSON document of a command (`--json`). */
  document(value: unknown): Promise<void> {
    return this.write(`${JSON.stringify(value)}\n`);
  }

  /** Lines of human output. */
  lines(lines: readonly string[]): Promise<void> {
    return lines.length === 0 ? Promise.resolve() : this.write(`${lines.join('\n')}\n`);
  }

  /** Writes to stdout, waiting while its buffer is full (a stream never piles up in memory). */
  async write(text: string): Promise<void> {
    if (!this.stdout.write(text)) await once(this.stdout, 'drain');
  }

  /** A note for people (stderr, so stdout stays the result); dropped with `--json`. */
  note(text: string): void {
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  /** Writes on stderr as is (the progress bar). */
  stderrWrite(text: string): void {
    this.stderr.write(text);
  }

  error(error: CliError, usage?: string): void {
    if (this.json) {
      this.stderr.write(
        `${JSON.stringify({ error: { code: error.code, message: error.message, exitCode: error.exitCode } })}\n`,
      );
    } else {
      this.stderr.write(`${this.errStyle.red('error:')} ${error.message}\n`);
    }
    if (usage) this.stderr.write(`\n${usage}`);
  }

  /** A JSON value indented for people, coloured on a terminal. */
  pretty(value: unknown): string {
    const text = JSON.stringify(value, null, 2) ?? 'null';
    if (!this.style.enabled) return text;
    const s = this.style;
    return text.replace(
      /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
      (match, string: string | undefined, colon: string | undefined, literal, number) => {
        if (string !== undefined) return colon ? s.cyan(string) + colon : s.green(string);
        if (literal !== undefined) return s.dim(match);
        return number !== undefined ? s.yellow(match) : match;
      },
    );
  }
}
