import { CommitUnknownError } from '../errors/commit-unknown.error';
import { TransactionConflictError } from '../errors/transaction-conflict.error';
import { commitUntilKnown, unknownCommitDelayMs, UNKNOWN_COMMIT_RETRIES } from './commit-retry';

/** A commit that fails with `errors` in turn, then returns 42; counts its calls. */
function commitFailing(...errors: Error[]): { calls: number; commit: () => Promise<number> } {
  const state = {
    calls: 0,
    commit: (): Promise<number> => {
      const error = errors[state.calls++];
      return error ? Promise.reject(error) : Promise.resolve(42);
    },
  };
  return state;
}

const unknown = (): CommitUnknownError => new CommitUnknownError('tx', new Error('lost'));

describe('commitUntilKnown', () => {
  it('commits again after CommitUnknownError and returns the commitTs once known', async () => {
    const attempt = commitFailing(unknown(), unknown());
    await expect(commitUntilKnown(attempt.commit)).resolves.toBe(42);
    expect(attempt.calls).toBe(3);
  });

  it('rethrows any other error at once', async () => {
    const conflict = new TransactionConflictError('a', 'k', 'tx');
    const attempt = commitFailing(conflict);
    await expect(commitUntilKnown(attempt.commit)).rejects.toBe(conflict);
    expect(attempt.calls).toBe(1);
  });

  it('rethrows CommitUnknownError once its retries are spent', async () => {
    const last = unknown();
    const attempt = commitFailing(unknown(), unknown(), last);
    await expect(commitUntilKnown(attempt.commit, { retries: 2 })).rejects.toBe(last);
    expect(attempt.calls).toBe(3);
  });
});

describe('unknownCommitDelayMs', () => {
  it('waits about 5 s in all over the default retries, each delay at most 1 s', () => {
    const delays = Array.from({ length: UNKNOWN_COMMIT_RETRIES }, (_, i) =>
      unknownCommitDelayMs(i),
    );
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(1000);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(2_275); // the fixed halves: (50+100+...+800+3×1000)/2
    expect(total).toBeLessThanOrEqual(4_550);
  });
});
