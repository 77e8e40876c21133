import { createWriteStream, openSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli.error';
import type { Context } from '../context';
import { ExitCode } from '../exit-codes';
import { ProgressBar } from '../output/progress';
import { counted, displayName } from '../output/table';
import type { Runner } from '../runner';
import { integer } from './arguments';

interface DumpOptions {
  readonly output?: string;
  readonly agentPrefix?: string;
  readonly atTs?: number;
  readonly history?: boolean;
}

/** Lines gathered into one write (a write per line would cost more than the line). */
const WRITE_BYTES = 64 * 1024;

export function registerDump(program: Command, runner: Runner): void {
  program
    .command('dump')
    .description(
      'a consistent snapshot of the namespace as NDJSON (a header line, the records, a trailer), as of one commitTs; restore it with `statehousectl restore`',
    )
    .option('-o, --output <FILE>', 'write it to FILE (complete or not at all) instead of stdout')
    .option('--agent-prefix <P>', 'only agents whose id starts with P')
    .option(
      '--at-ts <T>',
      'as of commitTs T (default: the last commit when the dump starts)',
      integer(0),
    )
    .option('--history', 'every version and the log (the commits) instead of the live records')
    .action(
      runner.action<[], DumpOptions>(async (context, options) => {
        const client = await context.connect();
        context.interruptible = true;
        const target = options.output === undefined ? undefined : new DumpFile(options.output);
        const sink = target?.stream ?? process.stdout;
        const progress = new ProgressBar(context.out, 'dump');
        let lines = 0;
        let bytes = 0;
        let first: string | undefined;
        let last: string | undefined;
        let batch: string[] = [];
        let batchBytes = 0;
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          if (!sink.write(batch.join(''))) await once(sink, 'drain');
          batch = [];
          batchBytes = 0;
        };
        try {
          for await (const line of client.exportSnapshot({
            namespace: context.connection.namespace,
            ...(options.agentPrefix === undefined ? {} : { agentPrefix: options.agentPrefix }),
            ...(options.atTs === undefined ? {} : { atTs: options.atTs }),
            history: options.history === true,
          })) {
            if (context.interrupt.signal.aborted) break; // ends the server's stream
            first ??= line;
            last = line;
            lines++;
            const size = Buffer.byteLength(line) + 1;
            bytes += size;
            batch.push(line, '\n');
            batchBytes += size;
            if (batchBytes >= WRITE_BYTES) await flush();
            progress.update(Math.max(lines - 1, 0), bytes); // the header is no record
          }
          await flush();
          if (context.interrupt.signal.aborted) {
            throw new CliError(
              `dump interrupted${target ? `: ${target.path} was not written` : ''}`,
              ExitCode.Error,
              'INTERRUPTED',
            );
          }
          const summary = summaryOf(first, last, bytes, target?.path);
          await target?.commit();
          progress.finish(summary.records, bytes);
          await report(context, summary, target !== undefined);
        } catch (error) {
          progress.abandon();
          target?.discard();
          throw error;
        }
      }),
    );
}

/** A file written beside its final name and renamed into place when complete. */
class DumpFile {
  readonly stream: WriteStream;
  private readonly partial: string;

  constructor(readonly path: string) {
    this.partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
    let fd: number;
    try {
      fd = openSync(this.partial, 'wx');
    } catch (error) {
      throw CliError.usage(
        `cannot write ${path}: ${(error as Error).message} (-o names a file in a directory that exists)`,
      );
    }
    this.stream = createWriteStream('', { fd });
    // A write error rejects the wait for 'drain' or 'close' (events.once): reported there.
    this.stream.on('error', () => undefined);
  }

  async commit(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'close');
    renameSync(this.partial, this.path);
  }

  discard(): void {
    this.stream.destroy();
    rmSync(this.partial, { force: true });
  }
}

interface DumpSummary {
  readonly file: string | null;
  readonly namespace: string;
  readonly atTs: number;
  readonly history: boolean;
  readonly records: number;
  readonly bytes: number;
}

/** What the header and the trailer say; an error if the stream ended without its trailer. */
function summaryOf(
  first: string | undefined,
  last: string | undefined,
  bytes: number,
  file: string | undefined,
): DumpSummary {
  const header = parse(first);
  const trailer = parse(last);
  if (!header || header.format !== 'statehouse-snapshot' || !trailer || trailer.end !== true) {
    throw new CliError(
      'the dump ended before its last line (the server stopped streaming): nothing was ' +
        'written; run the dump again',
      ExitCode.Unavailable,
      'DUMP_INCOMPLETE',
    );
  }
  return {
    file: file ?? null,
    namespace: String(header.namespace),
    atTs: Number(header.atTs),
    history: header.history === true,
    records: Number(trailer.records),
    bytes,
  };
}

function parse(line: string | undefined): Record<string, unknown> | undefined {
  try {
    return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** With -o, the summary on stdout (a JSON document with --json); without, on stderr for people. */
async function report(context: Context, summary: DumpSummary, toFile: boolean): Promise<void> {
  const text =
    `dumped ${counted(summary.records, 'record')} of namespace ${displayName(summary.namespace)} ` +
    `as of commitTs ${summary.atTs}${summary.history ? ' with history' : ''}` +
    (summary.file ? ` to ${summary.file}` : '');
  if (!toFile) context.out.note(text);
  else if (context.out.json) await context.out.document(summary);
  else await context.out.lines([text]);
}
