import type {
  CompactionCounts,
  CompactionResult,
  RetentionInfo,
  RetentionPolicy,
} from '../api/statehouse.types';
import type { CompactionCounts__Output } from '../generated/statehouse_ts/v1/CompactionCounts';
import type { CompactionResult__Output } from '../generated/statehouse_ts/v1/CompactionResult';
import type { RetentionInfo__Output } from '../generated/statehouse_ts/v1/RetentionInfo';
import type { RetentionPolicy__Output } from '../generated/statehouse_ts/v1/RetentionPolicy';

// Retention policies and compaction results on statehouse_ts.v1 (SetRetention, GetRetention,
// Compact): one mapping for the server and the network client.

/** A policy as the proto carries it (absent rules stay absent). */
export function policyToWire(policy: RetentionPolicy): RetentionPolicy__Output {
  return {
    ...(policy.maxVersionsPerKey === undefined
      ? {}
      : { max_versions_per_key: policy.maxVersionsPerKey }),
    ...(policy.maxAgeMs === undefined ? {} : { max_age_ms: policy.maxAgeMs }),
    ...(policy.deletedRecordTtlMs === undefined
      ? {}
      : { deleted_record_ttl_ms: policy.deletedRecordTtlMs }),
  };
}

export function policyFromWire(wire: RetentionPolicy__Output | undefined | null): RetentionPolicy {
  return {
    ...(wire?.max_versions_per_key === undefined
      ? {}
      : { maxVersionsPerKey: wire.max_versions_per_key }),
    ...(wire?.max_age_ms === undefined ? {} : { maxAgeMs: wire.max_age_ms }),
    ...(wire?.deleted_record_ttl_ms === undefined
      ? {}
      : { deletedRecordTtlMs: wire.deleted_record_ttl_ms }),
  };
}

function countsToWire(counts: CompactionCounts): CompactionCounts__Output {
  return {
    versions: counts.versions,
    log_entries: counts.logEntries,
    deleted_records: counts.deletedRecords,
  };
}

function countsFromWire(wire: CompactionCounts__Output | undefined): CompactionCounts {
  return {
    versions: wire?.versions ?? 0,
    logEntries: wire?.log_entries ?? 0,
    deletedRecords: wire?.deleted_records ?? 0,
  };
}

export function retentionInfoToWire(info: RetentionInfo): RetentionInfo__Output {
  return {
    namespace: info.namespace,
    policy: policyToWire(info.policy),
    source: info.source,
    compacted_ts: info.compactedTs,
    removed: countsToWire(info.removed),
  };
}

export function retentionInfoFromWire(wire: RetentionInfo__Output): RetentionInfo {
  return {
    namespace: wire.namespace ?? '',
    policy: policyFromWire(wire.policy),
    source: wire.source === 'namespace' ? 'namespace' : 'default',
    compactedTs: wire.compacted_ts ?? 0,
    removed: countsFromWire(wire.removed),
  };
}

export function compactionToWire(result: CompactionResult): CompactionResult__Output {
  return {
    namespace: result.namespace,
    removed: countsToWire(result.removed),
    compacted_ts: result.compactedTs,
    steps: result.steps,
    longest_step_ms: result.longestStepMs,
  };
}

export function compactionFromWire(wire: CompactionResult__Output): CompactionResult {
  return {
    namespace: wire.namespace ?? '',
    removed: countsFromWire(wire.removed),
    compactedTs: wire.compacted_ts ?? 0,
    steps: wire.steps ?? 0,
    longestStepMs: wire.longest_step_ms ?? 0,
  };
}
