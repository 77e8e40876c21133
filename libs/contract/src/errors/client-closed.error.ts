import { TransactionError } from './transaction.error';

export class ClientClosedError extends TransactionError {
  override readonly code = 'CLIENT_CLOSED' as const;

  constructor() {
    super('Statehouse client is closed: create a new one with Statehouse.connect()');
  }
}
