import { randomBytes, randomUUID } from 'node:crypto';
import type { RunningServer } from '../src/server';
import { startTestServer } from './support/server';

// GET /v1/transactions/{txId}: the engine's describeTransaction over HTTP (what the web inspector
// shows of a transaction), scoped by the token of the id's namespace.

const READER = 'reader-token-0123456789';
let server: RunningServer;
let base: string;
let ns: string;

beforeAll(async () => {
  ns = `describe-${randomBytes(4).toString('hex')}`;
  server = await startTestServer({
    tokens: new Map<string, Set<string> | '*'>([[READER, new Set([ns, `${ns}/x`])]]),
  });
  base = `http://127.0.0.1:${server.httpPort}`;
});

afterAll(() => server.close());

async function call(
  method: string,
  path: string,
  body?: object,
  token = READER,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const describeTx = (txId: string, token?: string) =>
  call('GET', `/v1/transactions/${encodeURIComponent(txId)}`, undefined, token);

it('describes an open transaction, then the same one committed, with its commitTs and times', async () => {
  const begun = await call('POST', '/v1/transactions', { namespace: ns, timeoutMs: 60_000 });
  const txId = begun.body.txId as string;
  const open = await describeTx(txId);
  expect(open.status).toBe(200);
  expect(open.body).toMatchObject({
    id: txId,
    namespace: ns,
    state: 'open',
    finishedAt: null,
    commitTs: null,
  });
  expect(open.body.deadline).toBeGreaterThan(open.body.createdAt as number);

  await call('POST', `/v1/transactions/${encodeURIComponent(txId)}/write`, {
    agentId: 'a',
    key: 'k',
    value: { n: 1 },
  });
  const { body: committed } = await call(
    'POST',
    `/v1/transactions/${encodeURIComponent(txId)}/commit`,
  );
  const after = await describeTx(txId);
  expect(after.body).toMatchObject({ state: 'committed', commitTs: committed.commitTs });
  expect(after.body.finishedAt).toEqual(expect.any(Number));
});

it('describes an aborted transaction, in a namespace holding "/" and "~"', async () => {
  const begun = await call('POST', '/v1/transactions', { namespace: `${ns}/x` });
  const txId = begun.body.txId as string;
  await call('POST', `/v1/transactions/${encodeURIComponent(txId)}/abort`);
  expect((await describeTx(txId)).body).toMatchObject({ namespace: `${ns}/x`, state: 'aborted' });
});

it('answers 404 for an unknown id, 400 for a malformed one, as problem documents', async () => {
  const unknown = await describeTx(`${ns}~${randomUUID()}`);
  expect(unknown).toMatchObject({ status: 404, body: { code: 'TRANSACTION_NOT_FOUND' } });
  const malformed = await describeTx('not-an-id');
  expect(malformed).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
});

it("refuses another namespace's transaction (403) and a request without a valid token (401)", async () => {
  const other = await describeTx(`elsewhere~${randomUUID()}`);
  expect(other.status).toBe(403);
  const begun = await call('POST', '/v1/transactions', { namespace: ns });
  const wrong = await describeTx(begun.body.txId as string, 'wrong-token-0123456789');
  expect(wrong.status).toBe(401);
});
