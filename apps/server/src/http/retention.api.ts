import { z } from 'zod';
import { defineOperation } from './openapi/operation.decorator';
import { CompactionCounts, namespace, RetentionPolicy } from './openapi/schemas';

// The operations of RetentionController: a namespace's policy, and compaction now.

const RetentionInfo = z
  .object({
    namespace: z.string(),
    policy: RetentionPolicy,
    source: z.enum(['namespace', 'default']).meta({
      description: "namespace: set for it; default: the server's --retention-* flags",
    }),
    compactedTs: z.int().meta({
      description: 'The compaction horizon: reads as of an earlier commitTs are refused (410)',
    }),
    removed: CompactionCounts,
  })
  .meta({ id: 'RetentionInfo' });

export const GET_RETENTION = defineOperation({
  operationId: 'getRetention',
  tag: 'retention',
  access: 'token',
  summary: "Read a namespace's retention policy, its compaction horizon and what was removed",
  query: z.object({ namespace: namespace.optional() }),
  success: {
    status: 200,
    description: "The policy in force (the namespace's own, or the server's default)",
    content: { 'application/json': RetentionInfo },
  },
  errors: [400, 401, 403, 503],
});

export const SET_RETENTION = defineOperation({
  operationId: 'setRetention',
  tag: 'retention',
  access: 'token',
  summary: "Replace a namespace's retention policy ({}: keep everything)",
  description:
    'The latest version of every live record is never removed. The namespace is then compacted ' +
    'every --compaction-interval-ms by whichever server runs the job.',
  body: {
    schema: RetentionPolicy.extend({ namespace: namespace.optional() }),
    required: false,
  },
  success: {
    status: 200,
    description: 'The policy now in force',
    content: { 'application/json': RetentionInfo },
  },
  errors: [400, 401, 403, 413, 503],
});

export const COMPACT = defineOperation({
  operationId: 'compact',
  tag: 'retention',
  access: 'token',
  summary: 'Compact a namespace now, to completion, under its retention policy',
  body: { schema: z.object({ namespace: namespace.optional() }), required: false },
  success: {
    status: 200,
    description: 'What this run removed and the new horizon',
    content: {
      'application/json': z.object({
        namespace: z.string(),
        removed: CompactionCounts,
        compactedTs: z.int(),
        steps: z.int().meta({ description: 'Script calls (each bounded)' }),
        longestStepMs: z.number().meta({ description: 'The longest, as the server saw it' }),
      }),
    },
  },
  errors: [400, 401, 403, 413, 503],
});
