import type { Command } from 'commander';
import type { TransactionDescription } from '@statehouse/contract';
import { CliError } from '../cli.error';
import { ExitCode } from '../exit-codes';
import type { Context } from '../context';
import { fields, isoTime } from '../output/table';
import type { Runner } from '../runner';

export function registerTx(program: Command, runner: Runner): void {
  const tx = program
    .command('tx')
    .description('a transaction by its id (<namespace>~<uuid>): describe or abort it');

  tx.command('describe')
    .description(
      "a transaction's state (open, committed, aborted, timedOut), deadline and commitTs (exit 3 if unknown)",
    )
    .argument('<ID>', 'the transaction id')
    .action(
      runner.action<[string], object>(async (context, id) => {
        const client = await context.connect(namespaceOf(id, context));
        await printDescription(context, await client.describeTransaction(id));
      }),
    );

  tx.command('abort')
    .description(
      'aborts an open transaction (its staged operations are discarded); one already aborted or timed out is left as it is; a committed one is an error',
    )
    .argument('<ID>', 'the transaction id')
    .action(
      runner.action<[string], object>(async (context, id) => {
        const client = await context.connect(namespaceOf(id, context));
        const before = await client.describeTransaction(id);
        if (before.state === 'committed') {
          throw new CliError(
            `transaction ${id} is committed (commitTs ${before.commitTs}): a committed ` +
              'transaction cannot be aborted; write the records back in a new one to undo it.',
            ExitCode.Error,
            'TRANSACTION_ALREADY_COMMITTED',
          );
        }
        if (before.state === 'open') {
          const transaction = await client.resumeTransaction(id);
          await transaction.abort();
        } else {
          context.out.note(`transaction ${id} was already ${before.state}: nothing to abort`);
        }
        await printDescription(context, await client.describeTransaction(id));
      }),
    );
}

/**
 * The namespace a transaction id names (`<namespace>~<uuid>`; a namespace may hold '~' itself),
 * so that `tx` needs no --namespace; the command's namespace for an id of another shape.
 */
function namespaceOf(id: string, context: Context): string {
  const at = id.lastIndexOf('~');
  return context.connection.namespaceGiven || at <= 0
    ? context.connection.namespace
    : id.slice(0, at);
}

async function printDescription(
  context: Context,
  description: TransactionDescription,
): Promise<void> {
  if (context.out.json) {
    await context.out.document(description);
    return;
  }
  const s = context.out.style;
  const state =
    description.state === 'committed'
      ? s.green(description.state)
      : description.state === 'open'
        ? s.yellow(description.state)
        : s.red(description.state);
  await context.out.lines(
    fields([
      ['id', description.id],
      ['namespace', description.namespace],
      ['state', state],
      ['commitTs', description.commitTs === null ? '-' : String(description.commitTs)],
      ['created', isoTime(description.createdAt)],
      ['deadline', isoTime(description.deadline)],
      ['finished', isoTime(description.finishedAt)],
    ]),
  );
}
