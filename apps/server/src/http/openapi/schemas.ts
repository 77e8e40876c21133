// The pieces the operations' schemas are made of (the HTTP API's vocabulary, contract §1). They
// check types and presence; the engine checks the rest of each rule (UTF-8 byte lengths, control
// characters, a value's depth and size) and names the field the same way.
import { z } from 'zod';
import 'zod-openapi'; // its types for .meta({ id, override })

const nameRule =
  'non-empty Unicode without control characters, at most 256 UTF-8 bytes; ":" and "/" are ordinary characters';

/** An agentId, key or prefix. */
export const name = (description: string) =>
  z.string().meta({ description: `${description}: ${nameRule}` });

export const namespace = z.string().meta({
  description:
    'Any Unicode without control characters, at most 256 UTF-8 bytes ("team:alpha", "prod/eu", ' +
    '"日本語"); empty or absent: the server namespace ("default")',
});

/** A record's value: a plain JSON object, passed on as it is (the engine checks it). */
export const value = z
  .custom<Record<string, unknown>>(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    { error: 'must be a JSON object' },
  )
  .meta({
    override: {
      type: 'object',
      description:
        'A JSON object, at most 1 MiB serialized and 32 levels deep (the object itself is level 1); integers at most ±9007199254740991 (send bigger ones as strings)',
    },
  });

export const commitTs = z.int().meta({ description: 'The commit timestamp (first commit: 1)' });
export const version = z
  .int()
  .meta({ description: 'Per record: 1 for its first write, +1 for every write or delete' });
export const ifVersion = z.int().optional().meta({
  description: 'Commit only if the record then has this version (0: must not exist)',
});
export const txId = z.string().meta({
  description:
    'The id `<namespace>~<uuid>` as begin returned it, percent-encoded (encodeURIComponent): a ' +
    'namespace may hold "/", "%", "~", spaces and any Unicode',
});
export const commitToken = z.string().optional().meta({
  description:
    '8-64 characters of A-Z a-z 0-9 . _ -: the same commit sent again after a lost answer, to any instance, returns the first commitTs and never applies twice',
});
export const cursor = z.string().nullable().meta({ description: 'The next page; null: no more' });

/** A committed record as read (StateResult). */
export const StateResult = z
  .object({
    exists: z.boolean(),
    value: z.record(z.string(), z.unknown()).nullable().meta({
      description: 'null when the record does not exist (never written, or deleted)',
    }),
    version: version.meta({
      description: '0 when never written; a tombstone keeps its version',
    }),
    commitTs,
  })
  .meta({ id: 'StateResult' });

export const StateEntry = z
  .object({ key: z.string(), value: z.record(z.string(), z.unknown()), version, commitTs })
  .meta({ id: 'StateEntry' });

export const ReplayEvent = z
  .object({
    txId: z.string(),
    commitTs,
    operations: z.array(
      z.object({
        key: z.string(),
        value: z
          .record(z.string(), z.unknown())
          .nullable()
          .meta({ description: 'null: the record was deleted' }),
        version,
      }),
    ),
    time: z.int().optional().meta({
      description: 'When it committed: ms since the epoch, on Redis’ clock',
    }),
    horizon: z.int().optional().meta({
      description:
        'Only on the first event of a fromHorizon replay that started at the compaction horizon',
    }),
  })
  .meta({ id: 'ReplayEvent', description: "One commit's operations on the agent" });

/** An RFC 9457 problem document (problem.filter.ts). */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().meta({ description: 'What went wrong and what to do' }),
    code: z.string().meta({
      description: 'Stable error code',
      examples: ['VALIDATION_FAILED', 'CONFLICT', 'TRANSACTION_TIMEOUT'],
    }),
    requestId: z.string().optional().meta({ description: 'The x-request-id of the request' }),
    compactedTs: z.int().optional().meta({
      description:
        "VERSION_COMPACTED (410): the namespace's compaction horizon, the oldest commitTs still readable",
    }),
  })
  .meta({ id: 'Problem' });

/** A namespace's retention policy: each rule optional; none keeps everything. */
export const RetentionPolicy = z
  .object({
    maxVersionsPerKey: z.int().min(1).optional().meta({ description: 'Versions kept per record' }),
    maxAgeMs: z
      .int()
      .min(1)
      .optional()
      .meta({ description: 'A version goes once the version after it is this old (ms)' }),
    deletedRecordTtlMs: z
      .int()
      .min(0)
      .optional()
      .meta({ description: 'A deleted record goes whole once deleted this long ago (ms)' }),
  })
  .meta({ id: 'RetentionPolicy' });

export const CompactionCounts = z
  .object({ versions: z.int(), logEntries: z.int(), deletedRecords: z.int() })
  .meta({ id: 'CompactionCounts', description: 'What compaction removed' });
