import { randomBytes } from 'node:crypto';
import type { RunningServer } from '../src/server';
import { startTestServer, V1 } from './support/server';

// The HTTP API over real connections: every endpoint, its success and its error documents.

let server: RunningServer;
let base: string;
let ns: string;

beforeAll(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
});

afterAll(() => server.close());

beforeEach(() => {
  ns = `h-${randomBytes(5).toString('hex')}`;
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

const post = (path: string, body?: unknown) => call('POST', path, body);
const get = (path: string) => call('GET', path);

async function begin(): Promise<string> {
  const { status, body } = await post('/v1/transactions', { namespace: ns });
  expect(status).toBe(201);
  return body.txId as string;
}

describe('transactions', () => {
  it('begin, write, delete, read inside, commit; the id also works over gRPC', async () => {
    const txId = await begin();
    expect(txId).toMatch(new RegExp(`^${ns}~`));
    expect(
      (
        await post(`/v1/transactions/${txId}/write`, {
          agentId: 'a',
          key: 'tool/search',
          value: { n: 1 },
        })
      ).status,
    ).toBe(204);
    expect(
      (await post(`/v1/transactions/${txId}/write`, { agentId: 'a', key: 'tmp', value: { n: 2 } }))
        .status,
    ).toBe(204);
    expect(
      (await post(`/v1/transactions/${txId}/delete`, { agentId: 'a', key: 'tmp' })).status,
    ).toBe(204);
    expect(
      (await post(`/v1/transactions/${txId}/get`, { agentId: 'a', key: 'tool/search' })).body,
    ).toEqual({
      exists: true,
      value: { n: 1 },
      version: 0,
      commitTs: 0,
      staged: true,
    });
    const v1 = new V1(server.grpcPort);
    try {
      expect(await v1.call('Commit', { txn_id: txId })).toEqual({ commit_ts: 1 });
    } finally {
      v1.close();
    }
    const state = await get(
      `/v1/state?namespace=${ns}&agentId=a&key=${encodeURIComponent('tool/search')}`,
    );
    expect(state.body).toEqual({ exists: true, value: { n: 1 }, version: 1, commitTs: 1 });
  });

  it('commits a list of operations in one request, atomically', async () => {
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'k', value: { v: 1 } }],
    });
    const { status, body } = await post('/v1/commit', {
      namespace: ns,
      operations: [
        { op: 'write', agentId: 'a', key: 'k2', value: { v: 2 } },
        { op: 'delete', agentId: 'a', key: 'k' },
      ],
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ commitTs: 2, txId: expect.stringMatching(new RegExp(`^${ns}~`)) });
    expect((await get(`/v1/keys?namespace=${ns}&agentId=a`)).body).toEqual({
      keys: ['k2'],
      cursor: null,
    });
    // A bad operation anywhere: nothing applied.
    const bad = await post('/v1/commit', {
      namespace: ns,
      operations: [
        { op: 'write', agentId: 'a', key: 'k3', value: { v: 3 } },
        { op: 'write', agentId: 'a', key: 'k4', value: [1] },
      ],
    });
    expect(bad.status).toBe(400);
    expect((await get(`/v1/keys?namespace=${ns}&agentId=a`)).body.keys).toEqual(['k2']);
  });

  it('commits a whole transaction with its appends, read conditions and a safe resend', async () => {
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'budget', value: { left: 10 } }],
    });
    // A read-modify-write sent whole: the version its read saw is a condition of the commit.
    const txId = `${ns}~${'0'.repeat(8)}-0000-4000-8000-${randomBytes(6).toString('hex')}`;
    const whole = {
      txId,
      commitToken: 'whole-token-1',
      operations: [
        { op: 'write', agentId: 'a', key: 'budget', value: { left: 9 } },
        { op: 'append', agentId: 'a', prefix: 'spent:', value: { amount: 1 } },
      ],
      reads: [{ agentId: 'a', key: 'budget', version: 1 }],
    };
    const first = await post('/v1/commit', whole);
    expect(first).toMatchObject({
      status: 200,
      body: { commitTs: 2, txId, appendedKeys: ['spent:000000000001'] },
    });
    // Its answer lost, it is sent again: the same outcome, applied once.
    expect((await post('/v1/commit', whole)).body).toMatchObject({ commitTs: 2, txId });
    expect((await get(`/v1/keys?namespace=${ns}&agentId=a`)).body.keys).toEqual([
      'budget',
      'spent:000000000001',
    ]);
    // A read that is stale by now: a conflict, nothing applied.
    const stale = await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'budget', value: { left: 0 } }],
      reads: [{ agentId: 'a', key: 'budget', version: 1 }],
    });
    expect(stale).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    expect((await get(`/v1/state?namespace=${ns}&agentId=a&key=budget`)).body).toMatchObject({
      value: { left: 9 },
      version: 2,
    });
    // The listing as of the first commit.
    expect((await get(`/v1/keys?namespace=${ns}&agentId=a&atTs=1`)).body.keys).toEqual(['budget']);
    const bad = await post('/v1/commit', { ...whole, txId: 'not-an-id' });
    expect(bad).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('a commit sent again with its commitToken returns the same commitTs, and applies once', async () => {
    const txId = await begin();
    await post(`/v1/transactions/${txId}/write`, { agentId: 'a', key: 'k', value: { v: 1 } });
    const first = await post(`/v1/transactions/${txId}/commit`, { commitToken: 'retry-token-1' });
    expect(first).toMatchObject({ status: 200, body: { commitTs: 1 } });
    const again = await post(`/v1/transactions/${txId}/commit`, { commitToken: 'retry-token-1' });
    expect(again).toMatchObject({ status: 200, body: { commitTs: 1 } });
    const other = await post(`/v1/transactions/${txId}/commit`, { commitToken: 'another-token' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('TRANSACTION_ALREADY_COMMITTED');
    expect((await get(`/v1/state?namespace=${ns}&agentId=a&key=k`)).body).toMatchObject({
      version: 1,
      commitTs: 1,
    });
    const bad = await post(`/v1/transactions/${txId}/commit`, { commitToken: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('commitToken');
  });

  it('reports a conflict as 409 CONFLICT and a second commit as 409 already committed', async () => {
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'k', value: { v: 1 } }],
    });
    const txId = await begin();
    await post(`/v1/transactions/${txId}/get`, { agentId: 'a', key: 'k' });
    await post(`/v1/transactions/${txId}/write`, { agentId: 'a', key: 'k', value: { v: 10 } });
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'k', value: { v: 2 } }],
    });
    const conflict = await post(`/v1/transactions/${txId}/commit`);
    expect(conflict.status).toBe(409);
    expect(conflict.type).toContain('application/problem+json');
    expect(conflict.body).toMatchObject({
      code: 'CONFLICT',
      status: 409,
      requestId: expect.any(String),
    });

    const create = await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'k', value: { v: 3 }, ifVersion: 0 }],
    });
    expect(create.body).toMatchObject({ code: 'CONFLICT' });
    const again = await begin();
    await post(`/v1/transactions/${again}/commit`);
    expect((await post(`/v1/transactions/${again}/commit`)).body).toMatchObject({
      status: 409,
      detail: 'Transaction already committed',
      code: 'TRANSACTION_ALREADY_COMMITTED',
    });
    const aborted = await begin();
    expect((await post(`/v1/transactions/${aborted}/abort`)).status).toBe(204);
    expect(
      (await post(`/v1/transactions/${aborted}/write`, { agentId: 'a', key: 'k', value: {} })).body,
    ).toMatchObject({
      detail: 'Transaction already aborted',
    });
  });

  it('answers a timed-out transaction with 410 TRANSACTION_TIMEOUT (a status HTTP clients do not resend)', async () => {
    const { body } = await post('/v1/transactions', { namespace: ns, timeoutMs: 50 });
    await new Promise((done) => setTimeout(done, 120));
    expect((await post(`/v1/transactions/${body.txId as string}/commit`)).body).toMatchObject({
      status: 410,
      detail: 'Transaction timeout',
      code: 'TRANSACTION_TIMEOUT',
    });
  });
});

describe('reads', () => {
  it('reads a version and as of a commitTs, and pages listings with a cursor', async () => {
    for (let i = 1; i <= 5; i++) {
      await post('/v1/commit', {
        namespace: ns,
        operations: [{ op: 'write', agentId: 'a', key: `step:${i}`, value: { i } }],
      });
    }
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'step:1', value: { i: 10 } }],
    });
    expect(
      (await get(`/v1/state?namespace=${ns}&agentId=a&key=step:1&version=1`)).body,
    ).toMatchObject({ value: { i: 1 } });
    expect((await get(`/v1/state?namespace=${ns}&agentId=a&key=step:1&atTs=5`)).body).toMatchObject(
      { value: { i: 1 }, commitTs: 1 },
    );
    expect((await get(`/v1/state?namespace=${ns}&agentId=a&key=step:1`)).body).toMatchObject({
      value: { i: 10 },
      version: 2,
    });
    const first = await get(`/v1/scan?namespace=${ns}&agentId=a&prefix=step:&limit=2`);
    expect((first.body.entries as Array<{ key: string }>).map((e) => e.key)).toEqual([
      'step:1',
      'step:2',
    ]);
    const second = await get(
      `/v1/keys?namespace=${ns}&agentId=a&limit=2&cursor=${encodeURIComponent(first.body.cursor as string)}`,
    );
    expect(second.body.keys).toEqual(['step:3', 'step:4']);
    expect(
      (await get(`/v1/state?namespace=${ns}&agentId=a&key=step:1&version=9`)).body,
    ).toMatchObject({
      status: 404,
      code: 'VERSION_NOT_FOUND',
    });
  });

  it('streams replay as NDJSON or server-sent events, bounds inclusive', async () => {
    for (let i = 1; i <= 3; i++) {
      await post('/v1/commit', {
        namespace: ns,
        operations: [{ op: 'write', agentId: 'r', key: 'k', value: { i } }],
      });
    }
    const ndjson = await fetch(`${base}/v1/replay?namespace=${ns}&agentId=r&startTs=2`);
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const events = (await ndjson.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { commitTs: number });
    expect(events.map((e) => e.commitTs)).toEqual([2, 3]);
    const sse = await fetch(`${base}/v1/replay?namespace=${ns}&agentId=r&endTs=1`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    expect(await sse.text()).toMatch(/^event: replay\nid: 1\ndata: \{.*"commitTs":1.*\}\n\n$/);
  });

  it('follows new commits after the history, until the client goes away', async () => {
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'f', key: 'k', value: { i: 1 } }],
    });
    const controller = new AbortController();
    const response = await fetch(`${base}/v1/replay?namespace=${ns}&agentId=f&follow=true`, {
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const seen: number[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    const readUntil = async (count: number): Promise<void> => {
      while (seen.length < count) {
        const { value } = await reader.read();
        buffer += decoder.decode(value);
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          seen.push((JSON.parse(buffer.slice(0, newline)) as { commitTs: number }).commitTs);
          buffer = buffer.slice(newline + 1);
        }
      }
    };
    await readUntil(1);
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'f', key: 'k', value: { i: 2 } }],
    });
    await readUntil(2);
    expect(seen).toEqual([1, 2]);
    controller.abort();
  });
});

describe('bad input and errors', () => {
  it('answers malformed JSON, wrong types, bad names, oversize bodies and unknown ids', async () => {
    const malformed = await post('/v1/commit', '{"operations": [');
    expect(malformed).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', requestId: expect.any(String) },
    });
    expect(malformed.type).toContain('application/problem+json');
    expect((await post('/v1/commit', { namespace: ns, operations: 'nope' })).body).toMatchObject({
      status: 400,
      detail: expect.stringContaining('operations'),
    });
    expect((await post('/v1/transactions', { namespace: 'bad\nnamespace' })).body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'Invalid namespace: must not contain control characters',
    });
    expect((await post('/v1/transactions', { namespace: ns, timeoutMs: 'soon' })).status).toBe(400);
    expect((await get(`/v1/state?namespace=${ns}&agentId=a`)).body).toMatchObject({
      status: 400,
      detail: expect.stringContaining('key'),
    });
    expect((await get(`/v1/state?namespace=${ns}&agentId=a&key=k&version=x`)).status).toBe(400);
    const huge = await post('/v1/commit', {
      namespace: ns,
      operations: [
        { op: 'write', agentId: 'a', key: 'k', value: { s: 'x'.repeat(21 * 1024 * 1024) } },
      ],
    });
    expect(huge).toMatchObject({ status: 413, body: { code: 'LIMIT_EXCEEDED' } });
    const tooBigValue = await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'k', value: { s: 'x'.repeat(1024 * 1024) } }],
    });
    expect(tooBigValue).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    for (const id of ['nope', `${ns}~00000000-0000-4000-8000-000000000000`]) {
      expect((await post(`/v1/transactions/${id}/commit`)).body).toMatchObject({
        status: 404,
        code: 'TRANSACTION_NOT_FOUND',
      });
    }
    expect((await get('/v1/nothing-here')).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await get('/healthz')).body).toEqual({ status: 'ok' }); // still serving
  });
});

describe('operations endpoints', () => {
  it('serve health, readiness, version, metrics, the OpenAPI document and its page', async () => {
    expect((await get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await get('/readyz')).body).toMatchObject({ status: 'ready' });
    expect((await get('/v1/version')).body).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    await post('/v1/commit', {
      namespace: ns,
      operations: [{ op: 'write', agentId: 'a', key: 'k', value: {} }],
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'statehouse_transactions_total{outcome="committed"}',
      'statehouse_commit_duration_seconds_bucket',
      'statehouse_transactions_begun_total',
      'statehouse_timeouts_fired_total',
      'statehouse_rpc_duration_seconds_bucket{le="0.0005",transport="http"',
    ]) {
      expect(metrics).toContain(name);
    }
    const document = (await get('/openapi.json')).body as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/commit', '/v1/replay', '/v1/state']),
    );
    const page = await fetch(`${base}/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('SwaggerUIBundle');
  });
});

describe('metrics', () => {
  it('count begun transactions in-process, without naming any namespace', async () => {
    const begun = async (): Promise<number> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).not.toContain(ns); // no tenant's name for anonymous scrapers
      return Number(/^statehouse_transactions_begun_total (\d+)$/m.exec(text)?.[1] ?? -1);
    };
    const before = await begun();
    expect(before).toBeGreaterThanOrEqual(0);
    const first = await begin();
    await begin();
    expect(await begun()).toBe(before + 2);
    await post(`/v1/transactions/${first}/commit`);
    expect(await begun()).toBe(before + 2);
  });
});

describe('tokens over HTTP', () => {
  it('401 without or with a wrong token, 403 outside its namespaces; probes stay public', async () => {
    const TOKEN = 'http-token-0123456789abcd';
    const secured = await startTestServer({ tokens: new Map([[TOKEN, new Set(['allowed'])]]) });
    const at = (path: string, token?: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${secured.httpPort}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    try {
      expect((await at('/v1/keys?agentId=a&namespace=allowed')).status).toBe(401);
      expect(
        (await at('/v1/keys?agentId=a&namespace=allowed', 'wrong-token-0123456789')).status,
      ).toBe(401);
      expect((await at('/v1/keys?agentId=a&namespace=other', TOKEN)).status).toBe(403);
      expect((await at('/v1/commit', TOKEN, { namespace: 'other', operations: [] })).status).toBe(
        403,
      );
      expect((await at('/v1/keys?agentId=a&namespace=allowed', TOKEN)).status).toBe(200);
      expect((await at('/healthz')).status).toBe(200);
    } finally {
      await secured.close();
    }
  });
});
