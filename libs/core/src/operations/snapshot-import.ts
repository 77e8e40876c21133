import { createHash } from 'node:crypto';
import {
  NamespaceNotEmptyError,
  serializeValue,
  SnapshotFormatError,
  StorageUnavailableError,
  validateArgs,
  validateName,
  validateNamespace,
  ValidationError,
  type ImportOptions,
  type ImportSource,
  type ImportSummary,
  type SentOperation,
} from '@statehouse/contract';
import { ScriptCode } from '../commands/script-code';
import type { StatehouseConnection } from '../commands/scripts';
import type { NamespaceKeys } from '../storage/keys';
import type { ListingRepository } from '../storage/listing.repository';
import { SEPARATOR } from '../storage/marks';
import { recordField } from '../storage/record-fields';
import { runCommand } from '../storage/redis-errors';
import {
  parseCommit,
  parseHeader,
  parseLine,
  parseRecord,
  parseTrailer,
  type CommitLine,
  type RecordLine,
  type SnapshotHeader,
  type SnapshotTrailer,
} from './snapshot-format';
import { sourceLines } from './snapshot-lines';

const NOT_EMPTY: number = ScriptCode.NAMESPACE_NOT_EMPTY;
const BAD_VERSION: number = ScriptCode.SNAPSHOT_BAD_VERSION;

/** Records (or operations of commits) per import step: one script call, or one merged commit. */
const BATCH_OPERATIONS = 500;
/**
 * And at most about this much JSON per step: large values make smaller batches, so that a merged
 * batch stays within maxTransactionBytes (16 MiB by default) and a script call stays small.
 */
const BATCH_BYTES = 4 * 1024 * 1024;

export interface ImportDeps {
  readonly redis: StatehouseConnection;
  readonly keys: (namespace: string) => NamespaceKeys;
  readonly listing: ListingRepository;
  /** The client's maxValueBytes: a value the snapshot holds is checked as a write's. */
  readonly maxValueBytes: number;
  /** durability 'replicated': whether enough replicas have the namespace's writes so far. */
  readonly replicated: (namespace: string) => Promise<boolean>;
  /** Registers a namespace before its first write (the registry of listNamespaces). */
  readonly register: (namespace: string) => Promise<void>;
  /** A transaction sent whole, for 'merge' (safe to send again: same id and token). */
  readonly commitOperations: (input: {
    id: string;
    namespace: string;
    commitToken: string;
    operations: SentOperation[];
  }) => Promise<unknown>;
}

/** A batch of lines; a commit keeps its line number (an error names it). */
type Body =
  | { kind: 'records'; items: RecordLine[] }
  | { kind: 'commits'; items: Array<CommitLine & { line: number }> };

/**
 * Imports a snapshot (snapshot-format.ts). Into an empty namespace ('empty-only') it writes the
 * records, or with history the commits, as they were: same versions, same commitTs, same log,
 * in atomic steps of a batch each (importSnapshot-5.lua), resumable after a crash. With 'merge'
 * every batch is one new commit over what the namespace holds, sent with an id and token derived
 * from the snapshot and the batch, so that running the import again never applies a batch twice
 * (within the finished transactions' retention).
 */
export async function importSnapshot(
  deps: ImportDeps,
  source: ImportSource,
  options: ImportOptions,
  defaultNamespace: string | undefined,
  authorize: (namespace: string) => void,
): Promise<ImportSummary> {
  const args = validateArgs<ImportOptions>(options, 'importSnapshot');
  const mode = args.mode ?? 'empty-only';
  if (mode !== 'empty-only' && mode !== 'merge') {
    throw new ValidationError(
      'mode',
      `must be 'empty-only' or 'merge' (got ${JSON.stringify(mode)})`,
    );
  }
  if (args.onProgress !== undefined && typeof args.onProgress !== 'function') {
    throw new ValidationError('onProgress', 'must be a function');
  }
  const requested =
    args.namespace === undefined ? defaultNamespace : validateNamespace(args.namespace);
  const lines = sourceLines(source);
  const first = await lines.next();
  if (first.done) throw new SnapshotFormatError(1, 'the snapshot is empty (no header line)');
  const headerText = first.value.text;
  const header = parseHeader(parseLine(headerText, first.value.line));
  const namespace = requested ?? validateSnapshotNamespace(header.namespace);
  authorize(namespace);
  const snapshot = createHash('sha256').update(headerText).digest('hex').slice(0, 32);
  const writer = new SnapshotWriter(deps, namespace, snapshot, header, mode);
  const resumeAfter = await writer.begin();
  if (resumeAfter === 'done') {
    const summary = writer.summary(await writer.storedSummary());
    await writer.confirmReplicated();
    return summary;
  }

  let batch: Body = header.history
    ? { kind: 'commits', items: [] }
    : { kind: 'records', items: [] };
  let size = 0;
  let bytes = 0;
  let previousTs = 0;
  let trailer: SnapshotTrailer | undefined;
  let lastLine = first.value.line;
  const seen = { records: 0, commits: 0, versions: 0 };
  const flush = async (line: number): Promise<void> => {
    if (batch.items.length > 0 && line > resumeAfter) await writer.write(batch, line);
    batch = { kind: batch.kind, items: [] };
    size = 0;
    bytes = 0;
    args.onProgress?.({ lines: line, records: seen.versions });
  };
  for await (const { text, line } of lines) {
    lastLine = line;
    if (trailer) throw new SnapshotFormatError(line, 'a line after the trailer line');
    const fields = parseLine(text, line);
    if (fields.end === true) {
      trailer = parseTrailer(fields, line);
      await flush(line);
      continue;
    }
    if (batch.kind === 'records') {
      const record = checkItem(parseRecord(fields, line, header.atTs), line, deps.maxValueBytes);
      batch.items.push(record);
      seen.records++;
      seen.versions++;
      size++;
    } else {
      const commit = parseCommit(fields, line, previousTs, header.atTs);
      for (const op of commit.ops) checkItem(op, line, deps.maxValueBytes);
      previousTs = commit.commitTs;
      batch.items.push({ ...commit, line });
      seen.commits++;
      seen.versions += commit.ops.length;
      size += commit.ops.length + 1;
    }
    bytes += text.length;
    if (size >= BATCH_OPERATIONS || bytes >= BATCH_BYTES) await flush(line);
  }
  if (!trailer) {
    throw new SnapshotFormatError(
      lastLine + 1,
      'the snapshot ends before its trailer line ({"end":true,...}): the file is truncated. ' +
        'The batches before it are imported; import the complete file to finish',
    );
  }
  if (
    trailer.records !== seen.records ||
    trailer.commits !== seen.commits ||
    trailer.versions !== seen.versions
  ) {
    throw new SnapshotFormatError(
      lastLine,
      `the trailer counts ${trailer.records} records, ${trailer.commits} commits and ` +
        `${trailer.versions} versions, but the file holds ${seen.records}, ${seen.commits} and ` +
        `${seen.versions}: lines are missing or were added`,
    );
  }
  const horizon = header.history ? Math.max(header.compactedTs ?? 0, trailer.compactedTs ?? 0) : 0;
  if (horizon > header.atTs) {
    throw new SnapshotFormatError(
      lastLine,
      `the trailer's "compactedTs" (${horizon}) is after the header's "atTs" (${header.atTs})`,
    );
  }
  const summary = writer.summary(await writer.finish(lastLine, seen, horizon));
  await writer.confirmReplicated();
  return summary;
}

function validateSnapshotNamespace(namespace: string): string {
  try {
    return validateNamespace(namespace);
  } catch (error) {
    if (error instanceof ValidationError) throw new SnapshotFormatError(1, error.message);
    throw error;
  }
}

/** The names and the value of a record or an operation, checked as a write's are. */
function checkItem<T extends { agentId: string; key: string; value: object | null }>(
  item: T,
  line: number,
  maxValueBytes: number,
): T {
  try {
    validateName(item.agentId, 'agentId');
    validateName(item.key, 'key');
    if (item.value !== null) serializeValue(item.value, maxValueBytes);
  } catch (error) {
    if (error instanceof ValidationError) throw new SnapshotFormatError(line, error.message);
    throw error;
  }
  return item;
}

type Counts = { records: number; commits: number; versions: number };

/** Where an import's batches go: the import script (empty-only), or merged commits. */
class SnapshotWriter {
  private readonly keys: NamespaceKeys;
  private batchNumber = 0;
  /** Commits written by a merge. */
  private merged = 0;

  constructor(
    private readonly deps: ImportDeps,
    readonly namespace: string,
    private readonly snapshot: string,
    private readonly header: SnapshotHeader,
    private readonly mode: 'empty-only' | 'merge',
  ) {
    this.keys = deps.keys(namespace);
  }

  /** Starts (or resumes) the import: the line to resume after, or 'done' when it was complete. */
  async begin(): Promise<number | 'done'> {
    await this.deps.register(this.namespace);
    if (this.mode === 'merge') return 0;
    const [code, detail] = await this.step('begin', 0, []);
    if (code === NOT_EMPTY) throw new NamespaceNotEmptyError(this.namespace, String(detail));
    if (code === 2) return 'done';
    return Number(detail || 0);
  }

  async write(batch: Body, line: number): Promise<void> {
    this.batchNumber++;
    if (this.mode === 'merge') return this.merge(batch);
    const argv: string[] = [];
    if (batch.kind === 'records') {
      for (const r of batch.items) {
        argv.push(
          recordField(r.agentId, r.key),
          String(r.version),
          String(r.commitTs),
          JSON.stringify(r.value),
        );
      }
    } else {
      for (const c of batch.items) {
        argv.push(String(c.commitTs), c.txId, c.time === undefined ? '' : String(c.time));
        argv.push(String(c.ops.length));
        for (const op of c.ops) argv.push(String(op.version));
        for (const op of c.ops) {
          argv.push(
            op.value === null ? 'd' : 'w',
            recordField(op.agentId, op.key),
            op.value === null ? '' : JSON.stringify(op.value),
          );
        }
      }
    }
    const result = await this.step(batch.kind, line, argv);
    if (result[0] === BAD_VERSION && batch.kind === 'commits') throw badVersion(batch, result);
    this.refuseUnlessOk(result);
  }

  private async merge(batch: Body): Promise<void> {
    const commits: SentOperation[][] =
      batch.kind === 'records'
        ? [
            batch.items.map((r) => ({
              op: 'write',
              agentId: r.agentId,
              key: r.key,
              value: r.value,
            })),
          ]
        : batch.items.map((c) =>
            c.ops.map((op): SentOperation =>
              op.value === null
                ? { op: 'delete', agentId: op.agentId, key: op.key }
                : { op: 'write', agentId: op.agentId, key: op.key, value: op.value },
            ),
          );
    let i = 0;
    for (const operations of commits) {
      // The same snapshot, batch and commit give the same id and token: a re-run is answered
      // with the first run's commitTs instead of applying again.
      const hash = createHash('sha256')
        .update(`${this.snapshot}:${this.namespace}:${this.batchNumber}:${i++}`)
        .digest('hex');
      await this.deps.commitOperations({
        id: `${this.namespace}~${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`,
        namespace: this.namespace,
        commitToken: hash.slice(32, 64),
        operations,
      });
      this.merged++;
    }
  }

  /**
   * `horizon`: with history, the source's compaction horizon (the trailer's, else the header's;
   * 0: none), which the target takes.
   */
  async finish(line: number, seen: Counts, horizon: number): Promise<Counts> {
    const records =
      this.header.history || this.mode === 'merge' ? await this.liveRecords() : seen.records;
    const commits = this.mode === 'merge' ? this.merged : seen.commits;
    const counts = { records, commits, versions: seen.versions };
    if (this.mode === 'empty-only') {
      const finish = [this.header.atTs, counts.records, counts.versions, counts.commits, horizon];
      this.refuseUnlessOk(await this.step('finish', line, finish.map(String)));
    }
    return counts;
  }

  /** A step refused: another snapshot's import, or a commit by someone else meanwhile. */
  private refuseUnlessOk([code, detail]: [number, (string | number)?]): void {
    if (code === NOT_EMPTY) throw new NamespaceNotEmptyError(this.namespace, String(detail));
  }

  /**
   * durability 'replicated': an import is reported only once enough replicas have all of it (a
   * merge's commits wait for theirs already). Otherwise the error says to run it again, which
   * writes nothing more and waits again.
   */
  async confirmReplicated(): Promise<void> {
    if (this.mode === 'merge' || (await this.deps.replicated(this.namespace))) return;
    throw new StorageUnavailableError(
      `the snapshot is imported into ${JSON.stringify(this.namespace)} on the primary, but not ` +
        'enough replicas acknowledged it in time (durability "replicated")',
      {
        advice:
          'Run the same import again: it writes nothing more and waits for the replicas again.',
      },
    );
  }

  async storedSummary(): Promise<Counts> {
    const [records, versions, commits] = await runCommand(undefined, () =>
      this.deps.redis.hmget(this.keys.import, 'records', 'versions', 'commits'),
    );
    return {
      records: Number(records ?? 0),
      versions: Number(versions ?? 0),
      commits: Number(commits ?? 0),
    };
  }

  summary(counts: Counts): ImportSummary {
    return { namespace: this.namespace, ...counts, atTs: this.header.atTs };
  }

  /** The namespace's live records: its agents' key counts (a walk over its agents, once). */
  private async liveRecords(): Promise<number> {
    let total = 0;
    let after: string | undefined;
    for (;;) {
      const { agents } = await this.deps.listing.agents(this.namespace, '', after, 1000);
      for (const agent of agents) total += agent.keyCount;
      if (agents.length < 1000) return total;
      after = agents[agents.length - 1]!.agentId;
    }
  }

  private async step(
    step: 'begin' | 'records' | 'commits' | 'finish',
    line: number,
    argv: string[],
  ): Promise<[number, (string | number)?]> {
    const k = this.keys;
    return runCommand(undefined, () =>
      this.deps.redis.statehouseImportSnapshot(
        k.clock,
        k.log,
        k.state,
        k.index,
        k.import,
        step,
        this.snapshot,
        String(line),
        ...argv,
      ),
    );
  }
}

/** An operation whose version is not above its record's previous one (importSnapshot-5.lua). */
function badVersion(
  batch: Extract<Body, { kind: 'commits' }>,
  [, commitTs, field, version, previous]: [number, ...unknown[]],
): SnapshotFormatError {
  const commit = batch.items.find((c) => c.commitTs === Number(commitTs));
  const [agentId, key] = String(field).split(SEPARATOR);
  return new SnapshotFormatError(
    commit?.line ?? 0,
    `version ${String(version)} of ${JSON.stringify(agentId)}/${JSON.stringify(key)} is not ` +
      `above its previous version (${String(previous)}): a record's versions must grow, commit ` +
      'by commit',
  );
}
