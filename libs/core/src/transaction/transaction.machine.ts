import { setup, transition, type SnapshotFrom } from 'xstate';

/**
 * The lifecycle of a transaction. The machine is the single source of legal transitions: the Lua
 * scripts apply them atomically in Redis (compare-and-set on the stored state), with the target
 * snapshots computed here. Timeouts are BullMQ jobs, never XState timers, and no action does I/O.
 */
export type TransactionState = 'open' | 'committed' | 'aborted' | 'timedOut';

export type TransactionEvent =
  | { type: 'WRITE' }
  | { type: 'DELETE' }
  | { type: 'READ' }
  | { type: 'COMMIT' }
  | { type: 'ABORT' }
  | { type: 'TIMEOUT' };

export type TransactionEventType = TransactionEvent['type'];

/** Bumped whenever the machine changes shape; stored with every persisted snapshot. */
export const TRANSACTION_MACHINE_VERSION = 1;

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

type MachineSnapshot = SnapshotFrom<typeof transactionMachine>;

function snapshotOf(state: TransactionState): MachineSnapshot {
  return transactionMachine.resolveState({ value: state, context: {} });
}

/**
 * The state after `event` in `state`, or `undefined` when the machine does not accept the event
 * there. Computed by XState's pure `transition`.
 */
export function nextState(
  state: TransactionState,
  event: TransactionEventType,
): TransactionState | undefined {
  const snapshot = snapshotOf(state);
  if (!snapshot.can({ type: event })) return undefined;
  const [next] = transition(transactionMachine, snapshot, { type: event });
  return next.value;
}

/**
 * The JSON stored in Redis for a state: the machine version and XState's persisted snapshot, of
 * which only the state value varies (the machine has no context and no children). Kept under 64
 * bytes so Redis stores the transaction hash in its compact listpack encoding.
 */
export function persistedSnapshot(state: TransactionState): string {
  const { value } = transactionMachine.getPersistedSnapshot(snapshotOf(state)) as unknown as {
    value: unknown;
  };
  return JSON.stringify({ machineVersion: TRANSACTION_MACHINE_VERSION, snapshot: { value } });
}

/** Restores a state from its stored JSON; rejects snapshots of another machine version. */
export function restoreSnapshot(json: string): TransactionState {
  const parsed = JSON.parse(json) as { machineVersion?: unknown; snapshot?: unknown };
  if (parsed.machineVersion !== TRANSACTION_MACHINE_VERSION) {
    throw new Error(`Unsupported transaction snapshot version ${String(parsed.machineVersion)}`);
  }
  const restored = transactionMachine.resolveState(
    parsed.snapshot as Parameters<typeof transactionMachine.resolveState>[0],
  );
  return restored.value;
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
