import type { Command } from 'commander';
import type { CompactionCounts, RetentionInfo, RetentionPolicy } from '@statehouse/contract';
import { CliError } from '../cli.error';
import { displayName, table } from '../output/table';
import type { Runner } from '../runner';
import { integer } from './arguments';

interface RetentionOptions {
  readonly maxVersions?: number;
  readonly maxAgeMs?: number;
  readonly deletedTtlMs?: number;
  readonly keepAll?: boolean;
}

/**
 * `retention`: shows a namespace's policy, horizon and what compaction removed; with a rule, or
 * --keep-all, replaces the policy first.
 */
export function registerRetention(program: Command, runner: Runner): void {
  program
    .command('retention')
    .description(
      "a namespace's retention policy, its compaction horizon and what compaction removed; with a " +
        'rule (or --keep-all), sets the policy first (it replaces the whole policy)',
    )
    .option('--max-versions <N>', 'keep the last N versions of each record', integer(1))
    .option('--max-age-ms <MS>', 'remove a version once the one after it is MS old', integer(1))
    .option(
      '--deleted-ttl-ms <MS>',
      'remove a deleted record (tombstone too) once deleted MS ago',
      integer(0),
    )
    .option('--keep-all', 'set an empty policy: keep everything (whatever the default)')
    .action(
      runner.action<[], RetentionOptions>(async (context, options) => {
        const client = await context.connect();
        const { namespace } = context.connection;
        const policy: RetentionPolicy = {
          ...(options.maxVersions === undefined ? {} : { maxVersionsPerKey: options.maxVersions }),
          ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
          ...(options.deletedTtlMs === undefined
            ? {}
            : { deletedRecordTtlMs: options.deletedTtlMs }),
        };
        const setting = options.keepAll === true || Object.keys(policy).length > 0;
        if (options.keepAll === true && Object.keys(policy).length > 0) {
          throw CliError.usage('--keep-all cannot be combined with a rule');
        }
        const info = setting
          ? await client.setRetention({ namespace, ...policy })
          : await client.getRetention({ namespace });
        if (context.out.json) {
          await context.out.document(info);
          return;
        }
        await context.out.lines(retentionLines(info));
      }),
    );
}

/** `compact`: compacts a namespace now under its policy and says what went. */
export function registerCompact(program: Command, runner: Runner): void {
  program
    .command('compact')
    .description(
      'compact a namespace now, to completion, under its retention policy (reads below the new horizon are then refused)',
    )
    .action(
      runner.action<[], object>(async (context) => {
        const client = await context.connect();
        const result = await client.compact({ namespace: context.connection.namespace });
        if (context.out.json) {
          await context.out.document(result);
          return;
        }
        await context.out.lines([
          `compacted ${displayName(result.namespace)} in ${result.steps} step${result.steps === 1 ? '' : 's'} ` +
            `(longest ${result.longestStepMs.toFixed(1)} ms): removed ${removedText(result.removed)}`,
          `horizon (compactedTs): ${result.compactedTs}`,
        ]);
      }),
    );
}

function retentionLines(info: RetentionInfo): string[] {
  const rules = [
    ['max versions per key', info.policy.maxVersionsPerKey],
    ['max age (ms)', info.policy.maxAgeMs],
    ['deleted record TTL (ms)', info.policy.deletedRecordTtlMs],
  ] as const;
  return [
    `namespace ${displayName(info.namespace)}: ${info.source === 'default' ? "the server's default policy" : 'its own policy'}`,
    ...table(
      ['RULE', 'VALUE'],
      rules.map(([name, value]) => [name, value === undefined ? '-' : String(value)]),
    ),
    `horizon (compactedTs): ${info.compactedTs}`,
    `removed so far: ${removedText(info.removed)}`,
  ];
}

function removedText(removed: CompactionCounts): string {
  return (
    `${removed.versions} version${removed.versions === 1 ? '' : 's'}, ` +
    `${removed.logEntries} log entr${removed.logEntries === 1 ? 'y' : 'ies'}, ` +
    `${removed.deletedRecords} deleted record${removed.deletedRecords === 1 ? '' : 's'}`
  );
}
