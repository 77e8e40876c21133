import { TransactionError } from './transaction.error';

/**
 * A snapshot (NDJSON dump) that cannot be imported: not a Statehouse snapshot, a line that is not
 * what the format says, or a file that ends before its trailer (truncated). `line` is the 1-based
 * line number where it went wrong. Lines before it may have been imported: an import of the whole,
 * intact file afterwards completes it (imports are idempotent).
 */
export class SnapshotFormatError extends TransactionError {
  override readonly code = 'SNAPSHOT_INVALID' as const;
  readonly line: number;

  constructor(line: number, problem: string) {
    super(`Invalid snapshot at line ${line}: ${problem}`);
    this.line = line;
  }
}
