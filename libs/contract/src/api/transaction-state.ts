/**
 * Where a transaction is in its lifecycle. The engine's machine (@statehouse/core's
 * model/transaction.machine.ts) holds the legal transitions between these states.
 */
export type TransactionState = 'open' | 'committed' | 'aborted' | 'timedOut';
