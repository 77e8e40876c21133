import { TransactionError } from '@statehouse/contract';
import {
  SNAPSHOTS,
  TRANSACTION_EVENTS,
  TRANSACTION_MACHINE_VERSION,
  TRANSACTION_STATES,
  isTransactionState,
  nextState,
  persistedSnapshot,
  rejectionFor,
  restoreSnapshot,
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
    const parsed = JSON.parse(persistedSnapshot(state)) as {
      machineVersion: unknown;
      snapshot: { value: unknown };
    };
    expect(parsed.machineVersion).toBe(TRANSACTION_MACHINE_VERSION);
    expect(parsed.snapshot.value).toBe(state);
  });

  it('a restored snapshot keeps obeying the machine', () => {
    const restored = restoreSnapshot(JSON.stringify(JSON.parse(persistedSnapshot('open'))));
    expect(nextState(restored, 'COMMIT')).toBe('committed');
    const committed = restoreSnapshot(JSON.stringify(JSON.parse(persistedSnapshot('committed'))));
    expect(nextState(committed, 'WRITE')).toBeUndefined();
  });

  it.each([
    ['another version', TRANSACTION_MACHINE_VERSION + 1],
    ['version 0', 0],
    ['the version as a string', String(TRANSACTION_MACHINE_VERSION)],
    ['null', null],
  ])('restoreSnapshot refuses %s', (_label, machineVersion) => {
    const stored = JSON.parse(persistedSnapshot('open')) as Record<string, unknown>;
    stored.machineVersion = machineVersion;
    expect(() => restoreSnapshot(JSON.stringify(stored))).toThrow(
      /Unsupported transaction snapshot version/,
    );
  });

  it('restoreSnapshot refuses a snapshot without a machine version', () => {
    const stored = JSON.parse(persistedSnapshot('open')) as Record<string, unknown>;
    delete stored.machineVersion;
    expect(() => restoreSnapshot(JSON.stringify(stored))).toThrow(
      /Unsupported transaction snapshot version/,
    );
  });

  it('restoreSnapshot refuses a snapshot naming a state the machine does not have', () => {
    const stored = JSON.parse(persistedSnapshot('open')) as { snapshot: { value: string } };
    stored.snapshot.value = 'pending';
    expect(() => restoreSnapshot(JSON.stringify(stored))).toThrow();
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
