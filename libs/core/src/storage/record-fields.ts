/**
 * How user strings are placed inside Redis values, around the marks of `marks.ts` (which says why
 * they cannot be confused with a user's bytes). Raw UTF-8 bytes keep their byte-wise order in
 * lexicographic sorted sets: `listKeys` order is exactly UTF-8 byte order.
 */
import { MEMBERSHIP_MARK, RANGE_END, REPLAY_SEPARATOR, SEPARATOR } from './marks';

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
export function membershipField(agentId: string): string {
  return agentId + MEMBERSHIP_MARK;
}

/** A replay entry of the ordered index: the agent's commit at `commitTs`. */
export function agentIndexMember(agentId: string, commitTs: number): string {
  return agentId + REPLAY_SEPARATOR + String(commitTs).padStart(TS_DIGITS, '0');
}

/**
 * Lexicographic bounds of every member that starts with `prefix`, after an optional exclusive
 * `after`. The upper bound ends in the raw byte RANGE_END (0xFF), which valid UTF-8 never contains.
 */
export function prefixRange(prefix: string, after?: string): [min: Buffer, max: Buffer] {
  const min = after === undefined ? `[${prefix}` : `(${after}`;
  return [
    Buffer.from(min, 'utf8'),
    Buffer.concat([Buffer.from(`(${prefix}`, 'utf8'), Buffer.from([RANGE_END])]),
  ];
}

export { TS_DIGITS };
