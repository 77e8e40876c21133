import { ValidationError } from '../errors/validation.error';
import { validateInteger, validateName } from '../validation/validate';
import { decodeCursor } from './cursor';

export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

/** The page of a listing: whose records, how many, and after which key (from the cursor). */
export interface Page {
  readonly agentId: string;
  readonly limit: number;
  readonly after: string | undefined;
}

/** Validates `{ agentId, limit?, cursor? }` of a listing whose keys start with `prefix`. */
export function validatePage(
  args: { readonly agentId?: unknown; readonly limit?: unknown; readonly cursor?: unknown },
  prefix: string,
): Page {
  return {
    agentId: validateName(args.agentId, 'agentId'),
    ...validatePageOf(args, prefix),
  };
}

/**
 * The `limit` and the `cursor` (decoded: the last name of the previous page, which must start
 * with `prefix`) of any listing, paginated by name.
 */
export function validatePageOf(
  args: { readonly limit?: unknown; readonly cursor?: unknown },
  prefix: string,
): { limit: number; after: string | undefined } {
  const after =
    args.cursor === undefined || args.cursor === null ? undefined : decodeCursor(args.cursor);
  if (after !== undefined && !after.startsWith(prefix)) {
    throw new ValidationError(
      'cursor',
      'belongs to another prefix: pass the cursor of the previous page',
    );
  }
  return {
    limit:
      args.limit === undefined ? DEFAULT_PAGE : validateInteger(args.limit, 'limit', 1, MAX_PAGE),
    after,
  };
}
