import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { RunningServer } from '../src/server';
import { failure, json, startTestServer, struct, V1 } from './support/server';

// statehouse.v1 over real network connections: every RPC, its success and its error statuses.

let server: RunningServer;
let v1: V1;
let ns: string;

beforeAll(async () => {
  server = await startTestServer();
  v1 = new V1(server.grpcPort);
});

afterAll(async () => {
  v1.close();
  await server.close();
});

beforeEach(() => {
  ns = `g-${randomBytes(5).toString('hex')}`;
});

async function begin(timeoutMs?: number): Promise<string> {
  const { txn_id } = await v1.call<{ txn_id: string }>(
    'BeginTransaction',
    timeoutMs === undefined ? {} : { timeout_ms: timeoutMs },
  );
  return txn_id;
}

const write = (txn_id: string, agent_id: string, key: string, value: object, namespace = ns) =>
  v1.call('Write', { txn_id, namespace, agent_id, key, value: struct(value as never) });

describe('Health and Version', () => {
  it('reports ok, and the server version with its git commit', async () => {
    expect(await v1.call('Health')).toEqual({ status: 'ok' });
    const version = await v1.call<{ version: string; git_sha: string }>('Version');
    expect(version.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.git_sha).toMatch(/^([0-9a-f]{40}|unknown)$/);
  });
});

describe('a transaction over statehouse.v1', () => {
  it('writes and deletes atomically, and reads them back with versions, integers intact', async () => {
    const txn = await begin(5000);
    expect(txn).toMatch(/^[0-9a-f-]{36}$/);
    await write(txn, 'agent', 'memory', {
      fact: 'x',
      count: 3,
      nested: { list: [1, 2.5, null, true] },
    });
    await write(txn, 'agent', 'scratch', { tmp: 1 });
    await v1.call('Delete', { txn_id: txn, namespace: ns, agent_id: 'agent', key: 'scratch' });
    // Nothing visible before the commit.
    expect(await v1.call('GetState', { namespace: ns, agent_id: 'agent', key: 'memory' })).toEqual({
      version: 0,
      commit_ts: 0,
      exists: false,
    });
    const { commit_ts } = await v1.call<{ commit_ts: number }>('Commit', { txn_id: txn });
    expect(commit_ts).toBe(1);

    const state = await v1.call<{ value: never; version: number; exists: boolean }>('GetState', {
      namespace: ns,
      agent_id: 'agent',
      key: 'memory',
    });
    expect(json(state.value)).toEqual({
      fact: 'x',
      count: 3,
      nested: { list: [1, 2.5, null, true] },
    });
    expect(state).toMatchObject({ version: 1, commit_ts: 1, exists: true });
    const deleted = await v1.call('GetState', { namespace: ns, agent_id: 'agent', key: 'scratch' });
    expect(deleted).toEqual({ version: 1, commit_ts: 1, exists: false }); // no value field at all

    const v = await v1.call<{ value: never }>('GetStateAtVersion', {
      namespace: ns,
      agent_id: 'agent',
      key: 'memory',
      version: 1,
    });
    expect(json(v.value)).toMatchObject({ count: 3 });
  });

  it('binds the namespace at the first write: a different one later is INVALID_ARGUMENT', async () => {
    const txn = await begin();
    await write(txn, 'a', 'k', { v: 1 });
    expect(await failure(write(txn, 'a', 'k2', { v: 2 }, `${ns}-other`))).toMatchObject({
      status: 'INVALID_ARGUMENT',
      code: 'VALIDATION_FAILED',
    });
    await v1.call('Commit', { txn_id: txn });
    expect((await v1.call('ListKeys', { namespace: ns, agent_id: 'a' })).keys).toEqual(['k']);
  });

  it('treats an empty namespace as "default", and commits an empty transaction', async () => {
    const txn = await begin();
    await write(txn, 'default-agent', 'k', { v: 1 }, '');
    const first = await v1.call<{ commit_ts: number }>('Commit', { txn_id: txn });
    const state = await v1.call('GetState', {
      namespace: 'default',
      agent_id: 'default-agent',
      key: 'k',
    });
    expect(state).toMatchObject({ exists: true, commit_ts: first.commit_ts });
    const empty = await begin();
    const second = await v1.call<{ commit_ts: number }>('Commit', { txn_id: empty });
    expect(second.commit_ts).toBeGreaterThan(first.commit_ts);
  });

  it('answers each refusal with its status and the SDK’s message', async () => {
    const committed = await begin();
    await write(committed, 'a', 'k', { v: 1 });
    await v1.call('Commit', { txn_id: committed });
    expect(await failure(v1.call('Commit', { txn_id: committed }))).toEqual({
      status: 'FAILED_PRECONDITION',
      message: 'Transaction already committed',
      code: 'TRANSACTION_ALREADY_COMMITTED',
    });

    const aborted = await begin();
    await v1.call('Abort', { txn_id: aborted }); // unbound: aborted without a namespace
    await v1.call('Abort', { txn_id: aborted }); // twice: a no-op
    expect(await failure(write(aborted, 'a', 'k', { v: 2 }))).toEqual({
      status: 'FAILED_PRECONDITION',
      message: 'Transaction already aborted',
      code: 'TRANSACTION_ALREADY_ABORTED',
    });

    const boundThenAborted = await begin();
    await write(boundThenAborted, 'a', 'k', { v: 3 });
    await v1.call('Abort', { txn_id: boundThenAborted });
    expect(await failure(v1.call('Commit', { txn_id: boundThenAborted }))).toMatchObject({
      status: 'FAILED_PRECONDITION',
      message: 'Transaction already aborted',
    });

    for (const txn_id of ['', 'not-a-transaction', '00000000-0000-4000-8000-000000000000']) {
      expect((await failure(v1.call('Commit', { txn_id }))).status).toMatch(
        /^(NOT_FOUND|INVALID_ARGUMENT)$/,
      );
    }
    expect(
      await failure(v1.call('Commit', { txn_id: '00000000-0000-4000-8000-000000000000' })),
    ).toMatchObject({ status: 'NOT_FOUND', code: 'TRANSACTION_NOT_FOUND' });
    expect(
      await failure(
        v1.call('GetStateAtVersion', { namespace: ns, agent_id: 'a', key: 'k', version: 9 }),
      ),
    ).toMatchObject({ status: 'NOT_FOUND', code: 'VERSION_NOT_FOUND' });
    expect((await v1.call('GetState', { namespace: ns, agent_id: 'a', key: 'k' })).version).toBe(1);
  });

  it('times out on the server: DEADLINE_EXCEEDED "Transaction timeout", bound or not', async () => {
    const unbound = await begin(50);
    const bound = await begin(300);
    await write(bound, 'a', 'late', { v: 1 });
    await new Promise((done) => setTimeout(done, 400));
    expect(await failure(write(unbound, 'a', 'k', { v: 1 }))).toEqual({
      status: 'DEADLINE_EXCEEDED',
      message: 'Transaction timeout',
      code: 'TRANSACTION_TIMEOUT',
    });
    expect(await failure(v1.call('Commit', { txn_id: bound }))).toMatchObject({
      status: 'DEADLINE_EXCEEDED',
      message: 'Transaction timeout',
    });
    expect((await v1.call('GetState', { namespace: ns, agent_id: 'a', key: 'late' })).exists).toBe(
      false,
    );
  });
});

describe('reads', () => {
  it('lists live keys in byte order and scans a prefix with values and versions', async () => {
    const txn = await begin();
    for (const key of ['step:2', 'step:10', 'plan', 'step:1', 'gone']) {
      await write(txn, 'a', key, { key });
    }
    await v1.call('Commit', { txn_id: txn });
    const del = await begin();
    await v1.call('Delete', { txn_id: del, namespace: ns, agent_id: 'a', key: 'gone' });
    await v1.call('Commit', { txn_id: del });

    expect((await v1.call('ListKeys', { namespace: ns, agent_id: 'a' })).keys).toEqual([
      'plan',
      'step:1',
      'step:10',
      'step:2',
    ]);
    const { entries } = await v1.call<{ entries: Array<Record<string, never>> }>('ScanPrefix', {
      namespace: ns,
      agent_id: 'a',
      prefix: 'step:',
    });
    expect(entries.map((e) => [e.key, json(e.value), e.version, e.commit_ts])).toEqual([
      ['step:1', { key: 'step:1' }, 1, 1],
      ['step:10', { key: 'step:10' }, 1, 1],
      ['step:2', { key: 'step:2' }, 1, 1],
    ]);
    expect((await v1.call('ListKeys', { namespace: ns, agent_id: 'nobody' })).keys ?? []).toEqual(
      [],
    );
  });

  it('replays an agent’s commits in order, bounds inclusive, deletes without a value', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const txn = await begin();
      ids.push(txn);
      await write(txn, 'r', 'k', { i });
      await write(txn, 'someone-else', 'k', { i });
      if (i === 4) await v1.call('Delete', { txn_id: txn, namespace: ns, agent_id: 'r', key: 'k' });
      await v1.call('Commit', { txn_id: txn });
    }
    const all = await v1.replay({ namespace: ns, agent_id: 'r' });
    expect(all.map((e) => e.commit_ts)).toEqual([1, 2, 3, 4]);
    expect(all.map((e) => e.txn_id)).toEqual(ids); // the ids the client was given
    expect(all[3]!.operations).toEqual([{ key: 'k', version: 4 }]); // a delete: no value
    expect((all[0]!.operations as Array<{ value: never }>).map((o) => json(o.value))).toEqual([
      { i: 1 },
    ]);
    const window = await v1.replay({ namespace: ns, agent_id: 'r', start_ts: 2, end_ts: 3 });
    expect(window.map((e) => e.commit_ts)).toEqual([2, 3]);
  });
});

describe('bad input', () => {
  it('refuses invalid names, values and sizes with INVALID_ARGUMENT / RESOURCE_EXHAUSTED', async () => {
    const txn = await begin();
    expect(await failure(write(txn, '', 'k', { v: 1 }))).toMatchObject({
      status: 'INVALID_ARGUMENT',
      code: 'VALIDATION_FAILED',
    });
    expect(await failure(write(txn, 'a', 'bad\u0001key', { v: 1 }))).toMatchObject({
      status: 'INVALID_ARGUMENT',
    });
    expect(
      await failure(v1.call('Write', { txn_id: txn, namespace: ns, agent_id: 'a', key: 'k' })),
    ).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('value') });
    expect(await failure(write(txn, 'a', 'k', { v: 1 }, 'bad\u0001namespace'))).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: 'Invalid namespace: must not contain control characters',
    });
    expect(
      await failure(write(txn, 'a', 'big', { blob: 'x'.repeat(1024 * 1024 + 1) })),
    ).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: expect.stringContaining('must be at most 1048576 bytes'),
    });
    expect(await failure(v1.call('BeginTransaction', { timeout_ms: 10_000_000 }))).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: expect.stringContaining('timeout_ms'),
    });
    // The transaction is still usable after every refusal.
    await write(txn, 'a', 'k', { v: 1 });
    expect((await v1.call('Commit', { txn_id: txn })).commit_ts).toBeGreaterThan(0);
  });

  it('answers a malformed protobuf message with INVALID_ARGUMENT and keeps serving', async () => {
    const raw = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    const status = await new Promise<grpc.ServiceError>((resolve) =>
      raw.makeUnaryRequest(
        '/statehouse.v1.StatehouseService/Commit',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from([0x08, 0x96]), // a varint cut off in the middle
        (error) => resolve(error!),
      ),
    );
    raw.close();
    expect(grpc.status[status.code]).toBe('INVALID_ARGUMENT');
    expect(status.details).toContain('not a valid protobuf message');
    expect(await v1.call('Health')).toEqual({ status: 'ok' });
  });
});

describe('tokens', () => {
  let secured: RunningServer;
  const READER = 'reader-token-0123456789';
  const ADMIN = 'admin-token-0123456789ab';

  beforeAll(async () => {
    secured = await startTestServer({
      tokens: new Map<string, ReadonlySet<string> | '*'>([
        [READER, new Set(['scoped'])],
        [ADMIN, '*'],
      ]),
    });
  });

  afterAll(() => secured.close());

  it('refuses a missing or wrong token and a namespace outside the token’s scope', async () => {
    const anonymous = new V1(secured.grpcPort);
    const wrong = new V1(secured.grpcPort, 'wrong-token-0123456789');
    const reader = new V1(secured.grpcPort, READER);
    const admin = new V1(secured.grpcPort, ADMIN);
    try {
      expect(await failure(anonymous.call('BeginTransaction'))).toMatchObject({
        status: 'UNAUTHENTICATED',
        code: 'UNAUTHENTICATED',
      });
      expect(await failure(wrong.call('GetState', { agent_id: 'a', key: 'k' }))).toMatchObject({
        status: 'UNAUTHENTICATED',
        message: 'Invalid token',
      });
      const { txn_id } = await reader.call<{ txn_id: string }>('BeginTransaction');
      expect(
        await failure(
          reader.call('Write', {
            txn_id,
            namespace: 'other',
            agent_id: 'a',
            key: 'k',
            value: struct({}),
          }),
        ),
      ).toMatchObject({ status: 'PERMISSION_DENIED', code: 'PERMISSION_DENIED' });
      await reader.call('Write', {
        txn_id,
        namespace: 'scoped',
        agent_id: 'a',
        key: 'k',
        value: struct({ ok: true }),
      });
      await reader.call('Commit', { txn_id });
      expect(
        await failure(reader.call('GetState', { namespace: 'other', agent_id: 'a', key: 'k' })),
      ).toMatchObject({ status: 'PERMISSION_DENIED' });
      expect(
        (await admin.call('GetState', { namespace: 'scoped', agent_id: 'a', key: 'k' })).exists,
      ).toBe(true);
    } finally {
      for (const client of [anonymous, wrong, reader, admin]) client.close();
    }
  });

  it('keeps a transaction to the token that began it: another token cannot bind, write, commit or abort it', async () => {
    const OTHER = 'other-token-0123456789ab';
    const other = await startTestServer({
      tokens: new Map<string, ReadonlySet<string> | '*'>([
        [READER, new Set(['scoped'])],
        [OTHER, new Set(['scoped'])],
        [ADMIN, '*'],
      ]),
    });
    const reader = new V1(other.grpcPort, READER);
    const intruders = [new V1(other.grpcPort, OTHER), new V1(other.grpcPort, ADMIN)];
    const denied = {
      status: 'PERMISSION_DENIED',
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('begun with another token'),
    };
    const writeWith = (client: V1, txn_id: string, key = 'k', by = 'intruder') =>
      client.call('Write', {
        txn_id,
        namespace: 'scoped',
        agent_id: 'owned',
        key,
        value: struct({ by }),
      });
    try {
      const unbound = (await reader.call<{ txn_id: string }>('BeginTransaction')).txn_id;
      const bound = (await reader.call<{ txn_id: string }>('BeginTransaction')).txn_id;
      await writeWith(reader, bound, 'k', 'reader');
      for (const intruder of intruders) {
        for (const txn_id of [unbound, bound]) {
          expect(await failure(writeWith(intruder, txn_id))).toMatchObject(denied);
          expect(await failure(intruder.call('Abort', { txn_id }))).toMatchObject(denied);
          expect(await failure(intruder.call('Commit', { txn_id }))).toMatchObject(denied);
        }
      }
      // Both are still the reader's, open and usable.
      await writeWith(reader, unbound, 'k2', 'reader');
      await reader.call('Commit', { txn_id: unbound });
      await reader.call('Commit', { txn_id: bound });
      expect(
        json(
          (await reader.call('GetState', { namespace: 'scoped', agent_id: 'owned', key: 'k' }))
            .value as never,
        ),
      ).toEqual({ by: 'reader' });
    } finally {
      for (const client of [reader, ...intruders]) client.close();
      await other.close();
    }
  });
});

describe('--max-timeout-ms', () => {
  it('accepts timeouts up to the server maximum (default 1 hour) on every API, and names it when refusing', async () => {
    const hour = 3_600_000;
    const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction', {
      timeout_ms: hour,
    });
    await write(txn_id, 'a', 'k', { v: 1 }); // begins the engine's transaction with that deadline
    expect((await v1.call('Commit', { txn_id })).commit_ts).toBeGreaterThan(0);
    const ext = new V1(server.grpcPort, undefined, 'ext');
    try {
      const begun = await ext.call<{ txn_id: string }>('BeginTransaction', {
        namespace: ns,
        timeout_ms: hour,
      });
      await ext.call('Abort', { txn_id: begun.txn_id });
    } finally {
      ext.close();
    }
    const http = await fetch(`http://127.0.0.1:${server.httpPort}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: ns, timeoutMs: hour }),
    });
    expect(http.status).toBe(201);
    expect(await failure(v1.call('BeginTransaction', { timeout_ms: hour + 1 }))).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: expect.stringContaining('3600000'),
    });

    const small = await startTestServer({
      limits: {
        maxTimeoutMs: 5000,
        finishedTransactionRetentionMs: 120_000,
        maxOpenTransactionsPerNamespace: 1000,
        maxStagedBytesPerNamespace: 1 << 20,
      },
    });
    const limited = new V1(small.grpcPort);
    try {
      expect(await failure(limited.call('BeginTransaction', { timeout_ms: 5001 }))).toMatchObject({
        status: 'INVALID_ARGUMENT',
        message: expect.stringContaining('5000'),
      });
      expect(await limited.call('BeginTransaction', { timeout_ms: 5000 })).toHaveProperty('txn_id');
    } finally {
      limited.close();
      await small.close();
    }
  });
});
