/** The OpenAPI 3.1 document of the HTTP API (served at /openapi.json, rendered at /docs). */
const record = {
  type: 'object',
  properties: {
    exists: { type: 'boolean' },
    value: { type: ['object', 'null'], description: 'null when the record does not exist' },
    version: {
      type: 'integer',
      description: '0 when never written; a tombstone keeps its version',
    },
    commitTs: { type: 'integer' },
  },
};
const problem = {
  description: 'An error (application/problem+json) with a stable `code`',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const problemFor = (description: string) => ({ ...problem, description });
const errors = { '400': problem, '401': problem, '403': problem, '503': problem };
/** Routes with a body also answer 415 (not JSON) and 413 (too large). */
const bodyErrors = { ...errors, '413': problem, '415': problem };
const quota = problemFor(
  'QUOTA_EXCEEDED: a namespace quota (open transactions, staged bytes) is reached; the detail names the limit and how to raise it. Retry once transactions of the namespace finish.',
);
const txErrors = {
  ...bodyErrors,
  '404': problem,
  '409': problem,
  '410': problemFor(
    'TRANSACTION_TIMEOUT: the transaction passed its deadline. 410 Gone rather than 408, which HTTP clients resend by themselves: a timed-out transaction stays timed out.',
  ),
  '429': quota,
};
const json = (schema: object, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const txId = {
  name: 'txId',
  in: 'path',
  required: true,
  description:
    'The id `<namespace>~<uuid>` as begin returned it, percent-encoded (encodeURIComponent): a ' +
    'namespace may hold "/", "%", "~", spaces and any Unicode',
  schema: { type: 'string' },
};
/** The namespace rule, the engine's (validateNamespace). */
const NAMESPACE_RULE =
  'Any Unicode without control characters, at most 256 UTF-8 bytes ("team:alpha", "prod/eu", ' +
  '"日本語"); empty or absent: the server namespace ("default")';
const namespaceField = { type: 'string', description: NAMESPACE_RULE };
const q = (name: string, description: string, type = 'string', required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema: { type },
});
const namespace = q('namespace', NAMESPACE_RULE);
const agentId = q('agentId', 'The agent', 'string', true);
const page = [
  q('limit', 'Page size, 1-10000 (default 1000)', 'integer'),
  q('cursor', "The previous page's cursor"),
  q('atTs', 'The listing as of this commitTs (a page may then hold fewer entries)', 'integer'),
];
const recordRef = {
  type: 'object',
  required: ['agentId', 'key'],
  properties: { agentId: { type: 'string' }, key: { type: 'string' } },
};
const writeInput = {
  type: 'object',
  required: ['agentId', 'key', 'value'],
  properties: {
    agentId: { type: 'string' },
    key: { type: 'string' },
    value: {
      type: 'object',
      description:
        'A JSON object, at most 1 MiB serialized and 32 levels deep (the object itself is level 1); integers at most ±9007199254740991 (send bigger ones as strings)',
    },
    ifVersion: {
      type: 'integer',
      description: 'Commit only if the record then has this version (0: must not exist)',
    },
  },
};
const deleteInput = {
  type: 'object',
  required: ['agentId', 'key'],
  properties: {
    agentId: { type: 'string' },
    key: { type: 'string' },
    ifVersion: { type: 'integer' },
  },
};
const commitResult = { type: 'object', properties: { commitTs: { type: 'integer' } } };

const retentionPolicy = {
  type: 'object',
  properties: {
    maxVersionsPerKey: { type: 'integer', minimum: 1, description: 'Versions kept per record' },
    maxAgeMs: {
      type: 'integer',
      minimum: 1,
      description: 'A version goes once the version after it is this old',
    },
    deletedRecordTtlMs: {
      type: 'integer',
      minimum: 0,
      description: 'A deleted record goes whole once deleted this long ago',
    },
  },
};
const compactionCounts = {
  type: 'object',
  properties: {
    versions: { type: 'integer' },
    logEntries: { type: 'integer' },
    deletedRecords: { type: 'integer' },
  },
};
const retentionInfo = {
  type: 'object',
  properties: {
    namespace: { type: 'string' },
    policy: retentionPolicy,
    source: { type: 'string', enum: ['namespace', 'default'] },
    compactedTs: { type: 'integer' },
    removed: compactionCounts,
  },
};

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Statehouse HTTP API',
    version: '1',
    description:
      'Transactional, versioned agent state. Authenticate with `authorization: Bearer <token>` when the server has tokens. Every error is application/problem+json with a stable `code`; every response carries `x-request-id`. A request body must be sent with `Content-Type: application/json` (or `application/*+json`), else 415; a POST without a body needs none. JSON nested deeper than a value may be, or holding an integer literal beyond ±(2^53−1), is refused with 400 naming the field. Bodies over 1 MiB are read a few at a time per server process (`--max-large-bodies`, default 4): one more is answered 503 `SERVER_BUSY` with `Retry-After`.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Problem: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: {
            type: 'string',
            examples: ['CONFLICT', 'TRANSACTION_TIMEOUT', 'VALIDATION_FAILED'],
          },
          requestId: { type: 'string' },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/v1/transactions': {
      post: {
        summary: 'Begin a transaction',
        requestBody: {
          ...body({
            type: 'object',
            properties: {
              namespace: namespaceField,
              timeoutMs: { type: 'integer', default: 30000 },
            },
          }),
          required: false,
        },
        responses: {
          '201': json(
            {
              type: 'object',
              properties: { txId: { type: 'string' }, namespace: { type: 'string' } },
            },
            'Begun',
          ),
          ...bodyErrors,
          '429': quota,
        },
      },
    },
    '/v1/transactions/{txId}/write': {
      post: {
        summary: 'Stage a write',
        parameters: [txId],
        requestBody: body(writeInput),
        responses: { '204': { description: 'Staged' }, ...txErrors },
      },
    },
    '/v1/transactions/{txId}/delete': {
      post: {
        summary: 'Stage a delete',
        parameters: [txId],
        requestBody: body(deleteInput),
        responses: { '204': { description: 'Staged' }, ...txErrors },
      },
    },
    '/v1/transactions/{txId}/get': {
      post: {
        summary:
          'Read inside the transaction (its own writes, else the committed record, whose version the commit then checks)',
        parameters: [txId],
        requestBody: body(recordRef),
        responses: {
          '200': json({
            ...record,
            properties: { ...record.properties, staged: { type: 'boolean' } },
          }),
          ...txErrors,
        },
      },
    },
    '/v1/transactions/{txId}/commit': {
      post: {
        summary: 'Commit (409 CONFLICT when something read changed)',
        description:
          'With a commitToken (8-64 characters of A-Z a-z 0-9 . _ -), the same request may be sent ' +
          'again after a lost answer, to any instance: it returns the commitTs of the attempt that ' +
          'committed, and never applies twice.',
        parameters: [txId],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: { type: 'object', properties: { commitToken: { type: 'string' } } },
            },
          },
        },
        responses: { '200': json(commitResult), ...txErrors },
      },
    },
    '/v1/transactions/{txId}/abort': {
      post: {
        summary: 'Abort (a no-op when already aborted or timed out)',
        parameters: [txId],
        responses: { '204': { description: 'Aborted' }, ...txErrors },
      },
    },
    '/v1/commit': {
      post: {
        summary: 'A whole transaction in one request, applied atomically',
        requestBody: body({
          type: 'object',
          required: ['operations'],
          properties: {
            namespace: namespaceField,
            operations: {
              type: 'array',
              items: {
                oneOf: [
                  {
                    ...writeInput,
                    properties: { op: { const: 'write' }, ...writeInput.properties },
                  },
                  {
                    ...deleteInput,
                    properties: { op: { const: 'delete' }, ...deleteInput.properties },
                  },
                  {
                    type: 'object',
                    required: ['op', 'agentId', 'prefix', 'value'],
                    properties: {
                      op: { const: 'append' },
                      agentId: { type: 'string' },
                      prefix: { type: 'string' },
                      value: { type: 'object' },
                    },
                  },
                ],
              },
            },
            reads: {
              type: 'array',
              description: 'Versions its reads saw: a record changed since is a conflict (409)',
              items: {
                type: 'object',
                required: ['agentId', 'key', 'version'],
                properties: {
                  agentId: { type: 'string' },
                  key: { type: 'string' },
                  version: { type: 'integer' },
                },
              },
            },
            listings: {
              type: 'array',
              description:
                'Membership counts its listings saw: a record created or deleted since is a conflict',
              items: {
                type: 'object',
                required: ['agentId', 'membership'],
                properties: { agentId: { type: 'string' }, membership: { type: 'integer' } },
              },
            },
            txId: {
              type: 'string',
              description:
                '<namespace>~<uuid> chosen by the client: with commitToken, a resend returns the first commitTs',
            },
            commitToken: { type: 'string' },
            timeoutMs: { type: 'integer' },
          },
        }),
        responses: {
          '200': json({
            ...commitResult,
            properties: {
              ...commitResult.properties,
              txId: { type: 'string' },
              appendedKeys: {
                type: 'array',
                items: { type: 'string' },
                description: 'The keys allocated to its appends, in order',
              },
            },
          }),
          ...txErrors,
        },
      },
    },
    '/v1/state': {
      get: {
        summary: 'A committed record: latest, an exact version, or as of a commitTs',
        parameters: [
          namespace,
          agentId,
          q('key', 'The key', 'string', true),
          q('version', 'An exact version', 'integer'),
          q('atTs', 'As of this commitTs', 'integer'),
        ],
        responses: { '200': json(record), ...errors, '404': problem },
      },
    },
    '/v1/keys': {
      get: {
        summary: 'Live keys of an agent in UTF-8 byte order, paginated',
        parameters: [namespace, agentId, ...page],
        responses: {
          '200': json({
            type: 'object',
            properties: {
              keys: { type: 'array', items: { type: 'string' } },
              cursor: { type: ['string', 'null'] },
            },
          }),
          ...errors,
        },
      },
    },
    '/v1/scan': {
      get: {
        summary: 'Live records whose key starts with a prefix, paginated',
        parameters: [namespace, agentId, q('prefix', 'Key prefix'), ...page],
        responses: {
          '200': json({
            type: 'object',
            properties: {
              entries: { type: 'array', items: { type: 'object' } },
              cursor: { type: ['string', 'null'] },
            },
          }),
          ...errors,
        },
      },
    },
    '/v1/replay': {
      get: {
        summary:
          "An agent's events in commit order: NDJSON, or server-sent events with accept: text/event-stream",
        parameters: [
          namespace,
          agentId,
          q('startTs', 'First commitTs (inclusive)', 'integer'),
          q('endTs', 'Last commitTs (inclusive)', 'integer'),
          q('follow', 'Keep delivering new commits', 'boolean'),
          q(
            'fromHorizon',
            'Start at the compaction horizon when startTs is below it (else 410 VERSION_COMPACTED); ' +
              'the first event then carries `horizon`',
            'boolean',
          ),
        ],
        responses: {
          '200': {
            description:
              'A stream of { txId, commitTs, operations: [{ key, value | null, version }] }. ' +
              'At server shutdown it ends with a final event: the NDJSON line ' +
              '{"end":"server shutting down"}, or the SSE event `end` with data ' +
              '{"reason":"server shutting down"}',
            content: { 'application/x-ndjson': {}, 'text/event-stream': {} },
          },
          // TOO_MANY_FOLLOWERS: the token has --max-followers-per-token follow-mode replays open
          '429': problem,
          ...errors,
        },
      },
    },
    '/v1/retention': {
      get: {
        summary:
          "A namespace's retention policy in force (its own or the server's default), its " +
          'compaction horizon (compactedTs) and what compaction removed',
        parameters: [namespace],
        responses: { '200': json(retentionInfo), ...errors },
      },
      put: {
        summary:
          "Replaces a namespace's retention policy ({}: keep everything); compaction then runs " +
          'every --compaction-interval-ms',
        requestBody: body({
          type: 'object',
          properties: { namespace: namespaceField, ...retentionPolicy.properties },
        }),
        responses: { '200': json(retentionInfo), ...bodyErrors },
      },
    },
    '/v1/compact': {
      post: {
        summary:
          'Compacts a namespace now, to completion, under its policy; returns what was removed ' +
          'and the new horizon',
        requestBody: body({ type: 'object', properties: { namespace: namespaceField } }),
        responses: {
          '200': json({
            type: 'object',
            properties: {
              namespace: { type: 'string' },
              removed: compactionCounts,
              compactedTs: { type: 'integer' },
              steps: { type: 'integer' },
              longestStepMs: { type: 'number' },
            },
          }),
          ...bodyErrors,
        },
      },
    },
    '/healthz': {
      get: { summary: 'Liveness', security: [], responses: { '200': json({ type: 'object' }) } },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: Redis answers',
        security: [],
        responses: { '200': json({ type: 'object' }), '503': problem },
      },
    },
    '/metrics': {
      get: {
        summary:
          'Prometheus metrics (statehouse_*, process_*, nodejs_*); with tokens configured a valid ' +
          'token is needed, unless the server runs with --metrics-public',
        security: [{}, { bearer: [] }],
        responses: {
          '200': { description: 'text/plain exposition format' },
          '401': problem,
        },
      },
    },
    '/v1/version': {
      get: {
        summary: 'Server version and git commit',
        security: [],
        responses: { '200': json({ type: 'object' }) },
      },
    },
  },
} as const;

/** A self-contained page (no external assets) listing every operation of the document. */
export function renderDocs(): string {
  const escape = (text: string): string =>
    text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const rows: string[] = [];
  for (const [path, methods] of Object.entries(OPENAPI_DOCUMENT.paths)) {
    for (const [method, operation] of Object.entries(
      methods as Record<
        string,
        {
          summary: string;
          parameters?: Array<{ name: string; in: string; description?: string }>;
          requestBody?: unknown;
        }
      >,
    )) {
      const params = (operation.parameters ?? [])
        .map(
          (p) =>
            `<code>${escape(p.name)}</code> (${p.in})${p.description ? `: ${escape(p.description)}` : ''}`,
        )
        .join('<br>');
      const schema = operation.requestBody
        ? `<details><summary>body</summary><pre>${escape(JSON.stringify((operation.requestBody as { content: { 'application/json': { schema: unknown } } }).content['application/json'].schema, null, 2))}</pre></details>`
        : '';
      rows.push(
        `<tr><td><b>${method.toUpperCase()}</b></td><td><code>${escape(path)}</code></td><td>${escape(operation.summary)}${params ? `<br><small>${params}</small>` : ''}${schema}</td></tr>`,
      );
    }
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>Statehouse HTTP API</title>
<style>body{font:15px system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em}td{vertical-align:top;padding:.5em;border-bottom:1px solid #ddd}pre{background:#f6f6f6;padding:.5em}</style>
</head><body><h1>Statehouse HTTP API</h1><p>${escape(OPENAPI_DOCUMENT.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). gRPC: <code>statehouse.v1.StatehouseService</code> on port 50051.</p>
<table>${rows.join('\n')}</table></body></html>`;
}
