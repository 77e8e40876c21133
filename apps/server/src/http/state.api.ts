import { z } from 'zod';
import { defineOperation } from './openapi/operation.decorator';
import { cursor, name, namespace, ReplayEvent, StateEntry, StateResult } from './openapi/schemas';

// The operations of StateController: their request schemas (what validates) and answers.

const page = {
  limit: z.int().optional().meta({ description: 'Page size, 1-10000 (default 1000)' }),
  cursor: z.string().optional().meta({ description: "The previous page's cursor" }),
  atTs: z.int().optional().meta({
    description: 'The listing as of this commitTs (a page may then hold fewer entries)',
  }),
};

export const GET_STATE = defineOperation({
  operationId: 'getState',
  tag: 'state',
  access: 'token',
  summary: 'Read a committed record: latest, an exact version, or as of a commitTs',
  query: z.object({
    namespace: namespace.optional(),
    agentId: name('The agent'),
    key: name('The key'),
    version: z.int().optional().meta({ description: 'An exact version (then atTs is ignored)' }),
    atTs: z.int().optional().meta({ description: 'As of this commitTs' }),
  }),
  success: {
    status: 200,
    description: 'The record (exists: false when missing or deleted)',
    content: { 'application/json': StateResult },
  },
  errors: [400, 401, 403, 404, 410, 503],
});

export const LIST_KEYS = defineOperation({
  operationId: 'listKeys',
  tag: 'state',
  access: 'token',
  summary: 'List the live keys of an agent in UTF-8 byte order, paginated',
  query: z.object({ namespace: namespace.optional(), agentId: name('The agent'), ...page }),
  success: {
    status: 200,
    description: 'A page of keys',
    content: { 'application/json': z.object({ keys: z.array(z.string()), cursor }) },
  },
  errors: [400, 401, 403, 410, 503],
});

export const SCAN_PREFIX = defineOperation({
  operationId: 'scanPrefix',
  tag: 'state',
  access: 'token',
  summary: 'List the live records whose key starts with a prefix, paginated',
  query: z.object({
    namespace: namespace.optional(),
    agentId: name('The agent'),
    prefix: z.string().optional().meta({ description: 'Key prefix (default: every key)' }),
    ...page,
  }),
  success: {
    status: 200,
    description: 'A page of records, a consistent snapshot',
    content: { 'application/json': z.object({ entries: z.array(StateEntry), cursor }) },
  },
  errors: [400, 401, 403, 410, 503],
});

export const REPLAY = defineOperation({
  operationId: 'replay',
  tag: 'state',
  access: 'token',
  summary: "Stream an agent's commits in order: NDJSON, or server-sent events",
  description:
    'NDJSON (one event per line), or server-sent events with `Accept: text/event-stream`: each ' +
    'event is `event: replay`, `id: <commitTs>`, `data: <event>`. A `Last-Event-ID` header (what ' +
    'EventSource sends when it reconnects) resumes after that commitTs: no event twice, none ' +
    'missed. An SSE stream gets a comment line `: heartbeat` every 15 s (--sse-heartbeat-ms). At ' +
    'server shutdown the stream ends with a final event: the NDJSON line ' +
    '`{"end":"server shutting down"}`, or the SSE event `end` with data ' +
    '`{"reason":"server shutting down"}` (no id: reconnect to another instance to resume). 429 ' +
    'TOO_MANY_FOLLOWERS: the token has --max-followers-per-token follow-mode replays open.',
  query: z.object({
    namespace: namespace.optional(),
    agentId: name('The agent'),
    startTs: z.int().optional().meta({ description: 'First commitTs (inclusive)' }),
    endTs: z.int().optional().meta({ description: 'Last commitTs (inclusive)' }),
    follow: z
      .boolean()
      .optional()
      .meta({ description: 'After the history, keep delivering new commits' }),
    fromHorizon: z
      .boolean()
      .optional()
      .meta({
        description:
          'Start at the compaction horizon when startTs is below it (else 410 VERSION_COMPACTED); ' +
          'the first event then carries `horizon`',
      }),
  }),
  headers: z.object({
    // Checked by lastEventId() (replay-response.ts), which the controller calls: the same rule.
    'last-event-id': z
      .string()
      .regex(/^\d{1,16}$/)
      .optional()
      .meta({
        description: 'Resume after this commitTs (the id of the last event received)',
      }),
  }),
  success: {
    status: 200,
    description: 'The events in commitTs order, streamed',
    content: {
      'application/x-ndjson': ReplayEvent,
      'text/event-stream': z.string().meta({
        description: 'Server-sent events: `event: replay`, `id: <commitTs>`, `data: <ReplayEvent>`',
        examples: [
          'event: replay\nid: 7\ndata: {"txId":"default~…","commitTs":7,"operations":[…]}\n\n',
        ],
      }),
    },
  },
  errors: [400, 401, 403, 410, 429, 503],
});
