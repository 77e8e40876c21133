import { z } from 'zod';
import { defineOperation } from './openapi/operation.decorator';
import { commitTs, cursor, namespace } from './openapi/schemas';

// The operations of OperatorController: namespaces and agents, snapshots out and in.

const NamespaceInfo = z
  .object({ namespace: z.string(), agentCount: z.int(), lastCommitTs: commitTs })
  .meta({ id: 'NamespaceInfo' });

const AgentInfo = z
  .object({
    agentId: z.string(),
    keyCount: z.int().meta({ description: 'Live keys (no tombstones)' }),
    lastCommitTs: commitTs,
  })
  .meta({ id: 'AgentInfo' });

export const LIST_NAMESPACES = defineOperation({
  operationId: 'listNamespaces',
  tag: 'operations',
  access: 'token',
  summary: 'List the namespaces the token may use that have a commit, in byte-wise order',
  success: {
    status: 200,
    description: 'Every such namespace with its agent count and last commitTs',
    content: { 'application/json': z.object({ namespaces: z.array(NamespaceInfo) }) },
  },
  errors: [401, 403, 503],
});

export const LIST_AGENTS = defineOperation({
  operationId: 'listAgents',
  tag: 'operations',
  access: 'token',
  summary: "List a namespace's agents in byte-wise order of their id, paginated",
  description:
    'Every agent a commit touched, each with its live key count and the last commit that touched it.',
  query: z.object({
    namespace: namespace.optional(),
    prefix: z.string().optional().meta({ description: 'Only agents whose id starts with this' }),
    limit: z.int().optional().meta({ description: 'Page size, 1-10000 (default 1000)' }),
    cursor: z.string().optional().meta({ description: "The previous page's cursor" }),
  }),
  success: {
    status: 200,
    description: 'A page of agents',
    content: { 'application/json': z.object({ agents: z.array(AgentInfo), cursor }) },
  },
  errors: [400, 401, 403, 503],
});

export const EXPORT_SNAPSHOT = defineOperation({
  operationId: 'exportSnapshot',
  tag: 'operations',
  access: 'token',
  summary: "Dump a namespace's records (or its whole history) as of one commitTs, as NDJSON",
  description:
    'A header line (format, namespace, atTs, history, agentPrefix), then one line per record, or ' +
    'with history=true one line per commit, then a trailer line {"end":true,...} (an import ' +
    'refuses a file without it: truncated). Streamed; memory on the server is one page.',
  query: z.object({
    namespace: namespace.optional(),
    agentPrefix: z
      .string()
      .optional()
      .meta({ description: 'Only agents whose id starts with this' }),
    atTs: z.int().optional().meta({ description: 'As of this commitTs (default: the last)' }),
    history: z
      .boolean()
      .optional()
      .meta({ description: 'Every version and the log (a restore then reproduces them)' }),
  }),
  success: {
    status: 200,
    description: 'The snapshot, one JSON document per line',
    content: { 'application/x-ndjson': z.string().meta({ description: 'NDJSON lines' }) },
  },
  errors: [400, 401, 403, 410, 503],
});

export const IMPORT_SNAPSHOT = defineOperation({
  operationId: 'importSnapshot',
  tag: 'operations',
  access: 'token',
  summary: 'Restore a snapshot (the NDJSON of exportSnapshot, as the request body)',
  description:
    'The body is the snapshot (content-type application/x-ndjson), read as a stream and written ' +
    'in batched transactions. Refused (409 NAMESPACE_NOT_EMPTY) into a namespace with data unless ' +
    'mode=merge; running the same file again after a crash resumes it.',
  streamBody: {
    contentType: 'application/x-ndjson',
    description: 'The snapshot: the NDJSON lines of exportSnapshot, header first, trailer last',
  },
  query: z.object({
    namespace: namespace
      .optional()
      .meta({ description: "Target namespace (default: the snapshot's own)" }),
    mode: z.enum(['empty-only', 'merge']).optional().meta({ description: 'Default empty-only' }),
  }),
  success: {
    status: 200,
    description: 'What was written',
    content: {
      'application/json': z.object({
        namespace: z.string(),
        records: z.int(),
        versions: z.int(),
        commits: z.int(),
        atTs: commitTs,
      }),
    },
  },
  errors: [400, 401, 403, 409, 413, 503],
});
