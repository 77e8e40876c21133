/**
 * How user strings are placed inside Redis values. agentIds and keys are validated to contain no
 * control characters, so the NUL byte separates them unambiguously, and raw UTF-8 bytes keep their
 * byte-wise order in lexicographic sorted sets: `listKeys` order is exactly UTF-8 byte order.
 */
export const SEPARATOR = '\u0000';
/** Separates an agentId from the commitTs of its replay entries: they sort apart from its records. */
export const REPLAY_SEPARATOR = '\u0001';
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

/**
 * The field "agentId MEMBERSHIP_MARK" of the records hash counts how often one of the agent's
 * records came into existence or was deleted: a listing's phantom check.
 */
export const MEMBERSHIP_MARK = '\u0002';

export function membershipField(agentId: string): string {
  return agentId + MEMBERSHIP_MARK;
}

/** Separates an agentId from the key of a record that ever existed (listings as of a commitTs). */
export const EVER_SEPARATOR = '\u0005';

/** A replay entry of the ordered index: the agent's commit at `commitTs`. */
export function agentIndexMember(agentId: string, commitTs: number): string {
  return agentId + REPLAY_SEPARATOR + String(commitTs).padStart(TS_DIGITS, '0');
}

/**
 * Lexicographic bounds of every member that starts with `prefix`, after an optional exclusive
 * `after`. The upper bound ends in the raw byte 0xFF, which valid UTF-8 never contains.
 */
export function prefixRange(prefix: string, after?: string): [min: Buffer, max: Buffer] {
  const min = after === undefined ? `[${prefix}` : `(${after}`;
  return [
    Buffer.from(min, 'utf8'),
    Buffer.concat([Buffer.from(`(${prefix}`, 'utf8'), Buffer.from([0xff])]),
  ];
}

export { TS_DIGITS };
