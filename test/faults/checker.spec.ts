import {
  checkHistory,
  type Attempt,
  type CheckInput,
  type FinalRecord,
  type LoggedCommit,
} from './checker';

// The checker on small hand-made histories: a clean one passes, and each kind of anomaly the
// fault run looks for is reported.

const bank = { agentId: 'bank', total: 200 };
const setup: LoggedCommit = {
  commitTs: 1,
  operations: [
    { agentId: 'bank', key: 'a', value: { balance: 100 }, version: 1 },
    { agentId: 'bank', key: 'b', value: { balance: 100 }, version: 1 },
  ],
};
const transfer: Attempt = {
  tag: 't1',
  kind: 'transfer',
  via: 'engine',
  operations: [
    { agentId: 'bank', key: 'a', value: { balance: 90, tag: 't1' } },
    { agentId: 'bank', key: 'b', value: { balance: 110, tag: 't1' } },
  ],
  reads: { a: 100, b: 100 },
  outcome: 'ok',
  commitTs: 2,
  startedAt: 10,
  endedAt: 20,
};
const blind: Attempt = {
  tag: 'w1',
  kind: 'blind',
  via: 'http',
  operations: [{ agentId: 'w', key: 'k', value: { tag: 'w1' } }],
  outcome: 'ok',
  commitTs: 3,
  startedAt: 30,
  endedAt: 40,
};
const logOf = (...attempts: Attempt[]): LoggedCommit[] => [
  setup,
  ...attempts.map((a) => ({
    commitTs: a.commitTs!,
    operations: a.operations.map((op) => ({ ...op, version: op.agentId === 'bank' ? 2 : 1 })),
  })),
];

function clean(): CheckInput {
  const finalState = new Map<string, FinalRecord>([
    ['bank/a', { exists: true, value: { balance: 90, tag: 't1' }, version: 2 }],
    ['bank/b', { exists: true, value: { balance: 110, tag: 't1' }, version: 2 }],
    ['w/k', { exists: true, value: { tag: 'w1' }, version: 1 }],
  ]);
  return {
    attempts: [transfer, blind],
    log: logOf(transfer, blind),
    finalState,
    setupCommits: new Set([1]),
    bank,
  };
}

const violations = (input: CheckInput): string[] => checkHistory(input).violations;

describe('checkHistory', () => {
  it('passes a history that matches the log', () => {
    expect(checkHistory(clean())).toMatchObject({ violations: [], acknowledged: 2, failed: 0 });
  });

  it('reports an acknowledged commit that is lost', () => {
    const input = clean();
    expect(violations({ ...input, log: input.log.slice(0, 2) })).toContainEqual(
      expect.stringContaining('acknowledged transaction w1 (commitTs 3) is lost'),
    );
  });

  it('reports a failed commit that was applied, and accepts an unknown one either way', () => {
    const input = clean();
    expect(
      violations({ ...input, attempts: [transfer, { ...blind, outcome: 'failed' }] }),
    ).toContainEqual(expect.stringContaining('failed transaction w1 (blind) is applied at 3'));
    expect(
      violations({ ...input, attempts: [transfer, { ...blind, outcome: 'unknown' }] }),
    ).toEqual([]);
  });

  it('reports a transaction applied twice, partly, or at another commitTs', () => {
    const input = clean();
    const twice = [...input.log, { ...input.log[2]!, commitTs: 4 }];
    expect(violations({ ...input, log: twice })).toContainEqual(
      expect.stringContaining('transaction w1 applied twice: at 3 and 4'),
    );
    const partial = [
      input.log[0]!,
      { ...input.log[1]!, operations: [input.log[1]!.operations[0]!] },
    ];
    expect(violations({ ...input, log: [...partial, input.log[2]!] })).toContainEqual(
      expect.stringContaining('transaction t1 (ok) is partly applied'),
    );
    expect(
      violations({ ...input, attempts: [transfer, { ...blind, commitTs: 5 }] }),
    ).toContainEqual(expect.stringContaining('acknowledged with commitTs 5 but is logged at 3'));
  });

  it('reports decreasing commit timestamps and broken real-time order', () => {
    const input = clean();
    expect(
      violations({ ...input, log: [input.log[0]!, input.log[2]!, input.log[1]!] }),
    ).toContainEqual(expect.stringContaining('commitTs not strictly increasing: 3 then 2'));
    const early = { ...blind, startedAt: 1, endedAt: 5, commitTs: 3 };
    const late = { ...transfer, startedAt: 6, endedAt: 7, commitTs: 2 };
    expect(violations({ ...input, attempts: [late, early] })).toContainEqual(
      expect.stringContaining('real-time order broken'),
    );
  });

  it('reports version gaps and a final state that differs from the log', () => {
    const input = clean();
    const gap = input.log.map((c) =>
      c.commitTs === 3 ? { ...c, operations: [{ ...c.operations[0]!, version: 2 }] } : c,
    );
    expect(violations({ ...input, log: gap })).toContainEqual(
      expect.stringContaining('w/k: version 2 at commit 3, expected 1'),
    );
    const finalState = new Map(input.finalState).set('w/k', {
      exists: false,
      value: null,
      version: 1,
    });
    expect(violations({ ...input, finalState })).toContainEqual(
      expect.stringContaining('w/k: final state'),
    );
  });

  it('reports money created and a lost update in the bank', () => {
    const input = clean();
    const rich = {
      ...transfer,
      operations: [
        transfer.operations[0]!,
        { agentId: 'bank', key: 'b', value: { balance: 120, tag: 't1' } },
      ],
    };
    expect(
      violations({ ...input, attempts: [rich, blind], log: logOf(rich, blind) }),
    ).toContainEqual(expect.stringContaining('the balances add up to 210'));
    const stale = { ...transfer, reads: { a: 80, b: 100 } };
    expect(violations({ ...input, attempts: [stale, blind] })).toContainEqual(
      expect.stringContaining('having read a=80, but it was 100 (a lost update)'),
    );
  });
});
