import { TransactionError } from './transaction.error';

export class VersionCompactedError extends TransactionError {
  override readonly code = 'VERSION_COMPACTED' as const;

  constructor(agentId: string, key: string, version: number) {
    super(
      `Version compacted: version ${version} of ${JSON.stringify(agentId)}/${JSON.stringify(key)} ` +
        'existed but its history was removed',
    );
  }
}
