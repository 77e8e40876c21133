import { TransactionError } from './transaction.error';

export class VersionNotFoundError extends TransactionError {
  override readonly code = 'VERSION_NOT_FOUND' as const;

  constructor(agentId: string, key: string, version: number) {
    super(
      `Version not found: ${JSON.stringify(agentId)}/${JSON.stringify(key)} has no version ${version}`,
    );
  }
}
