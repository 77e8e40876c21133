/**
 * The marks: every control byte that Statehouse places inside Redis hash fields, sorted-set members
 * and values, named once. This module is the single source of them. The Lua scripts get the same
 * names and bytes as locals from `--- @include "marks"`, which `commands/scripts.ts` generates
 * from `MARKS` when it loads the scripts (there is no marks.lua to drift from this file), and
 * `marks.spec.ts` fails on any control byte written out anywhere else in a script or in this
 * library's code.
 *
 * agentIds, keys and prefixes are validated to hold no control characters (`validateName`), so a
 * mark is never one of a user's bytes: a field splits unambiguously at its marks, and `agentId MARK`
 * is a prefix that no other agent's entries share (each kind of entry of an agent is one
 * lexicographic range of the ordered index).
 *
 * The bytes are stored data: changing one breaks every namespace already written. Add a new mark
 * rather than reusing one, and pick a byte that keeps the orders described here.
 *
 *   name                       byte      where                 as
 *   SEPARATOR                  0x00 NUL  state, index, log,    agentId NUL key: a record; record NUL
 *                                        tx hash               version: its version index entry in
 *                                                              state; inside an append's fields (below)
 *   REPLAY_SEPARATOR           0x01 SOH  index                 agentId SOH <commitTs, 16 digits>: a
 *                                                              commit touching the agent (replay);
 *                                                              sorts after agentId NUL (records)
 *   CONDITION_MARK             0x01 SOH  tx hash               SOH agentId NUL key -> the version the
 *                                                              record must still have at commit, or
 *                                                              "!" (a read, or a write's ifVersion)
 *   MEMBERSHIP_MARK            0x02 STX  state; conflicts      agentId STX -> how often one of the
 *                                                              agent's records came into existence or
 *                                                              was deleted (a listing's phantom
 *                                                              check); a conflict on it names this
 *   MEMBERSHIP_CONDITION_MARK  0x03 ETX  tx hash               ETX agentId -> the membership count the
 *                                                              transaction's listing saw
 *   APPEND_COUNTER_SEPARATOR   0x03 ETX  state                 agentId ETX prefix -> the last counter
 *                                                              an append to prefix was given
 *   APPEND_MARK                0x04 EOT  tx hash               EOT agentId NUL prefix NUL <append id>:
 *                                                              a staged append (its key comes at
 *                                                              commit)
 *   EVER_SEPARATOR             0x05 ENQ  index                 agentId ENQ key: a record that ever
 *                                                              existed (listings as of a commitTs)
 *   AGENT_MARK                 0x06 ACK  index                 AGENT_MARK agentId: an agent some commit
 *                                                              touched (listAgents; before every
 *                                                              agent's own entries, which start with
 *                                                              a byte >= 0x20)
 *                                        state                 AGENT_MARK alone -> 'indexed' when the
 *                                                              namespace's AGENT_MARK entries are
 *                                                              complete, else 'after <agentId>' (the
 *                                                              backfill's progress); absent: not yet
 *   HORIZON_MARK               0x07 BEL  state                 the field BEL alone -> the namespace's
 *                                                              compaction horizon (compactedTs): reads
 *                                                              as of an earlier commitTs and replays
 *                                                              from one are refused
 *   APPENDED_KEY_SEPARATOR     0x09 TAB  tx hash `appended`,   "<append id> TAB <key>": the key an
 *                                        finished records      append was given at commit
 *   APPENDED_LINE_SEPARATOR    0x0A LF   the same              between two such lines
 *
 * Where a byte has two names, the two never meet in one place: SOH starts a tx-hash field but
 * follows the agentId in the index; ETX starts a tx-hash field but follows the agentId in state.
 * A tx-hash field is a staged write or delete when it holds NUL and starts with none of SOH, EOT;
 * metadata names (`state`, `deadline`, ...) hold no mark at all.
 *
 * One byte is a bound, never stored: RANGE_END (0xFF, never in valid UTF-8) ends the upper bound
 * of a ZRANGEBYLEX over every member that starts with a prefix (`prefixRange`).
 */

export const SEPARATOR = '\u0000';
export const REPLAY_SEPARATOR = '\u0001';
export const CONDITION_MARK = '\u0001';
export const MEMBERSHIP_MARK = '\u0002';
export const MEMBERSHIP_CONDITION_MARK = '\u0003';
export const APPEND_COUNTER_SEPARATOR = '\u0003';
export const APPEND_MARK = '\u0004';
export const EVER_SEPARATOR = '\u0005';
export const AGENT_MARK = '\u0006';
export const HORIZON_MARK = '\u0007';
export const APPENDED_KEY_SEPARATOR = '\u0009';
export const APPENDED_LINE_SEPARATOR = '\u000a';

/** Every mark, by the name both the TypeScript and the Lua code use for it. */
export const MARKS = {
  SEPARATOR,
  REPLAY_SEPARATOR,
  CONDITION_MARK,
  MEMBERSHIP_MARK,
  MEMBERSHIP_CONDITION_MARK,
  APPEND_COUNTER_SEPARATOR,
  APPEND_MARK,
  EVER_SEPARATOR,
  AGENT_MARK,
  HORIZON_MARK,
  APPENDED_KEY_SEPARATOR,
  APPENDED_LINE_SEPARATOR,
} as const;

/** The last byte of a lexicographic upper bound: above every UTF-8 byte (see above). */
export const RANGE_END = 0xff;
