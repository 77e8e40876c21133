import { ScriptCode } from '../commands/script-code';
import type { StatehouseConnection } from '../commands/scripts';
import { ValidationError, VersionCompactedError, VersionNotFoundError } from '@statehouse/contract';
import type { NamespaceKeys } from './keys';
import { EVER_SEPARATOR, HORIZON_MARK, SEPARATOR } from './marks';
import {
  agentIndexMember,
  agentPrefix,
  membershipField,
  prefixRange,
  recordField,
  versionField,
} from './record-fields';
import { runCommand } from './redis-errors';
import { parseLoggedOperation, parseStoredRecord, type StoredRecord } from './stored-value';

/** Records examined per call of a listing as of a commitTs (deleted ones cost but do not count). */
const LIST_AS_OF_BUDGET = 1000;

/** An agent's operation in a logged commit. `value` null is a delete. */
export interface LoggedOperation {
  readonly key: string;
  readonly value: StoredRecord['value'];
  readonly version: number;
}

export interface LoggedEvent {
  readonly txId: string;
  readonly commitTs: number;
  readonly operations: LoggedOperation[];
  /** The compaction horizon a `fromHorizon` replay started at (its first event only). */
  readonly horizon?: number;
  /** When it committed: ms since the epoch on Redis' clock (absent if logged before times were). */
  readonly time?: number;
}

/** Committed records and history in Redis: every read of the public API. Writes nothing. */
export class RecordRepository {
  constructor(
    readonly redis: StatehouseConnection,
    private readonly keys: (namespace: string) => NamespaceKeys,
  ) {}

  async getState(namespace: string, agentId: string, key: string): Promise<StoredRecord | null> {
    const stored = await this.run(undefined, () =>
      this.redis.hget(this.keys(namespace).state, recordField(agentId, key)),
    );
    return stored === null ? null : parseStoredRecord(stored);
  }

  async getStateAtVersion(
    namespace: string,
    agentId: string,
    key: string,
    version: number,
  ): Promise<StoredRecord> {
    const keys = this.keys(namespace);
    const [code, commitTs, logged] = await this.run(undefined, () =>
      this.redis.statehouseGetStateAtVersion(
        keys.state,
        keys.log,
        versionField(agentId, key, version),
        recordField(agentId, key),
        version,
      ),
    );
    if (code === ScriptCode.VERSION_NOT_FOUND)
      throw new VersionNotFoundError(agentId, key, version);
    if (code === ScriptCode.VERSION_COMPACTED)
      throw new VersionCompactedError(agentId, key, version, Number(commitTs));
    const op = parseLoggedOperation(logged!);
    return { version: op.version, commitTs: Number(commitTs), value: op.value };
  }

  /**
   * A record as of `atTs`: the last version committed at or before it (null when none was).
   * Throws ValidationError when `atTs` is after the namespace's last commit.
   */
  async getStateAsOf(
    namespace: string,
    agentId: string,
    key: string,
    atTs: number,
  ): Promise<StoredRecord | null> {
    const keys = this.keys(namespace);
    const [code, version, commitTs, json] = await this.run(undefined, () =>
      this.redis.statehouseGetStateAsOf(
        keys.state,
        keys.log,
        keys.clock,
        recordField(agentId, key),
        atTs,
      ),
    );
    if (code === ScriptCode.FUTURE) {
      throw new ValidationError(
        'atTs',
        `must not be after the namespace's last commitTs (${String(version)})`,
      );
    }
    if (code === ScriptCode.VERSION_COMPACTED) {
      const horizon = Number(version);
      throw atTs < horizon
        ? VersionCompactedError.belowHorizon(horizon, atTs)
        : new VersionCompactedError(agentId, key, null, horizon, atTs);
    }
    if (Number(version) === 0) return null;
    return {
      version: Number(version),
      commitTs: Number(commitTs),
      value: json ? (JSON.parse(json) as StoredRecord['value']) : null,
    };
  }

  /**
   * A page of an agent's records as they were at `atTs` (keys starting with `prefix`, after
   * `after`): examines at most `budget` records that ever existed; `next` is where to continue,
   * null at the end.
   */
  async listAsOf(
    namespace: string,
    agentId: string,
    prefix: string,
    after: string | undefined,
    atTs: number,
    limit: number,
    withValues: boolean,
  ): Promise<{ entries: Array<StoredRecord & { key: string }>; next: string | null }> {
    const keys = this.keys(namespace);
    const [min, max] = prefixRange(
      agentId + EVER_SEPARATOR + prefix,
      after === undefined ? undefined : agentId + EVER_SEPARATOR + after,
    );
    const [code, page, last, done] = await this.run(undefined, () =>
      this.redis.statehouseListAsOf(
        keys.state,
        keys.index,
        keys.log,
        keys.clock,
        agentId,
        min,
        max,
        atTs,
        limit,
        withValues ? '1' : '0',
        LIST_AS_OF_BUDGET,
      ),
    );
    if (code === ScriptCode.FUTURE) {
      throw new ValidationError(
        'readTs',
        `must not be after the namespace's last commitTs (${String(page)})`,
      );
    }
    if (code === ScriptCode.VERSION_COMPACTED) {
      throw page === null
        ? VersionCompactedError.belowHorizon(Number(last), atTs)
        : new VersionCompactedError(agentId, String(page), null, Number(last), atTs);
    }
    const flat = page as Array<string | number>;
    const entries: Array<StoredRecord & { key: string }> = [];
    for (let i = 0; i < flat.length; i += 4) {
      const json = String(flat[i + 3]);
      entries.push({
        key: String(flat[i]),
        version: Number(flat[i + 1]),
        commitTs: Number(flat[i + 2]),
        value: json ? (JSON.parse(json) as StoredRecord['value']) : {},
      });
    }
    return { entries, next: done === 1 || !last ? null : last };
  }

  /** Live keys of an agent starting with `prefix`, after the key `after`, in UTF-8 byte order. */
  async listKeys(
    namespace: string,
    agentId: string,
    prefix: string,
    after: string | undefined,
    limit: number,
  ): Promise<string[]> {
    const [min, max] = this.liveRange(agentId, prefix, after);
    const members = await this.run(undefined, () =>
      this.redis.zrangebylex(this.keys(namespace).index, min, max, 'LIMIT', 0, limit),
    );
    return members.map((member) => member.slice(agentId.length + 1));
  }

  async scanPrefix(
    namespace: string,
    agentId: string,
    prefix: string,
    after: string | undefined,
    limit: number,
  ): Promise<Array<StoredRecord & { key: string }>> {
    const keys = this.keys(namespace);
    const [min, max] = this.liveRange(agentId, prefix, after);
    const flat = await this.run(undefined, () =>
      this.redis.statehouseScanPrefix(keys.index, keys.state, min, max, limit),
    );
    const entries: Array<StoredRecord & { key: string }> = [];
    for (let i = 0; i < flat.length; i += 2) {
      entries.push({ key: flat[i]!.slice(agentId.length + 1), ...parseStoredRecord(flat[i + 1]!) });
    }
    return entries;
  }

  /**
   * A page for a buffered transaction's listing: the committed page (with values or not) and the
   * agent's membership count, read in one snapshot (the count becomes the listing's condition).
   */
  async listWithMembership(
    namespace: string,
    agentId: string,
    prefix: string,
    after: string | undefined,
    limit: number,
    withValues: boolean,
  ): Promise<{
    committed: Array<{ key: string; stored: StoredRecord | null }>;
    membership: number;
  }> {
    const keys = this.keys(namespace);
    const [min, max] = this.liveRange(agentId, prefix, after);
    const flat = await this.run(undefined, () =>
      this.redis.statehouseScanPrefix(
        keys.index,
        keys.state,
        min,
        max,
        limit,
        membershipField(agentId),
        withValues ? '1' : '0',
      ),
    );
    const committed: Array<{ key: string; stored: StoredRecord | null }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      committed.push({
        key: flat[i]!.slice(agentId.length + 1),
        stored: flat[i + 1] ? parseStoredRecord(flat[i + 1]!) : null,
      });
    }
    return { committed, membership: Number(flat[flat.length - 1]) };
  }

  /** Up to `limit` events of the agent with startTs <= commitTs <= endTs, in commit order. */
  async replayPage(
    namespace: string,
    agentId: string,
    startTs: number,
    endTs: number,
    limit: number,
  ): Promise<LoggedEvent[]> {
    const keys = this.keys(namespace);
    const [code, page] = await this.run(undefined, () =>
      this.redis.statehouseReplayPage(
        keys.index,
        keys.log,
        keys.state,
        Buffer.from(`[${agentIndexMember(agentId, startTs)}`),
        Buffer.from(`[${agentIndexMember(agentId, endTs)}`),
        limit,
        agentPrefix(agentId),
        startTs,
      ),
    );
    if (code === ScriptCode.VERSION_COMPACTED) {
      throw VersionCompactedError.belowHorizon(Number(page), startTs, 'replay');
    }
    return (page as Array<[number, string | null, string[], string | null]>).map(
      ([commitTs, txId, flat, time]) => ({
        txId: txId ?? '',
        commitTs: Number(commitTs),
        operations: pairs(flat).map(([key, logged]) => ({ key, ...parseLoggedOperation(logged) })),
        ...(time ? { time: Number(time) } : {}),
      }),
    );
  }

  /**
   * Up to `count` commits of the log with fromTs <= commitTs <= toTs, in commit order, each with
   * its operations as logged (agentId NUL key -> "<version>:<json>", '' json for a delete).
   */
  async logPage(
    namespace: string,
    fromTs: number,
    toTs: number,
    count: number,
  ): Promise<Array<{ commitTs: number; txId: string; fields: string[] }>> {
    const entries = await this.run(undefined, () =>
      this.redis.xrange(this.keys(namespace).log, `${fromTs}-0`, `${toTs}-0`, 'COUNT', count),
    );
    return entries.map(([id, fields]) => ({
      commitTs: Number(id.slice(0, id.indexOf('-'))),
      txId: fields[1] ?? '',
      fields: fields.slice(2),
    }));
  }

  /**
   * Which of these version index fields (agentId NUL key NUL version, as a log entry names a
   * version) compaction removed: the field is gone and the version is not its record's latest (a
   * record restored without history has no index field for its latest). A log entry stays while
   * one of its versions is kept.
   */
  async removedVersions(namespace: string, fields: readonly string[]): Promise<Set<string>> {
    if (fields.length === 0) return new Set();
    const state = this.keys(namespace).state;
    const indexed = await this.run(undefined, () => this.redis.hmget(state, ...fields));
    const unindexed = fields.filter((_, i) => indexed[i] === null);
    if (unindexed.length === 0) return new Set();
    const split = (field: string): [record: string, version: string] => {
      const at = field.lastIndexOf(SEPARATOR);
      return [field.slice(0, at), field.slice(at + 1)];
    };
    const recordsOf = [...new Set(unindexed.map((field) => split(field)[0]))];
    const stored = await this.run(undefined, () => this.redis.hmget(state, ...recordsOf));
    const latest = new Map(
      recordsOf.map((record, i) => {
        const text = stored[i];
        return [record, text ? text.slice(0, text.indexOf(' ')) : null];
      }),
    );
    return new Set(
      unindexed.filter((field) => {
        const [record, version] = split(field);
        return latest.get(record) !== version;
      }),
    );
  }

  /** The namespace's compaction horizon (0: nothing was ever compacted). It only grows. */
  async horizon(namespace: string): Promise<number> {
    const value = await this.run(undefined, () =>
      this.redis.hget(this.keys(namespace).state, HORIZON_MARK),
    );
    return Number(value ?? 0);
  }

  async lastCommitTs(namespace: string): Promise<number> {
    const value = await this.run(undefined, () => this.redis.get(this.keys(namespace).clock));
    return Number(value ?? 0);
  }

  /** How many transactions of the namespace are open in Redis (its deadline index). */
  async openTransactionCount(namespace: string): Promise<number> {
    return this.run(undefined, () => this.redis.zcard(this.keys(namespace).deadlines));
  }

  private liveRange(agentId: string, prefix: string, after: string | undefined): [Buffer, Buffer] {
    return prefixRange(
      agentPrefix(agentId) + prefix,
      after === undefined ? undefined : recordField(agentId, after),
    );
  }

  private run<T>(txId: string | undefined, command: () => Promise<T>): Promise<T> {
    return runCommand(txId, command);
  }
}

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
