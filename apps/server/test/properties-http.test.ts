import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import type { RunningServer } from '../src/server';
import { startTestServer } from './support/server';
import {
  anyInteger,
  anyJsonValue,
  anyName,
  anyNamespace,
  anyTimeout,
  expectNoStrayKeys,
  HERE,
} from './support/properties';

// Generated HTTP requests (paths, query parameters, bodies, content types), valid and invalid,
// in sequences: every response is a 2xx of the documented shape or a 4xx problem+json document
// with a `code`; bad input never gets a 5xx; the server keeps answering /healthz; nothing stray is
// left in Redis. fast-check prints the seed and the shrunk sequence of a failure.

let server: RunningServer;
let base: string;
let redis: Redis;
/** The server's default namespace (for requests that name none): this file's own. */
const DEFAULT_NS = `hd-${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  server = await startTestServer({ namespace: DEFAULT_NS });
  base = `http://127.0.0.1:${server.httpPort}`;
  redis = new Redis(process.env.REDIS_URL!);
});

afterAll(async () => {
  redis.disconnect();
  await server.close();
});

/** Which transaction id a request names. */
type TxRef =
  | { begun: number } // one begun in this run (counted from the latest)
  | { raw: string }; // anything else, put in the path as it is

interface Body {
  /** A JSON document (its text), or raw text that may not be JSON. */
  readonly text: string | undefined;
  readonly contentType: string | undefined;
}

type Request =
  | { kind: 'begin'; body: Body }
  | { kind: 'txOp'; op: 'write' | 'delete' | 'get'; tx: TxRef; body: Body }
  | { kind: 'txEnd'; op: 'commit' | 'abort'; tx: TxRef; body: Body }
  | { kind: 'commitOps'; body: Body }
  | { kind: 'read'; path: '/v1/state' | '/v1/keys' | '/v1/scan' | '/v1/replay'; query: string }
  | { kind: 'other'; method: string; path: string };

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  undefined,
];

const RAW_BODIES = [
  '',
  '{',
  '{"agentId": "a", "key": ',
  'null',
  '[]',
  '"text"',
  '42',
  'true',
  '{"__proto__": {"agentId": "a"}}',
  '{"agentId": "a", "agentId": 1}',
  '\u0000',
  '\ufeff{}',
  'agentId=a&key=k',
  '{"value": 1e999}',
  '{"operations": [' + '{}, '.repeat(2000) + '{}]}',
];

/** A JSON object built from generated fields (some left out), or raw text. */
function body(
  fields: Record<string, fc.Arbitrary<unknown>>,
  required = Object.keys(fields),
): fc.Arbitrary<Body> {
  const json = fc
    .oneof(
      { arbitrary: fc.record(fields, { requiredKeys: required }), weight: 4 },
      fc.record(fields, { requiredKeys: [] }),
    )
    .map((object) => JSON.stringify(object));
  return fc.record({
    text: fc.oneof(
      { arbitrary: json, weight: 12 },
      { arbitrary: fc.constantFrom(...RAW_BODIES, undefined), weight: 1 },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), weight: 1 },
    ),
    contentType: fc.oneof(
      { arbitrary: fc.constant('application/json'), weight: 12 },
      fc.constantFrom(...CONTENT_TYPES),
    ),
  });
}

const recordFields = { agentId: anyName, key: anyName };
const writeFields = { ...recordFields, value: anyJsonValue, ifVersion: anyInteger };
const txRef: fc.Arbitrary<TxRef> = fc.oneof(
  { arbitrary: fc.record({ begun: fc.nat(3) }), weight: 6 },
  {
    arbitrary: fc.record({
      raw: fc.oneof(
        fc.constantFrom(
          'nope',
          '%',
          '%zz',
          '%E0%A4%A',
          '..',
          '%2F',
          '%00',
          'x'.repeat(5000),
          '00000000-0000-4000-8000-000000000000',
          `${HERE}~00000000-0000-4000-8000-000000000000`,
          'default~not-a-uuid',
        ),
        fc.string({ unit: 'grapheme', maxLength: 8 }).map(encodeURIComponent),
      ),
    }),
    weight: 2,
  },
);

const operation = fc.oneof(
  fc.record({ op: fc.constant('write'), ...writeFields }, { requiredKeys: ['op'] }),
  fc.record(
    { op: fc.constant('delete'), ...recordFields, ifVersion: anyInteger },
    {
      requiredKeys: ['op'],
    },
  ),
  fc.record({ op: fc.constantFrom('put', '', null, 1), ...recordFields }),
  fc.jsonValue({ maxDepth: 1 }),
);

/** A query string: each parameter absent, once, twice, or empty; values valid or not. */
function query(
  params: Record<string, fc.Arbitrary<unknown>>,
  required: string[],
): fc.Arbitrary<string> {
  const values = fc.oneof(
    { arbitrary: fc.record(params, { requiredKeys: required }), weight: 4 },
    fc.record(params, { requiredKeys: [] }),
  );
  return values.chain((values) =>
    fc
      .array(
        fc.oneof({ arbitrary: fc.constant('once'), weight: 12 }, fc.constantFrom('twice', 'empty')),
        {
          minLength: Object.keys(values).length,
          maxLength: Object.keys(values).length,
        },
      )
      .map((shapes) => {
        const search = new URLSearchParams();
        Object.entries(values).forEach(([name, value], i) => {
          const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
          search.append(name, shapes[i] === 'empty' ? '' : text);
          if (shapes[i] === 'twice') search.append(name, text);
        });
        return search.toString();
      }),
  );
}

const readRequest = fc.oneof(
  fc.record({
    kind: fc.constant('read' as const),
    path: fc.constant('/v1/state' as const),
    query: query(
      {
        namespace: anyNamespace,
        agentId: anyName,
        key: anyName,
        version: anyInteger,
        atTs: anyInteger,
      },
      ['namespace', 'agentId', 'key'],
    ),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    path: fc.constantFrom('/v1/keys' as const, '/v1/scan' as const),
    query: query(
      {
        namespace: anyNamespace,
        agentId: anyName,
        prefix: fc.oneof(anyName, fc.constantFrom('', 'step:')),
        limit: anyInteger,
        cursor: fc.oneof(fc.constantFrom('', 'AAAA', '!!', 'c3RlcDo'), fc.string({ maxLength: 6 })),
      },
      ['namespace', 'agentId', 'prefix'],
    ),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    path: fc.constant('/v1/replay' as const),
    query: query(
      {
        namespace: anyNamespace,
        agentId: anyName,
        startTs: anyInteger,
        endTs: anyInteger,
        // never a live follow: it would not end
        follow: fc.oneof(
          { arbitrary: fc.constantFrom('false', '0'), weight: 4 },
          fc.constantFrom('yes', 'TRUE', ''),
        ),
      },
      ['namespace', 'agentId'],
    ),
  }),
);

const requestArbitrary: fc.Arbitrary<Request> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('begin' as const),
      body: body({ namespace: anyNamespace, timeoutMs: anyTimeout }, ['namespace']),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('txOp' as const),
      op: fc.constantFrom('write' as const, 'delete' as const, 'get' as const),
      tx: txRef,
      body: body(writeFields, ['agentId', 'key', 'value']),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('txEnd' as const),
      op: fc.constantFrom('commit' as const, 'abort' as const),
      tx: txRef,
      body: body({ agentId: anyName }, []),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('commitOps' as const),
      body: body(
        {
          namespace: anyNamespace,
          timeoutMs: anyTimeout,
          operations: fc.oneof(
            { arbitrary: fc.array(operation, { maxLength: 4 }), weight: 6 },
            anyName,
          ),
        },
        ['namespace', 'operations'],
      ),
    }),
    weight: 3,
  },
  { arbitrary: readRequest, weight: 4 },
  fc.record({
    kind: fc.constant('other' as const),
    method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.constantFrom(
      '/v1/transactions',
      '/v1/commit',
      '/v1/state',
      '/v1/transactions/x/write',
      '/v1/%',
      '/v1/..%2F..%2F',
      '/v1/state%00',
    ),
  }),
);

interface Response {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

async function send(
  method: string,
  path: string,
  text: string | undefined,
  contentType: string | undefined,
): Promise<Response> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body: text,
    signal: AbortSignal.timeout(30_000), // a hang fails the run instead of the whole file
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
const isObjectOrNull = (value: unknown) =>
  value === null || (typeof value === 'object' && !Array.isArray(value));

/** The documented shapes of successful responses. */
function expectShape(request: Request, namespace: string, response: Response): void {
  const json = () => JSON.parse(response.text) as Record<string, unknown>;
  const state = (body: Record<string, unknown>) => {
    expect(typeof body.exists).toBe('boolean');
    expect(isObjectOrNull(body.value)).toBe(true);
    expect(body.value === null).toBe(!body.exists);
    expect(isCount(body.version) && isCount(body.commitTs)).toBe(true);
  };
  switch (request.kind) {
    case 'begin': {
      expect(response.status).toBe(201);
      const body = json();
      expect([namespace, DEFAULT_NS]).toContain(body.namespace);
      expect((body.txId as string).startsWith(`${body.namespace as string}~`)).toBe(true);
      return;
    }
    case 'txOp':
      if (request.op === 'get') {
        expect(response.status).toBe(200);
        const body = json();
        state(body);
        expect(typeof body.staged).toBe('boolean');
      } else {
        expect(response.status).toBe(204);
        expect(response.text).toBe('');
      }
      return;
    case 'txEnd':
      if (request.op === 'commit') {
        expect(response.status).toBe(200);
        expect(json()).toEqual({ commitTs: expect.any(Number) });
        expect((json().commitTs as number) >= 1).toBe(true);
      } else {
        expect(response.status).toBe(204);
      }
      return;
    case 'commitOps':
      expect(response.status).toBe(200);
      expect(json()).toEqual({
        commitTs: expect.any(Number),
        txId: expect.any(String),
        appendedKeys: expect.any(Array),
      });
      expect([namespace, DEFAULT_NS]).toContain((json().txId as string).replace(/~[^~]*$/, ''));
      return;
    case 'read': {
      expect(response.status).toBe(200);
      if (request.path === '/v1/replay') {
        expect(response.type).toContain('application/x-ndjson');
        for (const line of response.text.split('\n').filter(Boolean)) {
          const event = JSON.parse(line) as Record<string, unknown>;
          expect(typeof event.txId).toBe('string');
          expect(isCount(event.commitTs)).toBe(true);
          expect(Array.isArray(event.operations)).toBe(true);
        }
        return;
      }
      const body = json();
      if (request.path === '/v1/state') return state(body);
      expect(body.cursor === null || typeof body.cursor === 'string').toBe(true);
      if (request.path === '/v1/keys') {
        expect((body.keys as unknown[]).every((key) => typeof key === 'string')).toBe(true);
      } else {
        for (const entry of body.entries as Array<Record<string, unknown>>) {
          expect(typeof entry.key).toBe('string');
          expect(isObjectOrNull(entry.value) && entry.value !== null).toBe(true);
        }
      }
      return;
    }
    case 'other':
      throw new Error(`an undocumented request succeeded: ${response.status}`);
  }
}

async function perform(namespace: string, begun: string[], request: Request): Promise<void> {
  const inQuery = (text: string) => new URLSearchParams({ n: text }).toString().slice(2);
  // The run's namespace, as JSON text (it holds no '"' or '\'), in a query, in a path.
  const here = (text: string | undefined) => text?.split(HERE).join(namespace);
  const hereInQuery = (text: string) => text.split(inQuery(HERE)).join(inQuery(namespace));
  const hereInPath = (text: string) => text.split(HERE).join(encodeURIComponent(namespace));
  const txPath = (tx: TxRef) =>
    'begun' in tx
      ? begun.length === 0
        ? 'none'
        : encodeURIComponent(begun[begun.length - 1 - (tx.begun % begun.length)]!)
      : hereInPath(tx.raw);
  let response: Response;
  switch (request.kind) {
    case 'begin':
      response = await send(
        'POST',
        '/v1/transactions',
        here(request.body.text),
        request.body.contentType,
      );
      if (response.status === 201) begun.push((JSON.parse(response.text) as { txId: string }).txId);
      break;
    case 'txOp':
    case 'txEnd':
      response = await send(
        'POST',
        `/v1/transactions/${txPath(request.tx)}/${request.op}`,
        here(request.body.text),
        request.body.contentType,
      );
      break;
    case 'commitOps':
      response = await send(
        'POST',
        '/v1/commit',
        here(request.body.text),
        request.body.contentType,
      );
      break;
    case 'read':
      response = await send(
        'GET',
        `${request.path}?${hereInQuery(request.query)}`,
        undefined,
        undefined,
      );
      break;
    case 'other':
      response = await send(request.method, request.path, undefined, undefined);
      break;
  }
  const what = `${fc.stringify(request)} -> ${response.status} ${response.text.slice(0, 300)}`;
  if (response.status >= 200 && response.status < 300) {
    try {
      expectShape(request, namespace, response);
    } catch (error) {
      throw new Error(`${what}: ${(error as Error).message}`);
    }
    return;
  }
  // A refusal: a problem document with a stable code, never a 5xx for what a client sent.
  if (response.status >= 500) throw new Error(`${what}: a server error for bad input`);
  expect([response.status, response.type]).toEqual([
    expect.any(Number),
    expect.stringContaining('application/problem+json'),
  ]);
  const problem = JSON.parse(response.text) as Record<string, unknown>;
  expect(problem).toMatchObject({
    status: response.status,
    code: expect.stringMatching(/^[A-Z_]+$/),
    detail: expect.any(String),
  });
}

let run = 0;

describe('generated HTTP requests', () => {
  it('get a documented answer or a 4xx problem document, never a 5xx; nothing stray is left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(requestArbitrary, { minLength: 1, maxLength: 20 }),
        async (requests) => {
          // Every other run in a namespace the first rule refused (an encoded hash tag).
          const id = randomBytes(5).toString('hex');
          const namespace = run++ % 2 === 0 ? `hp-${id}` : `hp:{${id}}/ü ~%`;
          const begun: string[] = [];
          for (const request of requests) await perform(namespace, begun, request);
          // Still serving; then every transaction of the run ends and nothing stray is left.
          expect((await send('GET', '/healthz', undefined, undefined)).status).toBe(200);
          for (const txId of begun) {
            const abort = await send(
              'POST',
              `/v1/transactions/${encodeURIComponent(txId)}/abort`,
              undefined,
              undefined,
            );
            expect([204, 409]).toContain(abort.status); // 409: it had committed
          }
          await expectNoStrayKeys(redis, namespace);
          await expectNoStrayKeys(redis, DEFAULT_NS);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers an unknown transaction id with 404, whatever it holds', async () => {
    for (const id of [randomUUID(), `default~${randomUUID()}`, 'x'.repeat(300), '%25']) {
      const response = await send('POST', `/v1/transactions/${id}/commit`, undefined, undefined);
      expect(response.status).toBe(404);
    }
  });
});
