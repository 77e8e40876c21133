import fc from 'fast-check';
import { Redis } from 'ioredis';
import {
  Statehouse,
  TransactionConflictError,
  TransactionError,
  ValidationError,
  VersionNotFoundError,
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
  anyName,
  anyValue,
  isIntegerIn,
  isValidName,
  outcome,
  type ValueCase,
} from './support/bad-input';

import {
  expectStateError,
  expectSuccess,
  expectValidationError,
  finishAndCheckKeys,
} from './support/property-checks';

// Bad input at scale: generated names, values, options and sequences of calls over the public API.
// Every call resolves or rejects with one of the library's typed errors; invalid input is a
// ValidationError that leaves the transaction usable; reads match an in-memory model; and
// afterwards nothing stray is left in Redis. fast-check prints the seed and the shrunk case of a
// failure: rerun it with `fc.assert(..., { seed, path })`.

const MAX_VALUE_BYTES = 4096;
const MAX_TIMEOUT_MS = 600_000;

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
// 1. Single calls with generated arguments, against the contract's rules as an oracle.

const optionalField = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.option(arbitrary, { nil: undefined, freq: 2 });

const anyTimeout = fc.oneof(
  fc.constantFrom(0, -1, 1.5, NaN, Infinity, -Infinity, 600_001, 1e300, null, '1000', [], {}),
  fc.integer({ min: 60_000, max: MAX_TIMEOUT_MS }),
  fc.double({ min: -10, max: 1e7 }),
);
const anyBoolean = fc.oneof(fc.boolean(), fc.constantFrom('true', 1, 0, null, {}));
const anyInteger = fc.oneof(
  fc.integer({ min: -2, max: 6 }),
  fc.constantFrom(1.5, NaN, Infinity, '2', null, 2 ** 53, [], true),
);

interface BeginCase {
  timeoutMs?: unknown;
  namespace?: unknown;
  lazy?: unknown;
  buffered?: unknown;
  readOnly?: unknown;
  readTs?: unknown;
  maxWaitMs?: unknown;
}

/** Stands for the run's namespace in generated input. */
const HERE = '<this namespace>';

const beginCase: fc.Arbitrary<BeginCase> = fc.record(
  {
    timeoutMs: anyTimeout,
    namespace: fc.oneof(
      fc.constant(HERE),
      // Invalid ones only (another valid namespace would leave keys elsewhere).
      fc.constantFrom('', 'a\u0000b', 'a\nb', '\u0085', '\ud800', 'é'.repeat(129), 7, null),
    ),
    lazy: anyBoolean,
    buffered: anyBoolean,
    readOnly: anyBoolean,
    readTs: anyInteger,
    maxWaitMs: fc.oneof(fc.constantFrom(0, 10, -1, 1.5, '5', 600_001), fc.nat(1000)),
  },
  { requiredKeys: [] },
);

/** The contract's rules for beginTransaction's options (`lastTs`: the namespace's last commit). */
function validBegin(options: BeginCase, namespace: string, lastTs: number): boolean {
  const isBool = (value: unknown) => value === undefined || typeof value === 'boolean';
  if (options.timeoutMs !== undefined && !isIntegerIn(options.timeoutMs, 1, MAX_TIMEOUT_MS)) {
    return false;
  }
  if (options.namespace !== undefined && options.namespace !== namespace) return false;
  if (!isBool(options.lazy) || !isBool(options.buffered) || !isBool(options.readOnly)) return false;
  if (options.maxWaitMs !== undefined && !isIntegerIn(options.maxWaitMs, 0, 600_000)) return false;
  if (options.readOnly === true) {
    if (options.buffered === true) return false;
    return options.readTs === undefined || isIntegerIn(options.readTs, 0, lastTs);
  }
  return options.readTs === undefined;
}

type Call =
  | { call: 'begin'; options: BeginCase }
  | { call: 'write'; tx: number; agentId: unknown; key: unknown; value: ValueCase }
  | { call: 'delete'; tx: number; agentId: unknown; key: unknown }
  | { call: 'get'; tx: number; agentId: unknown; key: unknown }
  | { call: 'txList'; tx: number; agentId: unknown; prefix: unknown; limit: unknown }
  | { call: 'getState'; agentId: unknown; key: unknown; atTs: unknown }
  | { call: 'getStateAtVersion'; agentId: unknown; key: unknown; version: unknown }
  | { call: 'listKeys'; agentId: unknown; limit: unknown; cursor: unknown }
  | { call: 'scanPrefix'; agentId: unknown; prefix: unknown; limit: unknown }
  | { call: 'replay'; agentId: unknown; startTs: unknown; endTs: unknown }
  | { call: 'commit' | 'abort'; tx: number }
  | { call: 'notAnObject'; method: string; argument: unknown };

const anyPrefix = fc.oneof(anyName, fc.constantFrom('', 's', 'step:', '🦜'));
const anyCursor = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    '',
    '!!',
    'AAAA',
    7,
    'c3RlcDo',
    Buffer.from('\u0000').toString('base64url'),
  ),
  fc.string({ maxLength: 8 }),
);

const tx = fc.nat(5);
const callArbitrary: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ call: fc.constant('begin' as const), options: beginCase }),
  fc.record({
    call: fc.constant('write' as const),
    tx,
    agentId: anyName,
    key: anyName,
    value: anyValue(MAX_VALUE_BYTES),
  }),
  fc.record({ call: fc.constant('delete' as const), tx, agentId: anyName, key: anyName }),
  fc.record({ call: fc.constant('get' as const), tx, agentId: anyName, key: anyName }),
  fc.record({
    call: fc.constant('txList' as const),
    tx,
    agentId: anyName,
    prefix: anyPrefix,
    limit: optionalField(anyInteger),
  }),
  fc.record({
    call: fc.constant('getState' as const),
    agentId: anyName,
    key: anyName,
    atTs: optionalField(anyInteger),
  }),
  fc.record({
    call: fc.constant('getStateAtVersion' as const),
    agentId: anyName,
    key: anyName,
    version: anyInteger,
  }),
  fc.record({
    call: fc.constant('listKeys' as const),
    agentId: anyName,
    limit: optionalField(anyInteger),
    cursor: anyCursor,
  }),
  fc.record({
    call: fc.constant('scanPrefix' as const),
    agentId: anyName,
    prefix: anyPrefix,
    limit: optionalField(anyInteger),
  }),
  fc.record({
    call: fc.constant('replay' as const),
    agentId: anyName,
    startTs: optionalField(anyInteger),
    endTs: optionalField(anyInteger),
  }),
  fc.record({ call: fc.constantFrom('commit' as const, 'abort' as const), tx }),
  fc.record({
    call: fc.constant('notAnObject' as const),
    method: fc.constantFrom(
      'beginTransaction',
      'getState',
      'getStateAtVersion',
      'listKeys',
      'scanPrefix',
      'replay',
      'write',
      'delete',
      'get',
      'listKeysInTx',
    ),
    argument: fc.constantFrom(null, 'agent', 42, [], ['a', 'k'], true),
  }),
);

/** A transaction of the fuzz run, and whether short timeouts or read-only may refuse operations. */
interface FuzzTx {
  readonly tx: Transaction<string | null>;
  readonly readOnly: boolean;
}

async function runCall(namespace: string, txs: FuzzTx[], step: Call): Promise<void> {
  const what = fc.stringify(step);
  const pick = 'tx' in step ? txs[step.tx % Math.max(1, txs.length)] : undefined;
  const name = (value: unknown) => isValidName(value);
  const optionalInt = (value: unknown, min: number, max?: number) =>
    value === undefined || isIntegerIn(value, min, max);

  /** An operation on a transaction: invalid input is a ValidationError and the transaction stays open. */
  const onTx = async (
    valid: boolean,
    operation: (tx: Transaction<string | null>) => Promise<unknown>,
    writes: boolean,
  ): Promise<void> => {
    if (!pick) return;
    const before = pick.tx.state;
    const result = await outcome(() => operation(pick.tx));
    if (before !== 'open') {
      if (result.ok) throw new Error(`${what}: a ${before} transaction accepted an operation`);
      if (!valid && result.error instanceof ValidationError) return;
      expect(result.error).toBeInstanceOf(TransactionError);
      return;
    }
    if (pick.readOnly && writes) {
      if (result.ok) throw new Error(`${what}: a read-only transaction accepted a write`);
      if (!valid && result.error instanceof ValidationError) return;
      expect(result.error.code).toBe('TRANSACTION_READ_ONLY');
      return;
    }
    if (!valid) {
      expectValidationError(result, what);
      expect(pick.tx.state).toBe('open');
      // Still usable: a valid read goes through.
      expectSuccess(await outcome(() => pick.tx.get({ agentId: 'probe', key: 'probe' })), what);
      return;
    }
    expectSuccess(result, what);
  };

  /** A call outside transactions: valid input succeeds (`allowed`: other typed outcomes). */
  const onClient = async (
    valid: boolean,
    call: () => Promise<unknown>,
    allowed: (error: unknown) => boolean = () => false,
  ): Promise<void> => {
    const result = await outcome(call);
    if (!valid) return expectValidationError(result, what);
    if (!result.ok && allowed(result.error)) return;
    expectSuccess(result, what);
  };

  switch (step.call) {
    case 'begin': {
      const options =
        step.options.namespace === HERE ? { ...step.options, namespace } : step.options;
      const lastTs = await client.lastCommitTs(namespace);
      const valid = validBegin(options, namespace, lastTs);
      const result = await outcome(() => client.beginTransaction(options as never));
      if (!valid) return expectValidationError(result, what);
      txs.push({ tx: expectSuccess(result, what), readOnly: step.options.readOnly === true });
      return;
    }
    case 'write':
      return onTx(
        name(step.agentId) && name(step.key) && step.value.valid,
        (tx) =>
          tx.write({ agentId: step.agentId, key: step.key, value: step.value.value } as never),
        true,
      );
    case 'delete':
      return onTx(
        name(step.agentId) && name(step.key),
        (tx) => tx.delete({ agentId: step.agentId, key: step.key } as never),
        true,
      );
    case 'get':
      return onTx(
        name(step.agentId) && name(step.key),
        (tx) => tx.get({ agentId: step.agentId, key: step.key } as never),
        false,
      );
    case 'txList':
      return onTx(
        name(step.agentId) && isValidName(step.prefix, true) && optionalInt(step.limit, 1, 10_000),
        (tx) =>
          tx.scanPrefix({ agentId: step.agentId, prefix: step.prefix, limit: step.limit } as never),
        false,
      );
    case 'commit':
      if (!pick) return;
      if (pick.tx.state === 'open') {
        const result = await outcome(() => pick.tx.commit());
        // A commit may conflict with another transaction of this run; nothing else may refuse it.
        if (!result.ok) expect(result.error).toBeInstanceOf(TransactionConflictError);
      } else {
        expectStateError(
          await outcome(() => pick.tx.commit()),
          pick.tx.state as 'committed' | 'aborted',
          false,
          what,
        );
      }
      return;
    case 'abort': {
      if (!pick) return;
      const committed = pick.tx.state === 'committed';
      const result = await outcome(() => pick.tx.abort());
      if (committed) return expectStateError(result, 'committed', false, what);
      expectSuccess(result, what);
      expect(pick.tx.state).toBe('aborted');
      return;
    }
    case 'getState': {
      // Like readTs, atTs must not be after the namespace's last commit.
      const lastTs = await client.lastCommitTs(namespace);
      return onClient(
        name(step.agentId) && name(step.key) && optionalInt(step.atTs, 0, lastTs),
        () =>
          client.getState({
            namespace,
            agentId: step.agentId,
            key: step.key,
            ...(step.atTs === undefined ? {} : { atTs: step.atTs }),
          } as never),
      );
    }
    case 'getStateAtVersion':
      return onClient(
        name(step.agentId) && name(step.key) && isIntegerIn(step.version, 1),
        () =>
          client.getStateAtVersion({
            namespace,
            agentId: step.agentId,
            key: step.key,
            version: step.version,
          } as never),
        (error) => error instanceof VersionNotFoundError,
      );
    case 'listKeys': {
      const cursorValid =
        step.cursor === undefined ||
        step.cursor === null ||
        (typeof step.cursor === 'string' &&
          step.cursor !== '' &&
          Buffer.from(Buffer.from(step.cursor, 'base64url').toString('utf8'), 'utf8').toString(
            'base64url',
          ) === step.cursor &&
          isValidName(Buffer.from(step.cursor, 'base64url').toString('utf8')));
      return onClient(name(step.agentId) && optionalInt(step.limit, 1, 10_000) && cursorValid, () =>
        client.listKeys({
          namespace,
          agentId: step.agentId,
          limit: step.limit,
          cursor: step.cursor,
        } as never),
      );
    }
    case 'scanPrefix':
      return onClient(
        name(step.agentId) && isValidName(step.prefix, true) && optionalInt(step.limit, 1, 10_000),
        () =>
          client.scanPrefix({
            namespace,
            agentId: step.agentId,
            prefix: step.prefix,
            limit: step.limit,
          } as never),
      );
    case 'replay':
      return onClient(
        name(step.agentId) && optionalInt(step.startTs, 0) && optionalInt(step.endTs, 0),
        () =>
          collect(
            client.replay({
              namespace,
              agentId: step.agentId,
              startTs: step.startTs,
              endTs: step.endTs,
            } as never),
          ),
      );
    case 'notAnObject': {
      const argument = step.argument as never;
      const calls: Record<string, () => unknown> = {
        beginTransaction: () => client.beginTransaction(argument),
        getState: () => client.getState(argument),
        getStateAtVersion: () => client.getStateAtVersion(argument),
        listKeys: () => client.listKeys(argument),
        scanPrefix: () => client.scanPrefix(argument),
        replay: () => collect(client.replay(argument)),
      };
      if (step.method in calls) {
        return expectValidationError(await outcome(calls[step.method]!), what);
      }
      const txCalls: Record<string, (tx: Transaction<string | null>) => Promise<unknown>> = {
        write: (tx) => tx.write(argument),
        delete: (tx) => tx.delete(argument),
        get: (tx) => tx.get(argument),
        listKeysInTx: (tx) => tx.listKeys(argument),
      };
      const writes = step.method === 'write' || step.method === 'delete';
      return onTx(false, txCalls[step.method]!, writes);
    }
  }
}

describe('generated calls with valid and invalid input', () => {
  // Found by the property below: a read-only begin ignored its other options unchecked.
  it('checks every option of a read-only begin', async () => {
    for (const options of [{ lazy: 'true' }, { maxWaitMs: -1 }, { detached: 1 }, { id: 'x' }]) {
      await expect(
        client.beginTransaction({ readOnly: true, ...options } as never),
      ).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('each resolves or rejects with a typed error; invalid input is a ValidationError; nothing stray is left', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callArbitrary, { minLength: 1, maxLength: 25 }), async (steps) => {
        const namespace = someNamespace('pf');
        const txs: FuzzTx[] = [];
        for (const step of steps) await runCall(namespace, txs, step);
        await finishAndCheckKeys(
          client,
          redis,
          namespace,
          txs.map(({ tx }) => tx),
        );
      }),
      { numRuns: 400 },
    );
  });
});
