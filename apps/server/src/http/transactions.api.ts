import { z } from 'zod';
import { defineOperation, type ErrorStatus } from './openapi/operation.decorator';
import {
  commitTs,
  commitToken,
  ifVersion,
  name,
  namespace,
  StateResult,
  txId,
  value,
} from './openapi/schemas';

// The operations of TransactionsController: their request schemas (what validates) and answers.

/** What an operation on an open transaction can be refused with. */
const TX_ERRORS: ErrorStatus[] = [400, 401, 403, 404, 409, 410, 413, 415, 429, 503];
const params = z.object({ txId });
const record = { agentId: name('The agent'), key: name('The key') };
const committed = z.object({ commitTs });

export const BEGIN = defineOperation({
  operationId: 'beginTransaction',
  tag: 'transactions',
  access: 'token',
  summary: 'Begin a transaction',
  body: {
    required: false,
    schema: z.object({
      namespace: namespace.optional(),
      timeoutMs: z.int().optional().meta({
        description:
          'Aborted by the server after this long (default 30000, at most --max-timeout-ms)',
      }),
    }),
  },
  success: {
    status: 201,
    description: 'Begun',
    content: {
      'application/json': z.object({
        txId: txId.meta({ description: 'The id `<namespace>~<uuid>`' }),
        namespace: z.string(),
      }),
    },
  },
  errors: [400, 401, 403, 413, 415, 429, 503],
});

export const WRITE = defineOperation({
  operationId: 'stageWrite',
  tag: 'transactions',
  access: 'token',
  summary: 'Stage a write (visible to others only after commit)',
  params,
  body: { required: true, schema: z.object({ ...record, value, ifVersion }) },
  success: { status: 204, description: 'Staged' },
  errors: TX_ERRORS,
});

export const DELETE = defineOperation({
  operationId: 'stageDelete',
  tag: 'transactions',
  access: 'token',
  summary: 'Stage a delete',
  params,
  body: { required: true, schema: z.object({ ...record, ifVersion }) },
  success: { status: 204, description: 'Staged' },
  errors: TX_ERRORS,
});

export const GET = defineOperation({
  operationId: 'readInTransaction',
  tag: 'transactions',
  access: 'token',
  summary: 'Read inside the transaction',
  description:
    'Its own staged write or delete if it has one (staged: true), else the committed record, whose version the commit then checks (a change since is a 409 CONFLICT).',
  params,
  body: { required: true, schema: z.object(record) },
  success: {
    status: 200,
    description: 'The record as the transaction sees it',
    content: {
      'application/json': z.object({
        ...StateResult.shape,
        staged: z.boolean().meta({ description: "The value is this transaction's own" }),
      }),
    },
  },
  errors: TX_ERRORS,
});

export const COMMIT = defineOperation({
  operationId: 'commitTransaction',
  tag: 'transactions',
  access: 'token',
  summary: 'Commit (409 CONFLICT when something it read changed)',
  params,
  body: { required: false, schema: z.object({ commitToken }) },
  success: {
    status: 200,
    description: 'Committed',
    content: { 'application/json': committed },
  },
  errors: TX_ERRORS,
});

export const ABORT = defineOperation({
  operationId: 'abortTransaction',
  tag: 'transactions',
  access: 'token',
  summary: 'Abort (a no-op when already aborted or timed out)',
  params,
  success: { status: 204, description: 'Aborted' },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
});

export const DESCRIBE = defineOperation({
  operationId: 'describeTransaction',
  tag: 'transactions',
  access: 'token',
  summary: "A transaction's state, deadline and times (any state, while its record is kept)",
  params,
  success: {
    status: 200,
    description: 'The transaction as its record says',
    content: {
      'application/json': z.object({
        id: z.string().meta({ description: 'The id `<namespace>~<uuid>`' }),
        namespace: z.string(),
        state: z.enum(['open', 'committed', 'aborted', 'timedOut']),
        deadline: z.int().meta({ description: 'Unix ms after which the server aborts it' }),
        createdAt: z.int().meta({ description: 'Unix ms' }),
        finishedAt: z.int().nullable().meta({ description: 'Unix ms; null while open' }),
        commitTs: commitTs.nullable().meta({ description: 'null unless committed' }),
      }),
    },
  },
  errors: [400, 401, 403, 404],
});

const operation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('write'), ...record, value, ifVersion }),
  z.object({ op: z.literal('delete'), ...record, ifVersion }),
  z.object({
    op: z.literal('append'),
    agentId: record.agentId,
    prefix: name('The key prefix: the key is the prefix and a sequence number'),
    value,
  }),
]);

export const COMMIT_OPERATIONS = defineOperation({
  operationId: 'commitOperations',
  tag: 'transactions',
  access: 'token',
  summary: 'Commit a whole transaction in one request, applied atomically',
  body: {
    required: true,
    schema: z.object({
      namespace: namespace.optional(),
      operations: z.array(operation),
      reads: z
        .array(z.object({ ...record, version: z.int() }))
        .optional()
        .meta({ description: 'Versions its reads saw: a record changed since is a 409 CONFLICT' }),
      listings: z
        .array(z.object({ agentId: record.agentId, membership: z.int() }))
        .optional()
        .meta({
          description:
            'Membership counts its listings saw: a record created or deleted since is a 409 CONFLICT',
        }),
      txId: txId.optional().meta({
        description:
          '`<namespace>~<uuid>` chosen by the client: with commitToken, a resend returns the first commitTs',
      }),
      commitToken,
      timeoutMs: z.int().optional(),
    }),
  },
  success: {
    status: 200,
    description: 'Committed',
    content: {
      'application/json': z.object({
        commitTs,
        txId: z.string(),
        appendedKeys: z
          .array(z.string())
          .meta({ description: 'The keys allocated to its appends, in order' }),
      }),
    },
  },
  errors: TX_ERRORS,
});
