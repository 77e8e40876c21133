import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { RunningServer } from '../src/server';
import { json, startTestServer, V1 } from './support/server';

// What the HTTP API does with a request before and while it reads its body: the token first, then
// the media type, then a bound on large bodies; and what it refuses inside the JSON.

let server: RunningServer;
let base: string;
let ns: string;

beforeAll(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
});

afterAll(() => server.close());

beforeEach(() => {
  ns = `hi-${randomBytes(5).toString('hex')}`;
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A request with exactly these headers (no content-type unless given) and body. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          headers: response.headers,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const post = (path: string, body: unknown, headers: Record<string, string> = JSON_TYPE) =>
  send(
    server.httpPort,
    'POST',
    path,
    headers,
    typeof body === 'string' ? body : JSON.stringify(body),
  );

/**
 * A POST announcing `length` bytes of body but sending only `sent`: resolves with the raw answer
 * (status line and headers) as soon as the server answers, the socket left open.
 */
function partialPost(
  port: number,
  path: string,
  length: number,
  sent: string,
  headers: Record<string, string> = {},
): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  const head = [
    `POST ${path} HTTP/1.1`,
    'host: 127.0.0.1',
    'content-type: application/json',
    `content-length: ${length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.write(`${head.join('\r\n')}\r\n\r\n${sent}`);
  const answer = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
  return { socket, answer };
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

const commitBody = (value: unknown) => ({
  namespace: ns,
  operations: [{ op: 'write', agentId: 'agent', key: 'k', value }],
});

describe('authentication before the body', () => {
  const TOKEN = 'input-token-0123456789abcdef';
  let secured: RunningServer;

  beforeAll(async () => {
    secured = await startTestServer({ tokens: new Map([[TOKEN, '*']]) });
  });

  afterAll(() => secured.close());

  it('answers 401 to an 18 MB POST without a token before its body is sent, and closes', async () => {
    const attempts = Array.from({ length: 20 }, () =>
      partialPost(secured.httpPort, '/v1/commit', 18_000_000, '{"operations":['),
    );
    for (const { socket, answer } of attempts) {
      const head = await answer; // only 15 of 18,000,000 bytes were sent
      expect(head).toMatch(/^HTTP\/1\.1 401 /);
      expect(head.toLowerCase()).toContain('content-type: application/problem+json');
      expect(head.toLowerCase()).toContain('connection: close');
      socket.destroy();
    }
    const wrong = partialPost(secured.httpPort, '/v1/transactions', 18_000_000, '{', {
      authorization: 'Bearer not-the-token-0123456789',
    });
    expect(await wrong.answer).toMatch(/^HTTP\/1\.1 401 /);
    wrong.socket.destroy();
    // with the token, the same routes work; probes stay public
    const begun = await send(
      secured.httpPort,
      'POST',
      '/v1/transactions',
      { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` },
      JSON.stringify({ namespace: ns }),
    );
    expect(begun.status).toBe(201);
    expect((await send(secured.httpPort, 'GET', '/healthz', {})).status).toBe(200);
    expect((await send(secured.httpPort, 'GET', '/v1/version', {})).status).toBe(200);
  });
});

describe('media type', () => {
  it('answers 415 to a body that is not declared JSON, saying what to send', async () => {
    const begin = await post(
      '/v1/transactions',
      { namespace: ns, timeoutMs: 1000 },
      {
        'content-type': 'text/plain',
      },
    );
    expect(begin.status).toBe(415);
    expect(begin.headers['content-type']).toContain('application/problem+json');
    expect(begin.body).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: expect.stringContaining('Content-Type: application/json') as string,
    });
    const { body } = await post('/v1/transactions', { namespace: ns });
    const txId = body.txId as string;
    const commit = await post(
      `/v1/transactions/${txId}/commit`,
      { commitToken: 'token-12345678' },
      {
        'content-type': 'text/plain;charset=UTF-8',
      },
    );
    expect(commit.status).toBe(415);
    // no content-type at all, with a body
    expect(
      (await post(`/v1/transactions/${txId}/write`, { agentId: 'a', key: 'k', value: {} }, {}))
        .status,
    ).toBe(415);
    // the transaction is untouched: the commit with its token works once declared JSON
    const committed = await post(`/v1/transactions/${txId}/commit`, {
      commitToken: 'token-12345678',
    });
    expect(committed.status).toBe(200);
  });

  it('takes JSON with a charset or as application/*+json, and body-less POSTs without a type', async () => {
    const begun = await post(
      '/v1/transactions',
      { namespace: ns },
      {
        'content-type': 'application/json; charset=utf-8',
      },
    );
    expect(begun.status).toBe(201);
    const txId = begun.body.txId as string;
    expect(
      (
        await post(
          `/v1/transactions/${txId}/write`,
          { agentId: 'a', key: 'k', value: { n: 1 } },
          {
            'content-type': 'application/vnd.statehouse+json',
          },
        )
      ).status,
    ).toBe(204);
    expect((await send(server.httpPort, 'POST', `/v1/transactions/${txId}/abort`, {})).status).toBe(
      204,
    );
    const bare = await send(server.httpPort, 'POST', '/v1/transactions', {});
    expect(bare.status).toBe(201);
  });
});

describe('large bodies', () => {
  it('reads at most maxLargeBodies bodies over 1 MiB at once; one more is 503 with Retry-After', async () => {
    const busy = await startTestServer({ maxLargeBodies: 1 });
    try {
      const body = JSON.stringify({ ...commitBody({ n: 1 }), pad: 'x'.repeat(1_200_000) });
      const first = partialPost(
        busy.httpPort,
        '/v1/commit',
        Buffer.byteLength(body),
        body.slice(0, 1000),
      );
      // a round trip on another connection: the first request's headers were read before it
      expect((await send(busy.httpPort, 'GET', '/healthz', {})).status).toBe(200);
      const second = await send(busy.httpPort, 'POST', '/v1/commit', JSON_TYPE, body);
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBe('1');
      expect(second.body).toMatchObject({ code: 'SERVER_BUSY' });
      // small bodies are not held back
      expect((await send(busy.httpPort, 'POST', '/v1/transactions', JSON_TYPE, '{}')).status).toBe(
        201,
      );
      first.socket.write(body.slice(1000));
      expect(await first.answer).toMatch(/^HTTP\/1\.1 200 /);
      first.socket.destroy();
      // the slot is free again once the first answer is out
      let status = 0;
      for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
        status = (await send(busy.httpPort, 'POST', '/v1/commit', JSON_TYPE, body)).status;
        if (status !== 503) break;
      }
      expect(status).toBe(200);
    } finally {
      await busy.close();
    }
  });
});

describe('nesting depth', () => {
  it('refuses a value nested 3,600 or 100,000 deep with 400, not 500', async () => {
    for (const depth of [3_600, 100_000]) {
      const text = JSON.stringify(commitBody({})).replace(
        '"value":{}',
        `"value":${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`,
      );
      const answer = await post('/v1/commit', text);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: expect.stringContaining('levels deep') as string,
      });
    }
  });

  it('stores 32 levels (readable over statehouse.v1) and refuses 33, naming the value', async () => {
    expect((await post('/v1/commit', commitBody(nested(32)))).status).toBe(200);
    const v1 = new V1(server.grpcPort);
    try {
      const state = await v1.call<{ value: object }>('GetState', {
        namespace: ns,
        agent_id: 'agent',
        key: 'k',
      });
      expect(json(state.value as never)).toEqual(nested(32));
    } finally {
      v1.close();
    }
    const { body } = await post('/v1/transactions', { namespace: ns });
    const refused = await post(`/v1/transactions/${String(body.txId)}/write`, {
      agentId: 'agent',
      key: 'deeper',
      value: nested(33),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('Invalid value: must be nested at most 32 levels deep');
  });
});

describe('integers beyond 2^53 - 1', () => {
  it('are refused with the field path and how to send them, never stored rounded', async () => {
    const refused = await post(
      '/v1/commit',
      JSON.stringify(commitBody({})).replace('"value":{}', '"value":{"n":9007199254740993}'),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('body.operations[0].value.n');
    expect(refused.body.detail).toContain('as a string');
    const state = await send(
      server.httpPort,
      'GET',
      `/v1/state?namespace=${ns}&agentId=agent&key=k`,
      {},
    );
    expect(state.body.exists).toBe(false);
    // the largest safe integers, and a big one sent as a string, come back exactly
    const exact = '{"max":9007199254740991,"min":-9007199254740991,"id":"9007199254740993"}';
    expect(
      (
        await post(
          '/v1/commit',
          JSON.stringify(commitBody({})).replace('"value":{}', `"value":${exact}`),
        )
      ).status,
    ).toBe(200);
    const text = await (await fetch(`${base}/v1/state?namespace=${ns}&agentId=agent&key=k`)).text();
    expect(text).toContain(`"value":${exact}`);
  });
});

describe('a field named __proto__', () => {
  it('written over HTTP, reads back over HTTP and statehouse.v1', async () => {
    const value = '{"__proto__":{"admin":true},"n":1}';
    expect(
      (
        await post(
          '/v1/commit',
          JSON.stringify(commitBody({})).replace('"value":{}', `"value":${value}`),
        )
      ).status,
    ).toBe(200);
    const text = await (await fetch(`${base}/v1/state?namespace=${ns}&agentId=agent&key=k`)).text();
    expect(text).toContain(`"value":${value}`);
    const v1 = new V1(server.grpcPort);
    try {
      const state = await v1.call<{ value: { fields: object } }>('GetState', {
        namespace: ns,
        agent_id: 'agent',
        key: 'k',
      });
      expect(Object.keys(state.value.fields)).toEqual(['__proto__', 'n']);
    } finally {
      v1.close();
    }
  });
});
