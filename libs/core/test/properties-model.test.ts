import fc from 'fast-check';
import { Redis } from 'ioredis';
import {
  Statehouse,
  TransactionConflictError,
  VersionNotFoundError,
  type JsonObject,
  type ReplayEvent,
  type StateResult,
  type Transaction,
} from '@statehouse/core';
import {
  closeClients,
  collect,
  connectClient,
  redisUrl,
  someNamespace,
} from './support/statehouse';
import {
  anyValue,
  asStored,
  isIntegerIn,
  isValidName,
  outcome,
  utf8Order,
  INVALID_NAMES,
  MARKER,
  TRICKY_NAMES,
  type Outcome,
  type ValueCase,
} from './support/bad-input';

import {
  expectStateError,
  expectSuccess,
  expectValidationError,
  finishAndCheckKeys,
} from './support/property-checks';

// Bad input at scale, part 2: generated sequences of calls over the public API against a model.
// Every call resolves or rejects with one of the library's typed errors; invalid input is a
// ValidationError that leaves the transaction usable; reads match an in-memory model; and
// afterwards nothing stray is left in Redis. fast-check prints the seed and the shrunk case of a
// failure: rerun it with `fc.assert(..., { seed, path })`.

const MAX_VALUE_BYTES = 4096;

let client: Statehouse;
let redis: Redis;

beforeAll(async () => {
  client = await connectClient({ maxValueBytes: MAX_VALUE_BYTES, replayPageSize: 3 });
  redis = new Redis(redisUrl());
});

afterAll(async () => {
  redis.disconnect();
  await closeClients();
});

// ---------------------------------------------------------------------------------------------
// 2. Sequences of calls against an in-memory model of the contract.

const AGENTS = ['agent', 'a:b/{c}', '🦜', `${MARKER}-agent`];
const KEYS = TRICKY_NAMES.filter((name) => !name.includes('\u00a0'))
  .slice(0, 14)
  .concat([`${MARKER}:k`, 'x'.repeat(256)]);
const PREFIXES = ['', 's', 'step:', 'step:1', '🦜', 'é', 'e', '\ue000', '{', 'x'];

/** A model name: usually one of a few (so records collide), sometimes an invalid one. */
const modelName = (pool: string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...pool), weight: 8 },
    { arbitrary: fc.constantFrom(...INVALID_NAMES, undefined, 5), weight: 1 },
  );

type Step =
  | { step: 'begin'; kind: 'staged' | 'lazy' | 'buffered' }
  | { step: 'write'; tx: number; agentId: unknown; key: unknown; value: ValueCase }
  | { step: 'delete'; tx: number; agentId: unknown; key: unknown }
  | { step: 'get'; tx: number; agentId: unknown; key: unknown }
  | { step: 'commit' | 'abort'; tx: number }
  | { step: 'getState'; agentId: unknown; key: unknown }
  | { step: 'getStateAtVersion'; agentId: unknown; key: unknown; version: unknown }
  | { step: 'listKeys'; agentId: unknown; limit: number }
  | { step: 'scanPrefix'; agentId: unknown; prefix: unknown; limit: number }
  | { step: 'replay'; agentId: unknown; startTs: number | undefined; endTs: number | undefined };

const modelAgent = modelName(AGENTS);
const modelKey = modelName(KEYS);
/**
 * Which transaction: mostly an open one (counted from the latest), sometimes (100 + n) any one, so
 * that finished transactions get calls too.
 */
const txPick = fc.oneof(
  { arbitrary: fc.nat(3), weight: 5 },
  { arbitrary: fc.integer({ min: 100, max: 104 }), weight: 1 },
);
const ts = fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined });

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      step: fc.constant('begin' as const),
      kind: fc.constantFrom('staged' as const, 'lazy' as const, 'buffered' as const),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      step: fc.constant('write' as const),
      tx: txPick,
      agentId: modelAgent,
      key: modelKey,
      value: anyValue(MAX_VALUE_BYTES),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      step: fc.constant('delete' as const),
      tx: txPick,
      agentId: modelAgent,
      key: modelKey,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      step: fc.constant('get' as const),
      tx: txPick,
      agentId: modelAgent,
      key: modelKey,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ step: fc.constant('commit' as const), tx: txPick }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ step: fc.constant('abort' as const), tx: txPick }),
    weight: 1,
  },
  fc.record({ step: fc.constant('getState' as const), agentId: modelAgent, key: modelKey }),
  fc.record({
    step: fc.constant('getStateAtVersion' as const),
    agentId: modelAgent,
    key: modelKey,
    version: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, -1, 1.5, '1', null)),
  }),
  fc.record({
    step: fc.constant('listKeys' as const),
    agentId: modelAgent,
    limit: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    step: fc.constant('scanPrefix' as const),
    agentId: modelAgent,
    prefix: fc.oneof(fc.constantFrom(...PREFIXES), fc.constantFrom('\u0000', '\udc00', 7)),
    limit: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ step: fc.constant('replay' as const), agentId: modelAgent, startTs: ts, endTs: ts }),
);

interface Version {
  readonly value: JsonObject | null;
  readonly commitTs: number;
}
interface ModelOperation {
  readonly agentId: string;
  readonly key: string;
  readonly value: JsonObject | null;
}
interface ModelTx {
  state: 'open' | 'committed' | 'aborted';
  /** Last operation per record, in the order of their last staging. */
  readonly staged: Map<string, ModelOperation>;
  /** The version each record had at this transaction's first read of it. */
  readonly reads: Map<string, number>;
}

/** The committed state of a namespace as the contract describes it. */
class Model {
  /** record (agentId NUL key) -> every version, index = version - 1 (tombstones: value null). */
  readonly records = new Map<string, Version[]>();
  readonly events: Array<{ txId: string; commitTs: number; operations: ModelOperation[] }> = [];
  lastTs = 0;

  versions(agentId: string, key: string): Version[] {
    return this.records.get(`${agentId}\u0000${key}`) ?? [];
  }

  state(agentId: string, key: string): StateResult {
    const versions = this.versions(agentId, key);
    const last = versions[versions.length - 1];
    return {
      exists: last?.value != null,
      value: last?.value ?? null,
      version: versions.length,
      commitTs: last?.commitTs ?? 0,
    };
  }

  liveKeys(agentId: string, prefix = ''): string[] {
    const keys: string[] = [];
    for (const [record, versions] of this.records) {
      const [agent, key] = record.split('\u0000') as [string, string];
      if (agent === agentId && key.startsWith(prefix) && versions[versions.length - 1]!.value) {
        keys.push(key);
      }
    }
    return keys.sort(utf8Order);
  }

  /** Applies a commit of `tx` at `commitTs`. */
  commit(tx: ModelTx, txId: string, commitTs: number): void {
    const operations = [...tx.staged.values()];
    for (const op of operations) {
      const record = `${op.agentId}\u0000${op.key}`;
      this.records.set(record, [
        ...(this.records.get(record) ?? []),
        { value: op.value, commitTs },
      ]);
    }
    if (operations.length > 0) this.events.push({ txId, commitTs, operations });
    this.lastTs = commitTs;
  }

  /** A record `tx` read has changed since: its commit must fail. */
  conflicts(tx: ModelTx): boolean {
    return [...tx.reads].some(
      ([record, version]) => (this.records.get(record)?.length ?? 0) !== version,
    );
  }
}

async function runStep(
  namespace: string,
  model: Model,
  txs: Array<{ tx: Transaction<string | null>; model: ModelTx }>,
  step: Step,
): Promise<void> {
  const what = fc.stringify(step);
  const open = txs.filter(({ model }) => model.state === 'open');
  const among = 'tx' in step && step.tx < 100 && open.length > 0 ? open : txs;
  const pick =
    'tx' in step && among.length > 0
      ? among[among.length - 1 - (step.tx % among.length)]!
      : undefined;
  const recordOf = (agentId: string, key: string) => `${agentId}\u0000${key}`;

  /** A staging operation or read of a transaction: state errors, validation, or success. */
  const onTx = async <T>(
    valid: boolean,
    operation: (tx: Transaction<string | null>) => Promise<T>,
  ) => {
    if (!pick) return undefined;
    const result = await outcome(() => operation(pick.tx));
    if (pick.model.state !== 'open') {
      expectStateError(result, pick.model.state, !valid, what);
      return undefined;
    }
    if (!valid) {
      expectValidationError(result, what);
      expect(pick.tx.state).toBe('open');
      return undefined;
    }
    return { value: expectSuccess(result, what) };
  };

  switch (step.step) {
    case 'begin': {
      const tx = expectSuccess(
        await outcome(() =>
          client.beginTransaction({
            namespace,
            timeoutMs: 60_000,
            ...(step.kind === 'staged' ? {} : { [step.kind]: true }),
          }),
        ),
        what,
      );
      txs.push({ tx, model: { state: 'open', staged: new Map(), reads: new Map() } });
      return;
    }
    case 'write':
    case 'delete': {
      const valid =
        isValidName(step.agentId) &&
        isValidName(step.key) &&
        (step.step === 'delete' || step.value.valid);
      const done = await onTx(valid, (tx) =>
        step.step === 'write'
          ? tx.write({ agentId: step.agentId, key: step.key, value: step.value.value } as never)
          : tx.delete({ agentId: step.agentId, key: step.key } as never),
      );
      if (done && pick) {
        const agentId = step.agentId as string;
        const key = step.key as string;
        const record = recordOf(agentId, key);
        pick.model.staged.delete(record);
        pick.model.staged.set(record, {
          agentId,
          key,
          value: step.step === 'write' ? asStored(step.value.value) : null,
        });
      }
      return;
    }
    case 'get': {
      const valid = isValidName(step.agentId) && isValidName(step.key);
      const done = await onTx(valid, (tx) =>
        tx.get({ agentId: step.agentId, key: step.key } as never),
      );
      if (done && pick) {
        const agentId = step.agentId as string;
        const key = step.key as string;
        const record = recordOf(agentId, key);
        const committed = model.state(agentId, key);
        const staged = pick.model.staged.get(record);
        if (staged) {
          expect(done.value).toEqual({
            exists: staged.value !== null,
            value: staged.value,
            version: committed.version,
            commitTs: committed.commitTs,
            staged: true,
          });
        } else {
          expect(done.value).toEqual({ ...committed, staged: false });
          if (!pick.model.reads.has(record)) pick.model.reads.set(record, committed.version);
        }
      }
      return;
    }
    case 'commit': {
      if (!pick) return;
      const result = await outcome(() => pick.tx.commit());
      if (pick.model.state !== 'open')
        return expectStateError(result, pick.model.state, false, what);
      if (model.conflicts(pick.model)) {
        if (result.ok) throw new Error(`${what}: committed although a record it read had changed`);
        expect(result.error).toBeInstanceOf(TransactionConflictError);
        expect(pick.tx.state).toBe('aborted');
        pick.model.state = 'aborted';
        return;
      }
      const commitTs = expectSuccess(result, what);
      expect(commitTs).toBeGreaterThan(model.lastTs);
      if (model.lastTs === 0) expect(commitTs).toBe(1);
      model.commit(pick.model, pick.tx.id!, commitTs);
      pick.model.state = 'committed';
      return;
    }
    case 'abort': {
      if (!pick) return;
      const result = await outcome(() => pick.tx.abort());
      if (pick.model.state === 'committed')
        return expectStateError(result, 'committed', false, what);
      expectSuccess(result, what); // aborting twice is a no-op
      pick.model.state = 'aborted';
      return;
    }
    case 'getState': {
      const result = await outcome(() =>
        client.getState({ namespace, agentId: step.agentId, key: step.key } as never),
      );
      if (!isValidName(step.agentId) || !isValidName(step.key)) {
        return expectValidationError(result, what);
      }
      expect(expectSuccess(result, what)).toEqual(model.state(step.agentId, step.key));
      return;
    }
    case 'getStateAtVersion': {
      const result = await outcome(() =>
        client.getStateAtVersion({
          namespace,
          agentId: step.agentId,
          key: step.key,
          version: step.version,
        } as never),
      );
      if (!isValidName(step.agentId) || !isValidName(step.key) || !isIntegerIn(step.version, 1)) {
        return expectValidationError(result, what);
      }
      const version = step.version as number;
      const versions = model.versions(step.agentId, step.key);
      if (version > versions.length) {
        expect(result.ok ? result.value : result.error).toBeInstanceOf(VersionNotFoundError);
        return;
      }
      const expected = versions[version - 1]!;
      expect(expectSuccess(result, what)).toEqual({
        exists: expected.value !== null,
        value: expected.value,
        version,
        commitTs: expected.commitTs,
      });
      return;
    }
    case 'listKeys':
    case 'scanPrefix': {
      const prefix = step.step === 'scanPrefix' ? step.prefix : '';
      const valid = isValidName(step.agentId) && isValidName(prefix, true);
      const entries: Array<{
        key: string;
        value?: JsonObject;
        version?: number;
        commitTs?: number;
      }> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const result: Outcome<Array<{ key: string }> | { keys: string[]; cursor: string | null }> =
          await outcome(async () => {
            if (step.step === 'listKeys') {
              return client.listKeys({
                namespace,
                agentId: step.agentId,
                limit: step.limit,
                cursor,
              } as never);
            }
            const page = await client.scanPrefix({
              namespace,
              agentId: step.agentId,
              prefix,
              limit: step.limit,
              cursor,
            } as never);
            return { keys: [], entries: page.entries, cursor: page.cursor } as never;
          });
        if (!valid) return expectValidationError(result, what);
        const page = expectSuccess(result, what) as unknown as {
          keys: string[];
          entries?: typeof entries;
          cursor: string | null;
        };
        expect((page.entries ?? page.keys).length).toBeLessThanOrEqual(step.limit);
        entries.push(...(page.entries ?? page.keys.map((key) => ({ key }))));
        cursor = page.cursor;
        expect(++pages).toBeLessThanOrEqual(KEYS.length + 1);
      } while (cursor !== null);
      const agentId = step.agentId as string;
      const keys = model.liveKeys(agentId, prefix);
      if (step.step === 'listKeys') {
        expect(entries.map((entry) => entry.key)).toEqual(keys);
      } else {
        expect(entries).toEqual(
          keys.map((key) => {
            const state = model.state(agentId, key);
            return { key, value: state.value, version: state.version, commitTs: state.commitTs };
          }),
        );
      }
      return;
    }
    case 'replay': {
      const result = await outcome(() =>
        collect(
          client.replay({
            namespace,
            agentId: step.agentId,
            ...(step.startTs === undefined ? {} : { startTs: step.startTs }),
            ...(step.endTs === undefined ? {} : { endTs: step.endTs }),
          } as never),
        ),
      );
      if (!isValidName(step.agentId)) return expectValidationError(result, what);
      const agentId = step.agentId;
      const from = step.startTs ?? 1;
      const to = step.endTs ?? Number.MAX_SAFE_INTEGER;
      const expected: ReplayEvent[] = [];
      for (const event of model.events) {
        if (event.commitTs < from || event.commitTs > to) continue;
        const operations = event.operations.filter((op) => op.agentId === agentId);
        if (operations.length === 0) continue;
        expected.push({
          txId: event.txId,
          commitTs: event.commitTs,
          operations: operations
            .map((op) => ({
              key: op.key,
              value: op.value,
              version:
                model
                  .versions(agentId, op.key)
                  .findIndex((version) => version.commitTs === event.commitTs) + 1,
            }))
            .sort((a, b) => utf8Order(a.key, b.key)),
        });
      }
      const events = expectSuccess(result, what).map((event) => ({
        ...event,
        operations: [...event.operations].sort((a, b) => utf8Order(a.key, b.key)),
      }));
      // Each event says when it committed (the model cannot know when: a number is all it checks).
      expect(events).toEqual(expected.map((event) => ({ ...event, time: expect.any(Number) })));
      return;
    }
  }
}

describe('generated sequences of calls against a model', () => {
  it('reads match the model, invalid calls change nothing, commitTs increases, nothing stray is left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArbitrary, { minLength: 5, maxLength: 60, size: 'medium' }),
        async (steps) => {
          const namespace = someNamespace('pm');
          const model = new Model();
          const txs: Array<{ tx: Transaction<string | null>; model: ModelTx }> = [];
          for (const step of steps) await runStep(namespace, model, txs, step);
          await finishAndCheckKeys(
            client,
            redis,
            namespace,
            txs.map(({ tx }) => tx),
          );
          // Afterwards every record reads as the model says.
          for (const [record, versions] of model.records) {
            const [agentId, key] = record.split('\u0000') as [string, string];
            expect(await client.getState({ namespace, agentId, key })).toMatchObject({
              version: versions.length,
            });
          }
          expect(await client.lastCommitTs(namespace)).toBe(model.lastTs);
        },
      ),
      { numRuns: 200 },
    );
  });
});
