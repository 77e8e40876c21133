/**
 * How user strings are placed inside Redis values. agentIds and keys are validated to contain no
 * control characters, so the NUL byte separates them unambiguously, and raw UTF-8 bytes keep their
 * byte-wise order in lexicographic sorted sets: `listKeys` order is exactly UTF-8 byte order.
 */
export const SEPARATOR = '\u0000';
const TS_DIGITS = 16;

export function recordField(agentId: string, key: string): string {
  return agentId + SEPARATOR + key;
}

export function agentPrefix(agentId: string): string {
  return agentId + SEPARATOR;
}

export function versionField(agentId: string, key: string, version: number): string {
  return agentId + SEPARATOR + key + SEPARATOR + String(version);
}

export function agentIndexMember(agentId: string, commitTs: number): string {
  return agentId + SEPARATOR + String(commitTs).padStart(TS_DIGITS, '0');
}

/**
 * Lexicographic bounds of every member that starts with `prefix`, after an optional exclusive
 * `after`. The upper bound ends in the raw byte 0xFF, which valid UTF-8 never contains.
 */
export function prefixRange(prefix: string, after?: string): [min: Buffer, max: Buffer] {
  const min = after === undefined ? `[${prefix}` : `(${after}`;
  return [Buffer.from(min, 'utf8'), Buffer.concat([Buffer.from(`(${prefix}`, 'utf8'), Buffer.from([0xff])])];
}

export { TS_DIGITS };
