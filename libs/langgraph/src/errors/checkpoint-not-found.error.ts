import { ValidationError } from '@statehouse/contract';

/**
 * A `put` named a parent checkpoint (`config.configurable.checkpoint_id`) that the thread does not
 * have: resuming or forking from a mistyped id would otherwise start a branch on nothing.
 */
export class CheckpointNotFoundError extends ValidationError {
  readonly threadId: string;
  readonly checkpointNs: string;
  readonly checkpointId: string;

  constructor(threadId: string, checkpointNs: string, checkpointId: string) {
    super(
      'config.configurable.checkpoint_id',
      `names no stored checkpoint: thread ${JSON.stringify(threadId)}, checkpoint_ns ` +
        `${JSON.stringify(checkpointNs)} has no checkpoint ${JSON.stringify(checkpointId)}`,
    );
    this.threadId = threadId;
    this.checkpointNs = checkpointNs;
    this.checkpointId = checkpointId;
  }
}
