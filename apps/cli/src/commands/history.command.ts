import type { Command } from 'commander';
import {
  VersionCompactedError,
  VersionNotFoundError,
  type StatehouseClient,
} from '@statehouse/client';
import type { StateResult } from '@statehouse/contract';
import { CliError } from '../cli.error';
import { displayName, table } from '../output/table';
import type { Runner } from '../runner';

/** Versions read at once (one call each): enough to hide the round trips, few for the server. */
const PARALLEL_READS = 8;

export function registerHistory(program: Command, runner: Runner): void {
  program
    .command('history')
    .description(
      'every version of one record, oldest first, deletes included (exit 3 if it was never written)',
    )
    .argument('<AGENT>', 'the agentId')
    .argument('<KEY>', 'the key')
    .action(
      runner.action<[string, string], object>(async (context, agentId, key) => {
        const client = await context.connect();
        const { namespace } = context.connection;
        const latest = await client.getState({ agentId, key });
        if (latest.version === 0) {
          throw CliError.notFound(
            `no record ${displayName(agentId)} / ${displayName(key)} in namespace ` +
              `${displayName(namespace)}: it was never written. \`statehousectl keys ${displayName(agentId)}\` lists the agent's live keys.`,
            'RECORD_NOT_FOUND',
          );
        }
        const versions: Array<StateResult> = [];
        const unavailable: number[] = [];
        for await (const entry of everyVersion(client, agentId, key, latest)) {
          if (entry.state) versions.push(entry.state);
          else unavailable.push(entry.version);
        }
        if (context.out.json) {
          await context.out.document({ namespace, agentId, key, versions, unavailable });
          return;
        }
        const s = context.out.style;
        const rows = versions.map((state) => [
          String(state.version),
          String(state.commitTs),
          state.exists ? JSON.stringify(state.value) : s.red('(deleted)'),
        ]);
        await context.out.lines(table(['VERSION', 'COMMITTS', 'VALUE'], rows));
        if (unavailable.length > 0) {
          context.out.note(
            `versions ${unavailable[0]}-${unavailable[unavailable.length - 1]} are not kept (removed by ` +
              'retention, or the record was restored from a dump without --history)',
          );
        }
      }),
    );
}

/**
 * Versions 1..latest in order, read PARALLEL_READS at a time; one not kept has no state. The
 * latest is the record as getState read it (a record restored without history keeps only that).
 */
async function* everyVersion(
  client: StatehouseClient,
  agentId: string,
  key: string,
  latest: StateResult,
): AsyncGenerator<{ version: number; state: StateResult | null }> {
  for (let first = 1; first < latest.version; first += PARALLEL_READS) {
    const batch = Array.from(
      { length: Math.min(PARALLEL_READS, latest.version - first) },
      (_, i) => first + i,
    );
    const states = await Promise.all(
      batch.map((version) =>
        client.getStateAtVersion({ agentId, key, version }).catch((error: unknown) => {
          // Removed by retention, or older than a restore from a dump without history.
          if (error instanceof VersionCompactedError || error instanceof VersionNotFoundError) {
            return null;
          }
          throw error;
        }),
      ),
    );
    for (const [i, state] of states.entries()) yield { version: batch[i]!, state };
  }
  yield { version: latest.version, state: latest };
}
