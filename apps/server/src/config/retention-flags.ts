import type { RetentionPolicy } from '@statehouse/core';

/** The default retention policy (`--retention-*`) and the compaction interval, checked. */
export function readRetention(
  value: (flag: string) => string | undefined,
  named: (flag: string) => string,
  problems: string[],
): { retention: RetentionPolicy; compactionIntervalMs: number } {
  const whole = (flag: string, min: number, max: number): number | undefined => {
    const text = value(flag);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
      problems.push(`${named(flag)} must be a whole number ${range}, got "${text}"`);
      return undefined;
    }
    return Number(text);
  };
  const rule = (flag: string, min: number) => whole(flag, min, Number.MAX_SAFE_INTEGER);
  const maxVersionsPerKey = rule('retention-max-versions', 1);
  const maxAgeMs = rule('retention-max-age-ms', 1);
  const deletedRecordTtlMs = rule('retention-deleted-ttl-ms', 0);
  return {
    retention: {
      ...(maxVersionsPerKey === undefined ? {} : { maxVersionsPerKey }),
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
      ...(deletedRecordTtlMs === undefined ? {} : { deletedRecordTtlMs }),
    },
    compactionIntervalMs: whole('compaction-interval-ms', 100, 86_400_000) ?? 60_000,
  };
}
