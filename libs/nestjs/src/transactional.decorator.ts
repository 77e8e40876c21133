import { AsyncLocalStorage } from 'node:async_hooks';
import { SetMetadata } from '@nestjs/common';
import type { ApiTransactionOptions, StatehouseApi, TransactionApi } from '@statehouse/contract';
import { optionalPackage } from './statehouse-packages';

export interface TransactionalOptions {
  /** Server-side timeout of each attempt. Default: the client's. */
  readonly timeoutMs?: number;
  /** Runs after a conflict (default 5): the method may run more than once. */
  readonly retries?: number;
  readonly namespace?: string;
}

/** Metadata key marking methods decorated with @Transactional (found by the module at start). */
export const TRANSACTIONAL = Symbol.for('@statehouse/nestjs:TRANSACTIONAL');
/** Where the module puts the client on an instance that has @Transactional methods. */
export const CLIENT_OF_INSTANCE = Symbol.for('@statehouse/nestjs:client');

/**
 * Runs the method inside `client.transaction(...)`: it commits when the method returns, aborts when
 * it throws, and runs it again after a conflict. Inside, `Statehouse.currentTransaction()` (or
 * `currentTransaction()` of this package) is the transaction. The class must be a provider or
 * controller of an application that imports StatehouseModule.
 */
export function Transactional(options: TransactionalOptions = {}): MethodDecorator {
  return (target, property, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => Promise<unknown>;
    const transactionOptions: ApiTransactionOptions = {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retries === undefined ? {} : { maxRetries: options.retries }),
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    };
    descriptor.value = async function transactional(this: object, ...args: unknown[]) {
      const client = (this as Record<symbol, StatehouseApi | undefined>)[CLIENT_OF_INSTANCE];
      if (!client) {
        throw new Error(
          `@Transactional() on ${target.constructor.name}.${String(property)}: no Statehouse client. ` +
            'The class must be a provider or controller of an application that imports StatehouseModule.',
        );
      }
      if (currentTransaction()) return method.apply(this, args); // already inside one: join it
      return client.transaction(
        (tx) => transactionScope.run(tx, () => method.apply(this, args)),
        transactionOptions,
      );
    };
    Object.defineProperty(descriptor.value, 'name', { value: method.name });
    SetMetadata(TRANSACTIONAL, true)(target, property, descriptor);
    return descriptor;
  };
}

const transactionScope = new AsyncLocalStorage<TransactionApi>();

/**
 * The transaction of the enclosing @Transactional method (embedded or remote client alike), or
 * undefined. With the embedded engine `Statehouse.currentTransaction()` returns it too.
 */
export function currentTransaction(): TransactionApi | undefined {
  return (
    transactionScope.getStore() ??
    optionalPackage('@statehouse/core')?.Statehouse.currentTransaction() ??
    undefined
  );
}
