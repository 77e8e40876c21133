import { randomBytes } from 'node:crypto';
import type { RunningServer } from '../src/server';
import { failure, startTestServer, struct, V1 } from './support/server';

// Namespace quotas over the wire: gRPC RESOURCE_EXHAUSTED and HTTP 429, with a message naming the
// quota, its value and how to raise it.

let server: RunningServer;
let v1: V1;
let ns: string;

beforeAll(async () => {
  server = await startTestServer({
    limits: {
      maxTimeoutMs: 3_600_000,
      finishedTransactionRetentionMs: 120_000,
      maxOpenTransactionsPerNamespace: 2,
      maxStagedBytesPerNamespace: 1000,
    },
  });
  v1 = new V1(server.grpcPort);
});

afterAll(async () => {
  v1.close();
  await server.close();
});

beforeEach(() => {
  ns = `q-${randomBytes(5).toString('hex')}`;
});

async function post(
  path: string,
  body: object = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const pad = (bytes: number) => ({ pad: 'x'.repeat(bytes) });

describe('open transactions per namespace', () => {
  it('answers HTTP 429 and gRPC RESOURCE_EXHAUSTED beyond the quota', async () => {
    const first = await post('/v1/transactions', { namespace: ns });
    expect(first.status).toBe(201);
    expect((await post('/v1/transactions', { namespace: ns })).status).toBe(201);
    const refused = await post('/v1/transactions', { namespace: ns });
    expect(refused).toMatchObject({
      status: 429,
      body: {
        code: 'QUOTA_EXCEEDED',
        title: 'Too Many Requests',
        detail: expect.stringContaining('--max-open-transactions-per-namespace'),
      },
    });
    expect(refused.body.detail).toContain('at most 2 transactions open');

    // A statehouse.v1 transaction begins in the engine at its first write.
    const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction');
    const write = () =>
      v1.call('Write', { txn_id, namespace: ns, agent_id: 'a', key: 'k', value: struct({}) });
    expect(await failure(write())).toMatchObject({
      status: 'RESOURCE_EXHAUSTED',
      code: 'QUOTA_EXCEEDED',
      message: expect.stringContaining('maxOpenTransactionsPerNamespace'),
    });
    // Once one finishes, the same transaction goes on.
    expect((await post(`/v1/transactions/${first.body.txId as string}/abort`)).status).toBe(204);
    await write();
    expect((await v1.call('Commit', { txn_id })).commit_ts).toBeGreaterThan(0);
  });
});

describe('staged bytes per namespace', () => {
  it('answers HTTP 429 and gRPC RESOURCE_EXHAUSTED; the transaction stays usable', async () => {
    const { body } = await post('/v1/transactions', { namespace: ns });
    const txId = body.txId as string;
    expect(
      (await post(`/v1/transactions/${txId}/write`, { agentId: 'a', key: 'k', value: pad(700) }))
        .status,
    ).toBe(204);
    const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction');
    const write = (bytes: number) =>
      v1.call('Write', {
        txn_id,
        namespace: ns,
        agent_id: 'b',
        key: 'k',
        value: struct(pad(bytes)),
      });
    expect(await failure(write(400))).toMatchObject({
      status: 'RESOURCE_EXHAUSTED',
      code: 'QUOTA_EXCEEDED',
      message: expect.stringContaining('at most 1000 bytes staged'),
    });
    const refused = await post(`/v1/transactions/${txId}/write`, {
      agentId: 'a',
      key: 'k2',
      value: pad(400),
    });
    expect(refused).toMatchObject({
      status: 429,
      body: {
        code: 'QUOTA_EXCEEDED',
        detail: expect.stringContaining('--max-staged-bytes-per-namespace'),
      },
    });
    await write(100);
    expect((await post(`/v1/transactions/${txId}/commit`)).status).toBe(200);
    await write(400);
    expect((await v1.call('Commit', { txn_id })).commit_ts).toBeGreaterThan(0);
  });
});
