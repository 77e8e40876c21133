import type { Command } from 'commander';
import type { StatehouseClient } from '@statehouse/client';
import type { StateEntry } from '@statehouse/contract';
import { CliError } from '../cli.error';
import { count, displayName, fields, table } from '../output/table';
import type { Runner } from '../runner';
import { integer } from './arguments';
import { eventLines, lastEvents } from './events';

/** Records fetched per call. */
const PAGE = 1000;

interface InspectOptions {
  readonly commits: number;
}

export function registerInspect(program: Command, runner: Runner): void {
  program
    .command('inspect')
    .description(
      'an agent at a glance: its live keys with their versions and commitTs, and its last commits (exit 3 if it has none)',
    )
    .argument('<AGENT>', 'the agentId')
    .option('--commits <N>', 'how many of the last commits to show', integer(0), 5)
    .action(
      runner.action<[string], InspectOptions>(async (context, agentId, options) => {
        const client = await context.connect();
        const { namespace } = context.connection;
        const entries = await liveRecords(client, agentId);
        // The last N commits are among those at or after the N-th newest commitTs of a live key
        // (each live key's commitTs is a commit of this agent): replay only from there. Without
        // N live keys' commits, deletes may hide older ones: replay it all.
        const newest = [...new Set(entries.map((entry) => entry.commitTs))].sort((a, b) => b - a);
        const from = newest.length >= options.commits ? (newest[options.commits - 1] ?? 1) : 1;
        const commits = await lastEvents(
          client.replay({ agentId, startTs: from }),
          options.commits,
        );
        if (entries.length === 0 && commits.length === 0) {
          throw CliError.notFound(
            `agent ${displayName(agentId)} has no records and no commits in namespace ` +
              `${displayName(namespace)}. \`statehousectl agents\` lists the agents that exist.`,
            'AGENT_NOT_FOUND',
          );
        }
        const keys = entries;
        const lastCommit = commits[commits.length - 1];
        if (context.out.json) {
          await context.out.document({
            namespace,
            agentId,
            keyCount: keys.length,
            lastCommitTs: lastCommit?.commitTs ?? null,
            keys,
            lastCommits: commits.map((event) => ({
              txId: event.txId,
              commitTs: event.commitTs,
              operations: event.operations.map(({ key, version, value }) => ({
                key,
                version,
                deleted: value === null,
              })),
            })),
          });
          return;
        }
        const s = context.out.style;
        await context.out.lines([
          ...fields([
            ['agent', displayName(agentId)],
            ['namespace', displayName(namespace)],
            ['live keys', count(keys.length)],
            ['last commit', lastCommit ? `commitTs ${lastCommit.commitTs}` : '-'],
          ]),
          '',
          ...table(
            ['KEY', 'VERSION', 'COMMITTS'],
            keys.map((k) => [displayName(k.key), String(k.version), String(k.commitTs)]),
          ),
          '',
          s.bold('LAST COMMITS'),
          ...commits.flatMap((event) => eventLines(event, context.out, false)),
        ]);
      }),
    );
}

type LiveKey = Omit<StateEntry, 'value'>;

/** Every live record of the agent (without its value), page by page. */
async function liveRecords(client: StatehouseClient, agentId: string): Promise<LiveKey[]> {
  const entries: LiveKey[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.scanPrefix({ agentId, prefix: '', limit: PAGE, cursor });
    entries.push(...page.entries.map(({ key, version, commitTs }) => ({ key, version, commitTs })));
    cursor = page.cursor;
  } while (cursor !== null);
  return entries;
}
