import type { Command } from 'commander';
import { VersionCompactedError, type StatehouseClient } from '@statehouse/client';
import type { StateResult } from '@statehouse/contract';
import { CliError } from '../cli.error';
import { ExitCode } from '../exit-codes';
import type { Output } from '../output/output';
import { displayName, fields } from '../output/table';
import type { Runner } from '../runner';
import { integer } from './arguments';

interface GetOptions {
  readonly version?: number;
  readonly atTs?: number;
}

export function registerGet(program: Command, runner: Runner): void {
  program
    .command('get')
    .description('one record: its value, version and commitTs (exit 3 if it does not exist)')
    .argument('<AGENT>', 'the agentId')
    .argument('<KEY>', 'the key')
    .option('--version <N>', 'the record as of its version N (1 = first write)', integer(1))
    .option('--at-ts <T>', 'the record as of commitTs T (a point-in-time read)', integer(0))
    .action(
      runner.action<[string, string], GetOptions>(async (context, agentId, key, options) => {
        if (options.version !== undefined && options.atTs !== undefined) {
          throw CliError.usage('--version and --at-ts cannot be combined: pick one');
        }
        const client = await context.connect();
        const state = await readRecord(client, agentId, key, options);
        const { namespace } = context.connection;
        if (context.out.json) {
          await context.out.document({ namespace, agentId, key, ...state });
        } else if (state.exists) {
          await context.out.lines(recordLines(state, context.out));
        }
        if (state.exists) return ExitCode.Ok;
        const failure = recordMissing(namespace, agentId, key, state, options);
        if (context.out.json) return failure.exitCode; // the document above says exists: false
        throw failure;
      }),
    );
}

function readRecord(
  client: StatehouseClient,
  agentId: string,
  key: string,
  options: GetOptions,
): Promise<StateResult> {
  const { version } = options;
  if (version !== undefined) {
    return client.getStateAtVersion({ agentId, key, version }).catch(async (error: unknown) => {
      // A record restored from a dump without history keeps its version but no versions
      // behind it (the latest one included): the record itself is that version.
      if (!(error instanceof VersionCompactedError)) throw error;
      const current = await client.getState({ agentId, key });
      if (current.version !== version) throw error;
      return current;
    });
  }
  return client.getState({
    agentId,
    key,
    ...(options.atTs === undefined ? {} : { atTs: options.atTs }),
  });
}

function recordLines(state: StateResult, out: Output): string[] {
  return [
    ...fields([
      ['version', String(state.version)],
      ['commitTs', String(state.commitTs)],
    ]).map((line) => out.style.dim(line)),
    out.pretty(state.value),
  ];
}

/** Exit 3, saying whether the record never existed or was deleted (and when). */
function recordMissing(
  namespace: string,
  agentId: string,
  key: string,
  state: StateResult,
  options: GetOptions,
): CliError {
  const record = `${displayName(agentId)} / ${displayName(key)} in namespace ${displayName(namespace)}`;
  const when =
    options.version !== undefined
      ? ` at version ${options.version}`
      : options.atTs !== undefined
        ? ` as of commitTs ${options.atTs}`
        : '';
  const why =
    state.version === 0
      ? options.atTs !== undefined
        ? 'it did not exist yet'
        : 'it was never written'
      : `deleted: version ${state.version}, commitTs ${state.commitTs}`;
  return CliError.notFound(
    `no record ${record}${when} (${why}). \`statehousectl keys ${displayName(agentId)}\` lists the agent's live keys.`,
    'RECORD_NOT_FOUND',
  );
}
