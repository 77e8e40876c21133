// Assertions shared by the property tests of the library (properties*.test.ts).
import { Redis } from 'ioredis';
import {
  TransactionError,
  ValidationError,
  type Statehouse,
  type Transaction,
} from '@statehouse/core';
import { expectNoStrayKeys, outcome, type Outcome } from './bad-input';

export function expectValidationError(result: Outcome<unknown>, what: string): void {
  if (result.ok) throw new Error(`${what}: expected a ValidationError, the call succeeded`);
  if (!(result.error instanceof ValidationError)) {
    throw new Error(
      `${what}: expected a ValidationError, got ${result.error.code}: ${result.error.message}`,
    );
  }
  expect(result.error.code).toBe('VALIDATION_FAILED');
  expect(result.error.field.length).toBeGreaterThan(0);
}

export function expectSuccess<T>(result: Outcome<T>, what: string): T {
  if (!result.ok) {
    throw new Error(`${what}: expected success, got ${result.error.code}: ${result.error.message}`);
  }
  return result.value;
}

const STATE_CODE = {
  committed: 'TRANSACTION_ALREADY_COMMITTED',
  aborted: 'TRANSACTION_ALREADY_ABORTED',
} as const;

/** A refused operation on a finished transaction (a ValidationError is fine too when `invalid`). */
export function expectStateError(
  result: Outcome<unknown>,
  state: 'committed' | 'aborted',
  invalid: boolean,
  what: string,
): void {
  if (result.ok) throw new Error(`${what}: expected the ${state} transaction to refuse`);
  if (invalid && result.error instanceof ValidationError) return;
  expect(result.error).toBeInstanceOf(TransactionError);
  expect(result.error.code).toBe(STATE_CODE[state]);
}

/** Aborts what is still open, then checks the namespace's Redis keys. */
export async function finishAndCheckKeys(
  client: Statehouse,
  redis: Redis,
  namespace: string,
  txs: Transaction<string | null>[],
): Promise<void> {
  for (const tx of txs) {
    if (tx.state === 'open') expectSuccess(await outcome(() => tx.abort()), 'final abort');
  }
  expect(await client.openTransactionCount(namespace)).toBe(0);
  await expectNoStrayKeys(redis, namespace);
}
