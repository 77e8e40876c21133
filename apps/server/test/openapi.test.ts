import { randomBytes } from 'node:crypto';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import type { RunningServer } from '../src/server';
import * as health from '../src/http/health.api';
import type { OperationSpec } from '../src/http/openapi/operation.decorator';
import * as state from '../src/http/state.api';
import * as transactions from '../src/http/transactions.api';
import { startTestServer } from './support/server';

// /openapi.json is generated from the schemas that validate the requests: it passes Redocly's
// recommended rules without a warning, it describes exactly the routes the server registered, its
// parameters and bodies are what the server enforces, and the answers have the documented shapes.
// /docs is Swagger UI served from the server's own files.

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: { type?: string };
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: {
    required?: boolean;
    content: Record<string, { schema: { properties?: object; required?: string[] } }>;
  };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  openapi: string;
  servers: Array<{ url: string }>;
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
}

let server: RunningServer;
let base: string;
let document: Document;
const ns = `oa-${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
  const response = await fetch(`${base}/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as Document;
});

afterAll(() => server.close());

/** Every operation of the document: [method, path, operation]. */
const operations = (): Array<[string, string, Operation]> =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]): [string, string, Operation] => [method, path, op]),
  );

async function send(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {},
  };
}

describe('/openapi.json', () => {
  it("passes Redocly's recommended rules with no error and no warning", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: 'openapi.json',
      config,
    });
    const described = problems.map(
      (p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`,
    );
    expect(described).toEqual([]);
  });

  it('describes exactly the routes the server registered, each with an operationId', () => {
    // What Express routes (Nest registers every controller route there), whatever the document says.
    const router = (
      server.app.getHttpAdapter().getInstance() as {
        router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
      }
    ).router;
    const registered = router.stack
      .filter((layer) => layer.route)
      .flatMap((layer) =>
        Object.keys(layer.route!.methods)
          .filter((method) => method !== '_all')
          .map((method) => `${method} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`),
      );
    const documented = operations().map(([method, path]) => `${method} ${path}`);
    expect(registered.length).toBeGreaterThanOrEqual(17);
    expect([...documented].sort()).toEqual([...new Set(registered)].sort());
    const ids = operations().map(([, , op]) => op.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every operation a success schema and its 4XX answers as problem documents', () => {
    for (const [method, path, op] of operations()) {
      const statuses = Object.keys(op.responses);
      const what = `${method} ${path}`;
      expect([what, statuses.some((s) => /^2\d\d$/.test(s))]).toEqual([what, true]);
      expect([what, statuses.some((s) => /^4\d\d$/.test(s))]).toEqual([what, true]);
      for (const status of statuses.filter((s) => /^[45]/.test(s))) {
        expect([what, status, Object.keys(op.responses[status]!.content ?? {})]).toEqual([
          what,
          status,
          ['application/problem+json'],
        ]);
      }
    }
  });

  it("names this server's address and its gRPC port", () => {
    expect(document.servers).toEqual([
      { url: `http://127.0.0.1:${server.httpPort}`, description: 'This server' },
    ]);
    expect(document.info.description).toContain(`on port ${server.grpcPort}.`);
  });

  it('says what the server enforces: each required parameter and body field, each integer parameter', async () => {
    const checked: string[] = [];
    for (const [method, path, op] of operations()) {
      if (path.includes('{')) continue; // transaction routes: their bodies are checked below
      const params = (op.parameters ?? []).filter((p) => p.in === 'query');
      const valid: Record<string, string> = { namespace: ns, agentId: 'a', key: 'k' };
      const query = (omit: string, extra: Record<string, string> = {}): string =>
        new URLSearchParams(
          Object.fromEntries(
            Object.entries({ ...valid, ...extra }).filter(
              ([name]) => name !== omit && params.some((p) => p.name === name),
            ),
          ),
        ).toString();
      for (const param of params) {
        if (param.required) {
          const answer = await send(method.toUpperCase(), `${path}?${query(param.name)}`);
          expect([path, param.name, answer.status, answer.body.detail]).toEqual([
            path,
            param.name,
            400,
            expect.stringContaining(`Invalid ${param.name}: must be a string`),
          ]);
          checked.push(`${path} ${param.name} required`);
        }
        if (param.schema.type === 'integer' || param.schema.type === 'boolean') {
          const answer = await send(
            method.toUpperCase(),
            `${path}?${query('', { [param.name]: 'x1' })}`,
          );
          expect([path, param.name, answer.status, answer.body.detail]).toEqual([
            path,
            param.name,
            400,
            expect.stringContaining(`Invalid ${param.name}: must be`),
          ]);
          checked.push(`${path} ${param.name} ${param.schema.type}`);
        }
      }
    }
    // Every required field of every documented body is required by the server.
    const begun = await send('POST', '/v1/transactions', { namespace: ns });
    expect(begun.status).toBe(201);
    const txId = encodeURIComponent(begun.body.txId as string);
    const full: Record<string, unknown> = {
      agentId: 'a',
      key: 'k',
      value: { n: 1 },
      operations: [{ op: 'write', agentId: 'a', key: 'k', value: {} }],
      namespace: ns,
    };
    for (const [method, path, op] of operations()) {
      const schema = op.requestBody?.content['application/json']?.schema;
      for (const field of schema?.required ?? []) {
        const body = Object.fromEntries(
          Object.entries(full).filter(
            ([name]) => name !== field && Object.keys(schema!.properties ?? {}).includes(name),
          ),
        );
        const answer = await send(method.toUpperCase(), path.replace('{txId}', txId), body);
        expect([path, field, answer.status, answer.body.detail]).toEqual([
          path,
          field,
          400,
          expect.stringContaining(`Invalid ${field}: must be`),
        ]);
        checked.push(`${path} body ${field}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        '/v1/state agentId required',
        '/v1/state version integer',
        '/v1/replay follow boolean',
        '/v1/keys limit integer',
        '/v1/commit body operations',
        '/v1/transactions/{txId}/write body value',
      ]),
    );
  });

  it('refuses an operation whose op is not one of the documented three, naming the field', async () => {
    const answer = await send('POST', '/v1/commit', {
      namespace: ns,
      operations: [{ op: 'put', agentId: 'a', key: 'k', value: {} }],
    });
    expect(answer).toMatchObject({
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        detail: 'Invalid operations[0].op: must be "write" or "delete" or "append" (got "put")',
      },
    });
    const documented = document.paths['/v1/commit']!.post!.requestBody!.content['application/json']!
      .schema as {
      properties: { operations: { items: { oneOf: Array<{ required: string[] }> } } };
    };
    // Each form requires its `op`, so the forms cannot overlap.
    for (const form of documented.properties.operations.items.oneOf) {
      expect(form.required).toContain('op');
    }
  });

  it('answers in the documented shapes (the schemas the document is made of)', async () => {
    /** The answer's status and JSON match the operation's documented success. */
    const expectAnswer = (
      spec: OperationSpec,
      answer: { status: number; body: Record<string, unknown> },
    ): void => {
      expect([spec.operationId, answer.status]).toEqual([spec.operationId, spec.success.status]);
      const schema = spec.success.content?.['application/json'];
      if (!schema) return;
      // parse() drops what the schema does not name: equal means nothing undocumented was sent.
      expect(schema.parse(answer.body)).toEqual(answer.body);
    };
    const begun = await send('POST', '/v1/transactions', { namespace: ns });
    expectAnswer(transactions.BEGIN, begun);
    const tx = `/v1/transactions/${encodeURIComponent(begun.body.txId as string)}`;
    expectAnswer(
      transactions.WRITE,
      await send('POST', `${tx}/write`, { agentId: 's', key: 'k', value: { n: 1 } }),
    );
    expectAnswer(transactions.GET, await send('POST', `${tx}/get`, { agentId: 's', key: 'k' }));
    expectAnswer(transactions.COMMIT, await send('POST', `${tx}/commit`, {}));
    const other = await send('POST', '/v1/transactions', { namespace: ns });
    const otherTx = `/v1/transactions/${encodeURIComponent(other.body.txId as string)}`;
    expectAnswer(
      transactions.DELETE,
      await send('POST', `${otherTx}/delete`, { agentId: 's', key: 'gone' }),
    );
    expectAnswer(transactions.ABORT, await send('POST', `${otherTx}/abort`));
    expectAnswer(
      transactions.COMMIT_OPERATIONS,
      await send('POST', '/v1/commit', {
        namespace: ns,
        operations: [{ op: 'append', agentId: 's', prefix: 'log:', value: { n: 2 } }],
      }),
    );
    const read = `namespace=${ns}&agentId=s`;
    expectAnswer(state.GET_STATE, await send('GET', `/v1/state?${read}&key=k`));
    expectAnswer(state.LIST_KEYS, await send('GET', `/v1/keys?${read}`));
    expectAnswer(state.SCAN_PREFIX, await send('GET', `/v1/scan?${read}&prefix=`));
    const replay = await fetch(`${base}/v1/replay?${read}`);
    expect(replay.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await replay.text()).trim().split('\n');
    expect(lines).toHaveLength(2);
    const event = state.REPLAY.success.content['application/x-ndjson'];
    for (const line of lines) expect(event.parse(JSON.parse(line))).toEqual(JSON.parse(line));
    expectAnswer(health.HEALTHZ, await send('GET', '/healthz'));
    expectAnswer(health.READYZ, await send('GET', '/readyz'));
    expectAnswer(health.VERSION, await send('GET', '/v1/version'));
  });
});

describe('/docs', () => {
  it('is Swagger UI on /openapi.json, from files the server serves itself (no CDN)', async () => {
    const page = await fetch(`${base}/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('SwaggerUIBundle(');
    expect(html).toContain("url: 'openapi.json'");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from elsewhere
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(
      expect.arrayContaining(['docs/assets/swagger-ui-bundle.js', 'docs/assets/swagger-ui.css']),
    );
    for (const asset of assets) {
      const response = await fetch(new URL(asset, `${base}/docs`));
      expect([asset, response.status]).toEqual([asset, 200]);
      const body = await response.text();
      if (asset.endsWith('.js')) {
        expect(response.headers.get('content-type')).toContain('javascript');
        expect(body).toContain('SwaggerUIBundle');
      }
      if (asset.endsWith('.css')) expect(response.headers.get('content-type')).toContain('css');
    }
    // Only the files the page needs, not the whole package (its demo page loads a remote API).
    expect((await fetch(`${base}/docs/assets/index.html`)).status).toBe(404);
  });

  it('is public on a server with tokens, and the API is not', async () => {
    const secured = await startTestServer({ tokens: new Map([['secret-token', '*']]) });
    try {
      const at = `http://127.0.0.1:${secured.httpPort}`;
      for (const path of ['/docs', '/openapi.json', '/docs/assets/swagger-ui-bundle.js']) {
        expect([path, (await fetch(`${at}${path}`)).status]).toEqual([path, 200]);
      }
      expect((await fetch(`${at}/v1/keys?agentId=a`)).status).toBe(401);
    } finally {
      await secured.close();
    }
  });
});
