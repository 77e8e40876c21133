import { TransactionError } from '@statehouse/contract';
import {
  SNAPSHOTS,
  TRANSACTION_EVENTS,
  TRANSACTION_MACHINE_VERSION,
  TRANSACTION_STATES,
  applyEvent,
  isTransactionState,
  migrateSnapshot,
  nextState,
  persistedSnapshot,
  rejectionFor,
  restoreMachineSnapshot,
  restoreSnapshot,
  serializeSnapshot,
  transactionMachine,
  type TransactionEventType,
  type TransactionState,
} from './transaction.machine';

/** Written out by hand from the contract (section 2), never computed from the machine. */
const REFUSED = undefined;
const EXPECTED: Record<
  TransactionState,
  Record<TransactionEventType, TransactionState | undefined>
> = {
  // An open transaction stages operations and ends by commit, abort or timeout.
  open: {
    READ: 'open',
    WRITE: 'open',
    DELETE: 'open',
    COMMIT: 'committed',
    ABORT: 'aborted',
    TIMEOUT: 'timedOut',
  },
  // "any operation after commit: Transaction already committed" — abort included.
  committed: {
    READ: REFUSED,
    WRITE: REFUSED,
    DELETE: REFUSED,
    COMMIT: REFUSED,
    ABORT: REFUSED,
    TIMEOUT: REFUSED,
  },
  // "any operation (but abort) after abort"; "Aborting twice ... is a no-op".
  aborted: {
    READ: REFUSED,
    WRITE: REFUSED,
    DELETE: REFUSED,
    COMMIT: REFUSED,
    ABORT: 'aborted',
    TIMEOUT: REFUSED,
  },
  // "any operation (but abort) after the timeout"; aborting "after a timeout, is a no-op".
  timedOut: {
    READ: REFUSED,
    WRITE: REFUSED,
    DELETE: REFUSED,
    COMMIT: REFUSED,
    ABORT: 'timedOut',
    TIMEOUT: REFUSED,
  },
};

const ALL_STATES: TransactionState[] = ['open', 'committed', 'aborted', 'timedOut'];
const ALL_EVENTS: TransactionEventType[] = [
  'READ',
  'WRITE',
  'DELETE',
  'COMMIT',
  'ABORT',
  'TIMEOUT',
];

const PAIRS = ALL_STATES.flatMap((state) =>
  ALL_EVENTS.map((event) => ({ state, event, expected: EXPECTED[state][event] })),
);

describe('transactionMachine', () => {
  it('has exactly the states and events of the contract', () => {
    expect([...TRANSACTION_STATES].sort()).toEqual([...ALL_STATES].sort());
    expect([...TRANSACTION_EVENTS].sort()).toEqual([...ALL_EVENTS].sort());
    expect(Object.keys(transactionMachine.root.states).sort()).toEqual([...ALL_STATES].sort());
  });

  it('starts open', () => {
    expect(transactionMachine.config.initial).toBe('open');
  });

  it('covers all 24 (state, event) pairs in the expected table', () => {
    expect(PAIRS).toHaveLength(24);
  });

  describe.each(PAIRS)('in $state on $event', ({ state, event, expected }) => {
    if (expected === REFUSED) {
      it('refuses the event', () => {
        expect(nextState(state, event)).toBeUndefined();
      });
    } else {
      it(`goes to ${expected}`, () => {
        expect(nextState(state, event)).toBe(expected);
      });
    }
  });

  it('never leaves a finished state for another state', () => {
    for (const state of ['committed', 'aborted', 'timedOut'] as const) {
      for (const event of ALL_EVENTS) {
        const next = nextState(state, event);
        expect([undefined, state]).toContain(next);
      }
    }
  });
});

describe('rejectionFor', () => {
  it.each([
    ['committed', 'TRANSACTION_ALREADY_COMMITTED', 'Transaction already committed'],
    ['aborted', 'TRANSACTION_ALREADY_ABORTED', 'Transaction already aborted'],
    ['timedOut', 'TRANSACTION_TIMEOUT', 'Transaction timeout'],
  ] as const)('in %s is %s, whose error says "%s"', (state, code, message) => {
    expect(rejectionFor(state)).toBe(code);
    const error = TransactionError.forState(rejectionFor(state), 'ns~tx');
    expect(error).toBeInstanceOf(TransactionError);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.txId).toBe('ns~tx');
  });
});

describe('persisted snapshots', () => {
  it.each(ALL_STATES)('%s survives a JSON round trip', (state) => {
    const stored = JSON.stringify(JSON.parse(persistedSnapshot(state)));
    expect(restoreSnapshot(stored)).toBe(state);
  });

  it.each(ALL_STATES)('%s is stored as JSON naming the machine version and the state', (state) => {
    const parsed = JSON.parse(persistedSnapshot(state)) as { v: unknown; value: unknown };
    expect(parsed.v).toBe(TRANSACTION_MACHINE_VERSION);
    expect(parsed.value).toBe(state);
  });

  it.each(ALL_STATES)('%s stays under 64 bytes (a listpack-encoded hash)', (state) => {
    expect(Buffer.byteLength(persistedSnapshot(state))).toBeLessThan(64);
  });

  it('a restored snapshot keeps obeying the machine', () => {
    const restored = restoreSnapshot(JSON.stringify(JSON.parse(persistedSnapshot('open'))));
    expect(nextState(restored, 'COMMIT')).toBe('committed');
    const committed = restoreSnapshot(JSON.stringify(JSON.parse(persistedSnapshot('committed'))));
    expect(nextState(committed, 'WRITE')).toBeUndefined();
  });

  it('restores to a machine snapshot that transition() moves on', () => {
    const open = restoreMachineSnapshot(persistedSnapshot('open'));
    expect(open.value).toBe('open');
    expect(applyEvent(open, 'WRITE')?.value).toBe('open');
    const committed = applyEvent(open, 'COMMIT')!;
    expect(committed.value).toBe('committed');
    expect(applyEvent(committed, 'ABORT')).toBeUndefined();
    expect(serializeSnapshot(committed)).toBe(SNAPSHOTS.committed);
  });

  it.each([
    ['another version', TRANSACTION_MACHINE_VERSION + 1],
    ['version 0', 0],
    ['the version as a string', String(TRANSACTION_MACHINE_VERSION)],
    ['null', null],
  ])('restoreSnapshot refuses %s', (_label, version) => {
    const stored = JSON.parse(persistedSnapshot('open')) as Record<string, unknown>;
    stored.v = version;
    expect(() => restoreSnapshot(JSON.stringify(stored))).toThrow(
      /Unsupported transaction snapshot version/,
    );
  });

  it('restoreSnapshot refuses a snapshot without a machine version', () => {
    const stored = JSON.parse(persistedSnapshot('open')) as Record<string, unknown>;
    delete stored.v;
    expect(() => restoreSnapshot(JSON.stringify(stored))).toThrow(
      /Unsupported transaction snapshot version/,
    );
  });

  it('restoreSnapshot refuses a snapshot naming a state the machine does not have', () => {
    const stored = JSON.parse(persistedSnapshot('open')) as { value: string };
    stored.value = 'pending';
    expect(() => restoreSnapshot(JSON.stringify(stored))).toThrow();
  });
});

/**
 * Version 1 snapshots, byte for byte as the engine wrote them before version 2 (commit ece851c:
 * `JSON.stringify({ machineVersion: 1, snapshot: { value } })`). Transactions begun by such a
 * process are still in Redis when a new one resumes or describes them.
 */
const VERSION_1: Record<TransactionState, string> = {
  open: '{"machineVersion":1,"snapshot":{"value":"open"}}',
  committed: '{"machineVersion":1,"snapshot":{"value":"committed"}}',
  aborted: '{"machineVersion":1,"snapshot":{"value":"aborted"}}',
  timedOut: '{"machineVersion":1,"snapshot":{"value":"timedOut"}}',
};

describe('migrateSnapshot (older machine versions)', () => {
  it.each(ALL_STATES)('migrates a version 1 snapshot of %s to the current version', (state) => {
    expect(migrateSnapshot(JSON.parse(VERSION_1[state]))).toEqual({
      v: TRANSACTION_MACHINE_VERSION,
      value: state,
      context: {},
    });
  });

  it.each(ALL_STATES)('restores a version 1 snapshot of %s', (state) => {
    const restored = restoreMachineSnapshot(VERSION_1[state]);
    expect(restored.value).toBe(state);
    expect(serializeSnapshot(restored)).toBe(SNAPSHOTS[state]);
  });

  it('a restored version 1 snapshot obeys the current machine', () => {
    const open = restoreMachineSnapshot(VERSION_1.open);
    expect(applyEvent(open, 'COMMIT')?.value).toBe('committed');
    expect(applyEvent(restoreMachineSnapshot(VERSION_1.committed), 'ABORT')).toBeUndefined();
    expect(applyEvent(restoreMachineSnapshot(VERSION_1.aborted), 'ABORT')?.value).toBe('aborted');
  });

  it('refuses a version 1 snapshot naming a state the machine does not have', () => {
    expect(() => restoreSnapshot('{"machineVersion":1,"snapshot":{"value":"pending"}}')).toThrow(
      /no state/,
    );
  });

  it('leaves a current snapshot as it is', () => {
    expect(migrateSnapshot(JSON.parse(SNAPSHOTS.aborted))).toEqual(JSON.parse(SNAPSHOTS.aborted));
  });
});

describe('SNAPSHOTS', () => {
  it('holds one stored snapshot per state', () => {
    expect(Object.keys(SNAPSHOTS).sort()).toEqual([...ALL_STATES].sort());
  });

  it.each(ALL_STATES)('%s is the persisted snapshot of that state and restores to it', (state) => {
    expect(SNAPSHOTS[state]).toBe(persistedSnapshot(state));
    expect(restoreSnapshot(SNAPSHOTS[state])).toBe(state);
  });

  it('tells every state apart', () => {
    expect(new Set(Object.values(SNAPSHOTS)).size).toBe(ALL_STATES.length);
  });
});

describe('isTransactionState', () => {
  it.each(ALL_STATES)('accepts %s', (state) => {
    expect(isTransactionState(state)).toBe(true);
  });

  it.each([['pending'], ['Open'], [''], [null], [undefined], [1], [{}]])('rejects %p', (value) => {
    expect(isTransactionState(value)).toBe(false);
  });
});
