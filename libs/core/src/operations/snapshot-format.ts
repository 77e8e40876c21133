import { SnapshotFormatError, type JsonObject } from '@statehouse/contract';

/**
 * The snapshot format (NDJSON, one JSON text per line; docs/design.md, "Snapshots"):
 *
 *   line 1     header  {"format":"statehouse-snapshot","formatVersion":1,"namespace":...,
 *                       "atTs":...,"history":false|true,"agentPrefix":...|null,"createdAt":...,
 *                       "compactedTs":... (only when the source was compacted)}
 *   then, without history, one line per live record as of atTs, by agent then key:
 *                       {"agentId":...,"key":...,"version":...,"commitTs":...,"value":{...}}
 *   or, with history, one line per commit up to atTs, in commit order (the log):
 *                       {"commitTs":...,"txId":...,"ops":[{"agentId":...,"key":...,
 *                        "version":...,"value":{...}|null}, ...]}      (null: a delete)
 *   last line  trailer {"end":true,"records":N,"commits":C,"versions":V[,"compactedTs":H]}
 *
 * The trailer makes a truncated file detectable; its counts are checked against the lines read.
 */
export const SNAPSHOT_FORMAT = 'statehouse-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotHeader {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly formatVersion: number;
  readonly namespace: string;
  readonly atTs: number;
  readonly history: boolean;
  readonly agentPrefix: string | null;
  readonly createdAt: string;
  /**
   * The source namespace's compaction horizon when it was exported (absent: 0, nothing
   * compacted). A history import gives the target the same horizon: below it, the history is
   * not there, and reads and replays say so instead of answering from the part that is.
   */
  readonly compactedTs?: number;
}

export interface SnapshotTrailer {
  readonly end: true;
  /** Record lines (0 with history). */
  readonly records: number;
  /** Commit lines (0 without history). */
  readonly commits: number;
  /** Versions the lines carry: one per record line, or every operation of the commits. */
  readonly versions: number;
  /**
   * With history, the source's horizon when the export ended, if compacted (a compaction that ran
   * during the export may have raised it above the header's): the import's horizon.
   */
  readonly compactedTs?: number;
}

export interface RecordLine {
  readonly agentId: string;
  readonly key: string;
  readonly version: number;
  readonly commitTs: number;
  readonly value: JsonObject;
}

export interface CommitOperationLine {
  readonly agentId: string;
  readonly key: string;
  readonly version: number;
  readonly value: JsonObject | null;
}

export interface CommitLine {
  readonly commitTs: number;
  readonly txId: string;
  /** When it committed (ms, the Redis clock); absent for commits logged before times were. */
  readonly time?: number;
  readonly ops: CommitOperationLine[];
}

/** A commit's line from its log entry: values stay the JSON text they are stored as. */
export function commitLine(
  commitTs: number,
  txId: string,
  ops: string[],
  time: number | undefined,
): string {
  const at = time === undefined ? '' : `,"time":${time}`;
  return `{"commitTs":${commitTs},"txId":${JSON.stringify(txId)}${at},"ops":[${ops.join(',')}]}`;
}

/** An operation of a commit line, from its logged form ("<version>:<json>", '' json: a delete). */
export function operationText(agentId: string, key: string, logged: string): string {
  const colon = logged.indexOf(':');
  const json = logged.slice(colon + 1);
  return (
    `{"agentId":${JSON.stringify(agentId)},"key":${JSON.stringify(key)},` +
    `"version":${logged.slice(0, colon)},"value":${json.length === 0 ? 'null' : json}}`
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Parses one line: a JSON object, else SnapshotFormatError naming the line. */
export function parseLine(text: string, line: number): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFormatError(
      line,
      `not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!isObject(parsed)) throw new SnapshotFormatError(line, 'not a JSON object');
  return parsed;
}

export function parseHeader(fields: Record<string, unknown>): SnapshotHeader {
  if (fields.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotFormatError(
      1,
      `not a Statehouse snapshot (its first line must be the header with "format":"${SNAPSHOT_FORMAT}")`,
    );
  }
  if (fields.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotFormatError(
      1,
      `formatVersion ${JSON.stringify(fields.formatVersion)} is not supported (this version reads ${SNAPSHOT_FORMAT_VERSION})`,
    );
  }
  if (typeof fields.namespace !== 'string' || !isCount(fields.atTs)) {
    throw new SnapshotFormatError(
      1,
      'the header needs "namespace" (a string) and "atTs" (an integer)',
    );
  }
  if (typeof fields.history !== 'boolean') {
    throw new SnapshotFormatError(1, 'the header needs "history" (true or false)');
  }
  if (
    fields.compactedTs !== undefined &&
    (!isCount(fields.compactedTs) || fields.compactedTs > fields.atTs)
  ) {
    throw new SnapshotFormatError(
      1,
      '"compactedTs" of the header must be an integer from 0 to its "atTs" when present',
    );
  }
  return fields as unknown as SnapshotHeader;
}

export function parseTrailer(fields: Record<string, unknown>, line: number): SnapshotTrailer {
  if (!isCount(fields.records) || !isCount(fields.commits) || !isCount(fields.versions)) {
    throw new SnapshotFormatError(line, 'the trailer needs "records", "commits" and "versions"');
  }
  if (fields.compactedTs !== undefined && !isCount(fields.compactedTs)) {
    throw new SnapshotFormatError(line, '"compactedTs" of the trailer must be an integer');
  }
  return fields as unknown as SnapshotTrailer;
}

export function parseRecord(
  fields: Record<string, unknown>,
  line: number,
  atTs: number,
): RecordLine {
  if (typeof fields.agentId !== 'string' || typeof fields.key !== 'string') {
    throw new SnapshotFormatError(line, 'a record needs "agentId" and "key" (strings)');
  }
  if (!isCount(fields.version) || fields.version < 1) {
    throw new SnapshotFormatError(line, 'a record needs "version" (an integer, at least 1)');
  }
  if (!isCount(fields.commitTs) || fields.commitTs < 1 || fields.commitTs > atTs) {
    throw new SnapshotFormatError(
      line,
      `a record needs "commitTs" (an integer, 1 to atTs ${atTs})`,
    );
  }
  if (!isObject(fields.value)) {
    throw new SnapshotFormatError(line, 'a record needs "value" (a JSON object)');
  }
  return fields as unknown as RecordLine;
}

export function parseCommit(
  fields: Record<string, unknown>,
  line: number,
  previousTs: number,
  atTs: number,
): CommitLine {
  if (!isCount(fields.commitTs) || fields.commitTs <= previousTs || fields.commitTs > atTs) {
    throw new SnapshotFormatError(
      line,
      `a commit needs "commitTs", after the previous commit's (${previousTs}) and at most atTs (${atTs})`,
    );
  }
  if (typeof fields.txId !== 'string' || !Array.isArray(fields.ops)) {
    throw new SnapshotFormatError(line, 'a commit needs "txId" (a string) and "ops" (an array)');
  }
  if (fields.time !== undefined && !isCount(fields.time)) {
    throw new SnapshotFormatError(line, 'a commit\'s "time" must be a whole number of ms');
  }
  for (const op of fields.ops as unknown[]) {
    if (
      !isObject(op) ||
      typeof op.agentId !== 'string' ||
      typeof op.key !== 'string' ||
      !isCount(op.version) ||
      op.version < 1 ||
      !(op.value === null || isObject(op.value))
    ) {
      throw new SnapshotFormatError(
        line,
        'each operation needs "agentId", "key", "version" (at least 1) and "value" (an object, or null for a delete)',
      );
    }
  }
  return fields as unknown as CommitLine;
}
