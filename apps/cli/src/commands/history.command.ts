import type { Command } from 'commander';
import { VersionCompactedError, type StatehouseClient } from '@statehouse/client';
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
        const compacted: number[] = [];
        for await (const entry of everyVersion(client, agentId, key, latest.version)) {
          if (entry.state) versions.push(entry.state);
          else compacted.push(entry.version);
        }
        if (context.out.json) {
          await context.out.document({ namespace, agentId, key, versions, compacted });
          return;
        }
        const s = context.out.style;
        const rows = versions.map((state) => [
          String(state.version),
          String(state.commitTs),
          state.exists ? JSON.stringify(state.value) : s.red('(deleted)'),
        ]);
        await context.out.lines(table(['VERSION', 'COMMITTS', 'VALUE'], rows));
        if (compacted.length > 0) {
          context.out.note(
            `versions ${compacted[0]}-${compacted[compacted.length - 1]} were removed by retention`,
          );
        }
      }),
    );
}

/** Versions 1..latest in order, read PARALLEL_READS at a time; a compacted one has no state. */
async function* everyVersion(
  client: StatehouseClient,
  agentId: string,
  key: string,
  latest: number,
): AsyncGenerator<{ version: number; state: StateResult | null }> {
  for (let first = 1; first <= latest; first += PARALLEL_READS) {
    const batch = Array.from(
      { length: Math.min(PARALLEL_READS, latest - first + 1) },
      (_, i) => first + i,
    );
    const states = await Promise.all(
      batch.map((version) =>
        client.getStateAtVersion({ agentId, key, version }).catch((error: unknown) => {
          if (error instanceof VersionCompactedError) return null;
          throw error;
        }),
      ),
    );
    for (const [i, state] of states.entries()) yield { version: batch[i]!, state };
  }
}
