import { ConflictException } from '@nestjs/common';

/**
 * A research run stopped on purpose (`crashAtStep`), as a crash would stop it: the steps committed
 * so far stay, and the run resumes from there.
 */
export class SimulatedCrashError extends ConflictException {
  constructor(agentId: string, step: number) {
    super(
      `research run ${agentId} crashed before step ${step} (simulated: crashAtStep ${step}); ` +
        `its first ${step - 1} step(s) are committed: resume it with POST /research/${agentId}/resume`,
    );
    this.name = 'SimulatedCrashError';
  }
}
