import { ValidationError } from '../errors/validation.error';
import { validateName } from '../validation/validate';

/** A page cursor: the last key of the page, base64url-encoded. Opaque to users. */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: unknown): string {
  if (typeof cursor !== 'string' || cursor.length === 0) {
    throw new ValidationError('cursor', 'must be the cursor string returned by the previous page');
  }
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(key) !== cursor) {
    throw new ValidationError('cursor', 'is not a cursor returned by this API');
  }
  return validateName(key, 'cursor');
}
