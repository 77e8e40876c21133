import { setup, transition, type SnapshotFrom } from 'xstate';
import type { TransactionState } from '@statehouse/contract';

/**
 * The lifecycle of a transaction. The machine is the single source of legal transitions: the Lua
 * scripts decide with a table generated from it (commands/includes/transitions.lua, see
 * commands/transitions-include.ts) and apply them atomically in Redis, storing the target
 * snapshots computed here; resume and describe restore the machine from the stored snapshot.
 * Timeouts are BullMQ jobs, never XState timers, and no action does I/O.
 */
/** The machine's states: the contract's, so the engine and every client name them alike. */
export type { TransactionState };

export type TransactionEvent =
  | { type: 'WRITE' }
  | { type: 'DELETE' }
  | { type: 'READ' }
  | { type: 'COMMIT' }
  | { type: 'ABORT' }
  | { type: 'TIMEOUT' };

export type TransactionEventType = TransactionEvent['type'];

/**
 * Bumped whenever the machine or its persisted form changes shape; stored with every persisted
 * snapshot. Version 1 (`{"machineVersion":1,"snapshot":{"value":"open"}}`) was written before the
 * snapshot was ever read; version 2 (`{"v":2,"value":"open","context":{}}`) is what XState restores
 * from (value and context). `migrateSnapshot` brings every older version to this one.
 */
export const TRANSACTION_MACHINE_VERSION = 2;

export const TRANSACTION_STATES: readonly TransactionState[] = [
  'open',
  'committed',
  'aborted',
  'timedOut',
];
export const TRANSACTION_EVENTS: readonly TransactionEventType[] = [
  'READ',
  'WRITE',
  'DELETE',
  'COMMIT',
  'ABORT',
  'TIMEOUT',
];

export const transactionMachine = setup({
  types: {
    events: {} as TransactionEvent,
  },
}).createMachine({
  id: 'statehouseTransaction',
  initial: 'open',
  states: {
    open: {
      on: {
        WRITE: { target: 'open' },
        DELETE: { target: 'open' },
        READ: { target: 'open' },
        COMMIT: { target: 'committed' },
        ABORT: { target: 'aborted' },
        TIMEOUT: { target: 'timedOut' },
      },
    },
    // Terminal: a committed transaction accepts nothing, not even abort.
    committed: {},
    // Terminal, but a second abort (or an abort after the timeout) is an accepted no-op.
    aborted: { on: { ABORT: { target: 'aborted' } } },
    timedOut: { on: { ABORT: { target: 'timedOut' } } },
  },
});

/** The machine's state in memory: what `transition` takes and returns. */
export type TransactionSnapshot = SnapshotFrom<typeof transactionMachine>;

/** The persisted snapshot, current version: the machine version, XState's value and context. */
export interface PersistedTransactionSnapshot {
  readonly v: typeof TRANSACTION_MACHINE_VERSION;
  readonly value: TransactionState;
  readonly context: TransactionSnapshot['context'];
}

const BY_STATE = new Map<TransactionState, TransactionSnapshot>();

/**
 * The snapshot of a state, with the initial context; one shared object per state (snapshots are
 * immutable: `transition` returns new ones).
 */
export function snapshotOf(state: TransactionState): TransactionSnapshot {
  let snapshot = BY_STATE.get(state);
  if (!snapshot) {
    snapshot = transactionMachine.resolveState({ value: state, context: {} });
    BY_STATE.set(state, snapshot);
  }
  return snapshot;
}

/** The snapshot of a transaction that nothing has happened to yet. */
export function initialSnapshot(): TransactionSnapshot {
  return snapshotOf(transactionMachine.config.initial as TransactionState);
}

/**
 * Transitions computed, per snapshot object. `transition` is pure, and most transactions share
 * the snapshots of `snapshotOf`: a commit then costs a lookup, not an XState transition (measured
 * with `npm run bench:ab`, computing it per commit cost a quarter to a third more client CPU per
 * blind-write transaction).
 */
const computed = new WeakMap<
  TransactionSnapshot,
  Map<TransactionEventType, TransactionSnapshot | undefined>
>();

/**
 * The snapshot after `event`, or `undefined` when the machine does not accept the event in
 * `snapshot`. Computed by XState's pure `transition`.
 */
export function applyEvent(
  snapshot: TransactionSnapshot,
  event: TransactionEventType,
): TransactionSnapshot | undefined {
  let known = computed.get(snapshot);
  if (!known) {
    known = new Map();
    computed.set(snapshot, known);
  }
  if (!known.has(event)) {
    known.set(
      event,
      snapshot.can({ type: event })
        ? transition(transactionMachine, snapshot, { type: event })[0]
        : undefined,
    );
  }
  return known.get(event);
}

/** The state after `event` in `state`, or `undefined` when the machine refuses it there. */
export function nextState(
  state: TransactionState,
  event: TransactionEventType,
): TransactionState | undefined {
  return applyEvent(snapshotOf(state), event)?.value;
}

/**
 * The JSON stored in Redis: `{ v, value, context }`, the machine version and what XState restores
 * a snapshot from (the machine has no children, no history, no output). Kept under 64 bytes so
 * Redis stores the transaction hash in its compact listpack encoding.
 */
export function serializeSnapshot(snapshot: TransactionSnapshot): string {
  const { value, context } = transactionMachine.getPersistedSnapshot(snapshot) as unknown as {
    value: TransactionState;
    context: TransactionSnapshot['context'];
  };
  const persisted: PersistedTransactionSnapshot = {
    v: TRANSACTION_MACHINE_VERSION,
    value,
    context,
  };
  return JSON.stringify(persisted);
}

/** The stored JSON of a state (with the initial context). */
export function persistedSnapshot(state: TransactionState): string {
  return serializeSnapshot(snapshotOf(state));
}

/**
 * Brings a parsed stored snapshot of any version this code knows to the current version; throws
 * for another (a newer process's, or no version at all). Each step migrates one version.
 */
export function migrateSnapshot(stored: unknown): PersistedTransactionSnapshot {
  const object = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<
    string,
    unknown
  >;
  if (object.machineVersion === 1) {
    // Version 1: { machineVersion: 1, snapshot: { value } }; the machine had no context.
    const { value } = (object.snapshot ?? {}) as { value?: unknown };
    return migrateSnapshot({ v: 2, value, context: {} });
  }
  if (object.v === TRANSACTION_MACHINE_VERSION) {
    if (!isTransactionState(object.value)) {
      throw new Error(
        `Transaction snapshot names no state of the machine: ${String(object.value)}`,
      );
    }
    const context =
      typeof object.context === 'object' && object.context !== null ? object.context : {};
    return { v: TRANSACTION_MACHINE_VERSION, value: object.value, context };
  }
  const version = 'v' in object ? object.v : object.machineVersion;
  throw new Error(`Unsupported transaction snapshot version ${String(version)}`);
}

/** Restores the machine's snapshot from its stored JSON, migrating older versions. */
export function restoreMachineSnapshot(json: string): TransactionSnapshot {
  const { value, context } = migrateSnapshot(JSON.parse(json));
  return transactionMachine.resolveState({ value, context });
}

/** The state of a stored snapshot (see restoreMachineSnapshot). */
export function restoreSnapshot(json: string): TransactionState {
  return restoreMachineSnapshot(json).value;
}
/** The stored snapshots of each state, computed once. */
export const SNAPSHOTS: Readonly<Record<TransactionState, string>> = {
  open: persistedSnapshot('open'),
  committed: persistedSnapshot('committed'),
  aborted: persistedSnapshot('aborted'),
  timedOut: persistedSnapshot('timedOut'),
};

/** The error code for an event the machine refuses in `state` (every refusal depends on the state alone). */
export function rejectionFor(
  state: Exclude<TransactionState, 'open'>,
): 'TRANSACTION_ALREADY_COMMITTED' | 'TRANSACTION_ALREADY_ABORTED' | 'TRANSACTION_TIMEOUT' {
  switch (state) {
    case 'committed':
      return 'TRANSACTION_ALREADY_COMMITTED';
    case 'aborted':
      return 'TRANSACTION_ALREADY_ABORTED';
    case 'timedOut':
      return 'TRANSACTION_TIMEOUT';
  }
}

export function isTransactionState(value: unknown): value is TransactionState {
  return typeof value === 'string' && (TRANSACTION_STATES as readonly string[]).includes(value);
}
