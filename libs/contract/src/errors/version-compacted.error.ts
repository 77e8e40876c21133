import { TransactionError } from './transaction.error';

export class VersionCompactedError extends TransactionError {
  override readonly code = 'VERSION_COMPACTED' as const;

  /** `version` is the version asked for, or null for a read as of a commitTs. */
  constructor(agentId: string, key: string, version: number | null) {
    super(
      `Version compacted: ${version === null ? 'the version as of that commitTs' : `version ${version}`} ` +
        `of ${JSON.stringify(agentId)}/${JSON.stringify(key)} existed but its history was removed`,
    );
  }
}
