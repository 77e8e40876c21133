import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { NamespaceNotEmptyError, SnapshotFormatError, ValidationError } from '@statehouse/contract';
import { CliError } from '../cli.error';
import type { ImportSummary } from '@statehouse/contract';
import type { Context } from '../context';
import { ExitCode } from '../exit-codes';
import { ProgressBar } from '../output/progress';
import { counted, displayName } from '../output/table';
import type { Runner } from '../runner';

interface RestoreOptions {
  readonly merge?: boolean;
}

export function registerRestore(program: Command, runner: Runner): void {
  program
    .command('restore')
    .description(
      'writes a dump into a namespace: --namespace (or STATEHOUSE_NAMESPACE), else the one it was dumped from; refuses a namespace that holds data unless --merge; safe to run again after a crash',
    )
    .argument('<FILE>', 'the dump (`statehousectl dump -o FILE`), or - for stdin')
    .option('--merge', 'write the dump over the records already in the namespace')
    .action(
      runner.action<[string], RestoreOptions>(async (context, file, options) => {
        const source = openDump(file);
        const client = await context.connect();
        const progress = new ProgressBar(context.out, 'restore', source.size);
        let records = 0;
        let bytesRead = 0;
        const chunks = countBytes(source.stream, (bytes) => {
          bytesRead = bytes;
          progress.update(records, bytes);
        });
        let summary: ImportSummary;
        try {
          summary = await client.importSnapshot(chunks, {
            ...(context.connection.namespaceGiven
              ? { namespace: context.connection.namespace }
              : {}),
            mode: options.merge ? 'merge' : 'empty-only',
            onProgress: (p) => (records = p.records),
          });
        } catch (error) {
          progress.abandon();
          throw restoreError(error, file);
        } finally {
          source.stream.destroy();
        }
        progress.finish(summary.records, bytesRead);
        await report(context, summary, file);
      }),
    );
}

/** The file (or stdin) as a stream of bytes, and its size when known. */
function openDump(file: string): { stream: Readable; size?: number } {
  if (file === '-') return { stream: process.stdin };
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch (error) {
    throw CliError.usage(
      `cannot read ${file}: ${(error as Error).message} (FILE is a dump written by \`statehousectl dump -o FILE\`, or - for stdin)`,
    );
  }
  return { stream: createReadStream(file), size };
}

/** The stream's chunks as they are read, counting their bytes. */
async function* countBytes(
  stream: Readable,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    onBytes(bytes);
    yield chunk;
  }
}

/** A refusal of the import, saying what to do. */
function restoreError(error: unknown, file: string): unknown {
  if (error instanceof NamespaceNotEmptyError) {
    // The engine's advice names the API's options; the CLI's are --namespace and --merge.
    const what = error.message.split('. Restore into')[0] ?? error.message;
    return new CliError(
      `${what}. Restore into an empty namespace (--namespace NEW), or pass --merge to write ` +
        'the dump over what is there.',
      ExitCode.Error,
      error.code,
    );
  }
  if (error instanceof SnapshotFormatError || error instanceof ValidationError) {
    return new CliError(
      `${file === '-' ? 'stdin' : file}: ${error.message}`,
      ExitCode.Error,
      error.code,
    );
  }
  return error;
}

async function report(context: Context, summary: ImportSummary, file: string): Promise<void> {
  if (context.out.json) {
    await context.out.document({ file: file === '-' ? null : file, ...summary });
    return;
  }
  await context.out.lines([
    `restored ${counted(summary.records, 'record')} (${counted(summary.versions, 'version')}, ` +
      `${counted(summary.commits, 'commit')}) into namespace ${displayName(summary.namespace)} ` +
      `from ${file === '-' ? 'stdin' : file}, as of commitTs ${summary.atTs}`,
  ]);
}
