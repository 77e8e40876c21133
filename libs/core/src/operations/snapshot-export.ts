import {
  validateArgs,
  validateBoolean,
  validateInteger,
  validateName,
  ValidationError,
  VersionCompactedError,
  type ExportOptions,
} from '@statehouse/contract';
import type { ListingRepository } from '../storage/listing.repository';
import { SEPARATOR } from '../storage/marks';
import { COMMIT_TIME_FIELD } from '../storage/stored-value';
import type { RecordRepository } from '../storage/record.repository';
import {
  commitLine,
  operationText,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotHeader,
} from './snapshot-format';

/** Agents or records read per call: the export's memory is a page of them. */
const EXPORT_PAGE = 500;
/**
 * Commits read per call of a history export: fewer, as a commit may hold a whole transaction
 * (up to maxTransactionBytes).
 */
const LOG_PAGE = 64;

export interface ExportPlan {
  readonly namespace: string;
  readonly agentPrefix: string;
  readonly atTs: number | undefined;
  readonly history: boolean;
}

/** The options, checked (before the first line is asked for: a refusal is the call's own). */
export function exportPlan(options: ExportOptions, namespace: string): ExportPlan {
  const args = validateArgs<ExportOptions>(options, 'exportSnapshot');
  return {
    namespace,
    agentPrefix:
      args.agentPrefix === undefined
        ? ''
        : validateName(args.agentPrefix, 'agentPrefix', { allowEmpty: true }),
    atTs: args.atTs === undefined ? undefined : validateInteger(args.atTs, 'atTs', 0),
    history: args.history === undefined ? false : validateBoolean(args.history, 'history'),
  };
}

/**
 * A snapshot's lines (snapshot-format.ts) as of one commitTs: without history, every live record
 * as of atTs, read agent by agent with point-in-time listings (commits made meanwhile are not in
 * it); with history, the log's commits up to atTs. Memory: one page.
 */
export async function* exportLines(
  records: RecordRepository,
  listing: ListingRepository,
  plan: ExportPlan,
): AsyncGenerator<string, void, undefined> {
  const [last, horizon] = await Promise.all([
    records.lastCommitTs(plan.namespace),
    records.horizon(plan.namespace),
  ]);
  const atTs = plan.atTs ?? last;
  if (atTs > last) {
    throw new ValidationError('atTs', `must not be after the namespace's last commitTs (${last})`);
  }
  // Below the horizon the state is not known whole (listings as of atTs refuse it too).
  if (atTs < horizon) throw VersionCompactedError.belowHorizon(horizon, atTs);
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    namespace: plan.namespace,
    atTs,
    history: plan.history,
    agentPrefix: plan.agentPrefix === '' ? null : plan.agentPrefix,
    createdAt: new Date().toISOString(),
    ...(horizon > 0 ? { compactedTs: horizon } : {}),
  };
  yield JSON.stringify(header);
  if (!plan.history) {
    // Each listing as of atTs refuses it once below the horizon: a compaction meanwhile that
    // passes atTs fails the export, never gaps it.
    const counts = yield* recordLines(records, listing, plan, atTs);
    yield JSON.stringify({ end: true, ...counts });
    return;
  }
  const counts = yield* commitLines(records, plan, atTs, horizon);
  // A compaction during the export may have removed commits not read yet, but only below the
  // horizon it left (each of its steps removes and raises the horizon atomically), and every
  // version needed by a read as of that horizon or later is kept. The trailer carries it: the
  // import takes it as the target's horizon, so the dump is whole from there on.
  const horizonAtEnd = await records.horizon(plan.namespace);
  if (horizonAtEnd > atTs) throw exportOvertaken(horizonAtEnd, atTs);
  yield JSON.stringify({
    end: true,
    ...counts,
    ...(horizonAtEnd > 0 ? { compactedTs: horizonAtEnd } : {}),
  });
}

type Counts = { records: number; commits: number; versions: number };

async function* recordLines(
  records: RecordRepository,
  listing: ListingRepository,
  plan: ExportPlan,
  atTs: number,
): AsyncGenerator<string, Counts, undefined> {
  let count = 0;
  let afterAgent: string | undefined;
  for (;;) {
    const { agents } = await listing.agents(
      plan.namespace,
      plan.agentPrefix,
      afterAgent,
      EXPORT_PAGE,
    );
    for (const { agentId } of agents) {
      let after: string | undefined;
      do {
        const page = await records.listAsOf(
          plan.namespace,
          agentId,
          '',
          after,
          atTs,
          EXPORT_PAGE,
          true,
        );
        for (const entry of page.entries) {
          yield JSON.stringify({
            agentId,
            key: entry.key,
            version: entry.version,
            commitTs: entry.commitTs,
            value: entry.value,
          });
          count++;
        }
        after = page.next ?? undefined;
      } while (after !== undefined);
    }
    if (agents.length < EXPORT_PAGE) return { records: count, commits: 0, versions: count };
    afterAgent = agents[agents.length - 1]!.agentId;
  }
}

/**
 * The log's commits up to atTs, in order. Below the horizon, a commit's entry stays while one of
 * its versions is kept: the versions compaction removed are left out of its line, so that the
 * restored namespace has exactly the versions the source has.
 */
async function* commitLines(
  records: RecordRepository,
  plan: ExportPlan,
  atTs: number,
  horizon: number,
): AsyncGenerator<string, Counts, undefined> {
  let commits = 0;
  let versions = 0;
  let from = 1;
  while (from <= atTs) {
    const page = await records.logPage(plan.namespace, from, atTs, LOG_PAGE);
    const removed = await removedInPage(records, plan.namespace, page, horizon);
    for (const { commitTs, txId, fields } of page) {
      const ops: string[] = [];
      let time: number | undefined;
      for (let i = 0; i < fields.length; i += 2) {
        const field = fields[i]!;
        const cut = field.indexOf(SEPARATOR);
        if (cut < 0) {
          // Not a record: the commit's time (COMMIT_TIME_FIELD of applyOperations.lua).
          if (field === COMMIT_TIME_FIELD) time = Number(fields[i + 1]);
          continue;
        }
        const agentId = field.slice(0, cut);
        if (!agentId.startsWith(plan.agentPrefix)) continue;
        const logged = fields[i + 1]!;
        if (removed.has(versionFieldOf(field, logged))) continue;
        ops.push(operationText(agentId, field.slice(cut + 1), logged));
      }
      // A commit of other agents only is left out of a filtered dump; an empty commit is kept
      // in a whole one (the log and the commitTs sequence stay as they were).
      const recorded = fields.length - (time === undefined ? 0 : 2);
      if (ops.length === 0 && (recorded > 0 || plan.agentPrefix !== '')) continue;
      yield commitLine(commitTs, txId, ops, time);
      commits++;
      versions += ops.length;
    }
    if (page.length < LOG_PAGE) break;
    from = page[page.length - 1]!.commitTs + 1;
  }
  return { records: 0, commits, versions };
}

/** The version index fields of a page's commits below the horizon that compaction removed. */
function removedInPage(
  records: RecordRepository,
  namespace: string,
  page: ReadonlyArray<{ commitTs: number; fields: string[] }>,
  horizon: number,
): Promise<Set<string>> {
  const below: string[] = [];
  for (const { commitTs, fields } of page) {
    if (commitTs >= horizon) break; // every version from the horizon on is kept
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i]!.includes(SEPARATOR)) below.push(versionFieldOf(fields[i]!, fields[i + 1]!));
    }
  }
  return records.removedVersions(namespace, below);
}

/** The version index field (agentId NUL key NUL version) of a logged operation ("<version>:..."). */
function versionFieldOf(field: string, logged: string): string {
  return field + SEPARATOR + logged.slice(0, logged.indexOf(':'));
}

/** A history export as of atTs that compaction overtook: the state as of atTs is not whole. */
function exportOvertaken(horizon: number, atTs: number): VersionCompactedError {
  return new VersionCompactedError(
    '',
    '',
    null,
    horizon,
    atTs,
    `Version compacted: compaction moved the namespace's horizon to commitTs ${horizon}, past ` +
      `this history export's atTs ${atTs}, while it ran: the history as of atTs is not whole ` +
      `any more. Export as of commitTs ${horizon} or later`,
  );
}
