import { randomBytes } from 'node:crypto';
import type { RunningServer } from '../src/server';
import { failure, json, startTestServer, struct, V1 } from './support/server';
import { ODD_NAMESPACES } from '../../../test/support/namespace-names';

// Namespaces the official daemon accepts (any non-empty Unicode name without control characters,
// at most 256 UTF-8 bytes), over HTTP (ids percent-encoded in paths) and statehouse.v1 gRPC.

let server: RunningServer;
let base: string;
let v1: V1;
let run: string;

/** This run's copy of a name (tests share one Redis): the name, then a unique suffix. */
const named = (name: string): string => `${name}#${run}`;

/** Every kind of name the old rule refused, and names HTTP and gRPC give a meaning. */
const NAMES = [...ODD_NAMESPACES, '?&=#+', 'quote"back\\slash'];

beforeAll(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
  v1 = new V1(server.grpcPort);
});

afterAll(async () => {
  v1.close();
  await server.close();
});

beforeEach(() => {
  run = randomBytes(5).toString('hex');
});

/** The longest name: 256 UTF-8 bytes, ending in this run's suffix. */
const longest = (): string => {
  const room = 256 - named('').length;
  return 'é'.repeat(Math.floor(room / 2)) + 'x'.repeat(room % 2) + named('');
};

async function http(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; type: string; text: string; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const single = /application\/(problem\+)?json/.test(type) && text !== '';
  const parsed = single ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: response.status, type, text, body: parsed };
}

const query = (params: Record<string, string>): string => new URLSearchParams(params).toString();
const txPath = (txId: string, action: string) =>
  `/v1/transactions/${encodeURIComponent(txId)}/${action}`;

describe('any valid namespace over HTTP', () => {
  it('begins, writes, commits, reads, lists, scans and replays; ids are sent percent-encoded', async () => {
    const namespaces = [...NAMES.map(named), longest()];
    expect(Buffer.byteLength(namespaces.at(-1)!, 'utf8')).toBe(256);
    for (const namespace of namespaces) {
      const begun = await http('POST', '/v1/transactions', { namespace });
      expect(begun.status).toBe(201);
      expect(begun.body.namespace).toBe(namespace);
      const txId = begun.body.txId as string;
      expect(txId.startsWith(`${namespace}~`)).toBe(true);
      for (const key of ['step:1', 'step:2', 'other']) {
        const written = await http('POST', txPath(txId, 'write'), {
          agentId: 'agent',
          key,
          value: { namespace, key },
        });
        expect(written.status).toBe(204);
      }
      expect(
        (await http('POST', txPath(txId, 'get'), { agentId: 'agent', key: 'other' })).body,
      ).toMatchObject({ exists: true, staged: true });
      const committed = await http('POST', txPath(txId, 'commit'), {});
      expect(committed).toMatchObject({ status: 200, body: { commitTs: 1 } });
      const ops = await http('POST', '/v1/commit', {
        namespace,
        operations: [{ op: 'delete', agentId: 'agent', key: 'other' }],
      });
      expect(ops).toMatchObject({ status: 200, body: { commitTs: 2 } });
      expect((ops.body.txId as string).startsWith(`${namespace}~`)).toBe(true);
    }
    for (const namespace of namespaces) {
      const state = await http(
        'GET',
        `/v1/state?${query({ namespace, agentId: 'agent', key: 'step:1' })}`,
      );
      expect(state.body).toEqual({
        exists: true,
        value: { namespace, key: 'step:1' },
        version: 1,
        commitTs: 1,
      });
      const keys = await http('GET', `/v1/keys?${query({ namespace, agentId: 'agent' })}`);
      expect(keys.body).toMatchObject({ keys: ['step:1', 'step:2'] });
      const scan = await http(
        'GET',
        `/v1/scan?${query({ namespace, agentId: 'agent', prefix: 'step:' })}`,
      );
      expect((scan.body.entries as Array<{ value: unknown }>).map((e) => e.value)).toEqual([
        { namespace, key: 'step:1' },
        { namespace, key: 'step:2' },
      ]);
      const replay = await http('GET', `/v1/replay?${query({ namespace, agentId: 'agent' })}`);
      const events = replay.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { txId: string; commitTs: number });
      expect(events.map((event) => event.commitTs)).toEqual([1, 2]);
      for (const event of events) expect(event.txId.startsWith(`${namespace}~`)).toBe(true);
    }
  });

  it('counts a begin in an odd namespace without naming the namespace in /metrics', async () => {
    const namespace = named('quote"back\\slash');
    const begun = async (): Promise<number> => {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      return Number(/^statehouse_transactions_begun_total (\d+)$/m.exec(metrics)![1]);
    };
    const before = await begun();
    const { body } = await http('POST', '/v1/transactions', { namespace });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(await begun()).toBe(before + 1);
    expect(metrics).not.toContain('quote');
    await http('POST', txPath(body.txId as string, 'abort'));
  });

  it('aborts a transaction of a namespace holding "/", "~" and "%" by its encoded id', async () => {
    const namespace = named('a/b~c%2F');
    const { body } = await http('POST', '/v1/transactions', { namespace });
    const txId = body.txId as string;
    await http('POST', txPath(txId, 'write'), { agentId: 'agent', key: 'k', value: {} });
    expect((await http('POST', txPath(txId, 'abort'))).status).toBe(204);
    expect((await http('POST', txPath(txId, 'commit'), {})).body).toMatchObject({
      status: 409,
      code: 'TRANSACTION_ALREADY_ABORTED',
    });
  });

  it.each<[string, string, string]>([
    ['with a control character', 'team\u0000alpha', 'must not contain control characters'],
    ['of 257 bytes', 'x'.repeat(257), 'must be at most 256 UTF-8 bytes (got 257)'],
    ['with a lone surrogate', 'team\ud800', 'must be well-formed Unicode'],
  ])('refuses a namespace %s with 400, naming the rule', async (_label, namespace, rule) => {
    // ('' is no namespace over HTTP and gRPC: the server's default.)
    const responses = [
      await http('POST', '/v1/commit', {
        namespace,
        operations: [{ op: 'write', agentId: 'a', key: 'k', value: {} }],
      }),
    ];
    responses.push(await http('POST', '/v1/transactions', { namespace }));
    if (namespace.isWellFormed()) {
      responses.push(await http('GET', `/v1/keys?${query({ namespace, agentId: 'a' })}`));
    }
    for (const response of responses) {
      expect(response.type).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: expect.stringContaining(`Invalid namespace: ${rule}`),
      });
    }
  });
});

describe('any valid namespace over statehouse.v1', () => {
  it('writes, commits, reads, lists, scans and replays in each namespace, apart from the others', async () => {
    const namespaces = [...NAMES.map(named), longest()];
    for (const namespace of namespaces) {
      const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction', {});
      for (const key of ['step:1', 'step:2']) {
        await v1.call('Write', {
          txn_id,
          namespace,
          agent_id: 'agent',
          key,
          value: struct({ namespace, key }),
        });
      }
      expect(await v1.call('Commit', { txn_id })).toEqual({ commit_ts: 1 });
      const second = (await v1.call<{ txn_id: string }>('BeginTransaction', {})).txn_id;
      await v1.call('Delete', { txn_id: second, namespace, agent_id: 'agent', key: 'step:2' });
      expect(await v1.call('Commit', { txn_id: second })).toEqual({ commit_ts: 2 });
    }
    for (const namespace of namespaces) {
      const state = await v1.call<{ value: never }>('GetState', {
        namespace,
        agent_id: 'agent',
        key: 'step:1',
      });
      expect(state).toMatchObject({ version: 1, commit_ts: 1, exists: true });
      expect(json(state.value)).toEqual({ namespace, key: 'step:1' });
      const old = await v1.call<{ value: never }>('GetStateAtVersion', {
        namespace,
        agent_id: 'agent',
        key: 'step:2',
        version: 1,
      });
      expect(json(old.value)).toEqual({ namespace, key: 'step:2' });
      expect(await v1.call('ListKeys', { namespace, agent_id: 'agent' })).toEqual({
        keys: ['step:1'],
      });
      const scan = await v1.call<{ entries: Array<{ key: string }> }>('ScanPrefix', {
        namespace,
        agent_id: 'agent',
        prefix: 'step:',
      });
      expect(scan.entries.map((entry) => entry.key)).toEqual(['step:1']);
      const events = await v1.replay({ namespace, agent_id: 'agent' });
      expect(events.map((event) => Number(event.commit_ts))).toEqual([1, 2]);
    }
  });

  it('continues over gRPC a transaction begun over HTTP in a namespace holding "~"', async () => {
    const namespace = named('x~y');
    const { body } = await http('POST', '/v1/transactions', { namespace });
    const txn_id = body.txId as string;
    await v1.call('Write', { txn_id, namespace, agent_id: 'a', key: 'k', value: struct({ v: 1 }) });
    expect(
      await failure(
        v1.call('Write', { txn_id, namespace: 'x', agent_id: 'a', key: 'k', value: struct({}) }),
      ),
    ).toMatchObject({ status: 'INVALID_ARGUMENT' });
    expect(await v1.call('Commit', { txn_id })).toEqual({ commit_ts: 1 });
    expect((await v1.call('GetState', { namespace, agent_id: 'a', key: 'k' })).exists).toBe(true);
  });

  it.each<[string, string, string]>([
    ['with a control character', 'team\u0001alpha', 'must not contain control characters'],
    ['of 257 bytes', 'x'.repeat(257), 'must be at most 256 UTF-8 bytes (got 257)'],
  ])(
    'refuses a namespace %s with INVALID_ARGUMENT, naming the rule',
    async (_l, namespace, rule) => {
      const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction', {});
      for (const call of [
        v1.call('Write', { txn_id, namespace, agent_id: 'a', key: 'k', value: struct({}) }),
        v1.call('GetState', { namespace, agent_id: 'a', key: 'k' }),
        v1.call('ListKeys', { namespace, agent_id: 'a' }),
      ]) {
        expect(await failure(call)).toMatchObject({
          status: 'INVALID_ARGUMENT',
          message: `Invalid namespace: ${rule}`,
        });
      }
      // Nothing was bound to it: the transaction still takes a valid namespace.
      const namespaceOk = named('ok');
      await v1.call('Write', {
        txn_id,
        namespace: namespaceOk,
        agent_id: 'a',
        key: 'k',
        value: struct({}),
      });
      expect(await v1.call('Commit', { txn_id })).toEqual({ commit_ts: 1 });
    },
  );
});

describe('tokens scoped to namespaces of any name', () => {
  const TOKEN = 'scoped-token-0123456789';
  let secured: RunningServer;
  let scoped: string;

  beforeAll(async () => {
    scoped = `team:a ${randomBytes(4).toString('hex')}`;
    secured = await startTestServer({ tokens: new Map([[TOKEN, new Set([scoped])]]) });
  });

  afterAll(() => secured.close());

  it('grant exactly their namespace: not one whose name only starts with it before a "~"', async () => {
    const admin = new V1(server.grpcPort, undefined, 'ext'); // the unsecured server, same Redis
    const reader = new V1(secured.grpcPort, TOKEN, 'ext');
    const readerV1 = new V1(secured.grpcPort, TOKEN);
    try {
      const { txn_id } = await readerV1.call<{ txn_id: string }>('BeginTransaction', {});
      await readerV1.call('Write', {
        txn_id,
        namespace: scoped,
        agent_id: 'a',
        key: 'k',
        value: struct({}),
      });
      await readerV1.call('Commit', { txn_id });
      // A transaction of another namespace whose id starts with "<scoped>~".
      const other = await fetch(`${base}/v1/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ namespace: `${scoped}~x` }),
      });
      const { txId } = (await other.json()) as { txId: string };
      expect(txId.startsWith(`${scoped}~x~`)).toBe(true);
      expect(await failure(reader.call('DescribeTransaction', { txn_id: txId }))).toMatchObject({
        status: 'PERMISSION_DENIED',
      });
      expect(
        await failure(
          readerV1.call('Write', {
            txn_id: txId,
            namespace: `${scoped}~x`,
            agent_id: 'a',
            key: 'k',
            value: struct({}),
          }),
        ),
      ).toMatchObject({ status: 'PERMISSION_DENIED' });
      expect((await admin.call('DescribeTransaction', { txn_id: txId })).state).toBe('open');
      // The refusal names the namespace intact, non-ASCII and quotes included.
      const foreign = named('日本語 "q"');
      expect(
        await failure(readerV1.call('GetState', { namespace: foreign, agent_id: 'a', key: 'k' })),
      ).toMatchObject({
        status: 'PERMISSION_DENIED',
        message: `This token may not use namespace ${JSON.stringify(foreign)}`,
      });
    } finally {
      for (const client of [admin, reader, readerV1]) client.close();
    }
  });
});
