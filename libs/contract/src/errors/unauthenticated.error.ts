import { TransactionError } from './transaction.error';

/** A request to a Statehouse server without a valid token (gRPC UNAUTHENTICATED, HTTP 401). */
export class UnauthenticatedError extends TransactionError {
  override readonly code = 'UNAUTHENTICATED' as const;

  constructor(message = 'Missing or invalid token: send "authorization: Bearer <token>"') {
    super(message);
  }
}
