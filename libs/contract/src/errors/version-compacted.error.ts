import { TransactionError } from './transaction.error';

/**
 * History removed by the namespace's retention policy (compaction): a version that existed but was
 * removed, a read as of a commitTs below the compaction horizon, or a replay starting below it.
 * `compactedTs` is the horizon: reads as of it or later, and replays from it
 * (`replay({ fromHorizon: true })`), are answered.
 */
export class VersionCompactedError extends TransactionError {
  override readonly code = 'VERSION_COMPACTED' as const;
  /** The namespace's compaction horizon when the read was refused (null when not known). */
  readonly compactedTs: number | null;

  /**
   * `version` is the version asked for, or null for a read as of `atTs`; `compactedTs` the
   * namespace's horizon.
   */
  constructor(
    agentId: string,
    key: string,
    version: number | null,
    compactedTs: number | null = null,
    atTs?: number,
    message?: string,
  ) {
    super(
      message ??
        `Version compacted: ${version === null ? `the version as of commitTs ${atTs ?? '?'}` : `version ${version}`} ` +
          `of ${JSON.stringify(agentId)}/${JSON.stringify(key)} existed but its history was removed ` +
          `by the namespace's retention policy${horizonText(compactedTs)}`,
    );
    this.compactedTs = compactedTs;
  }

  /** A read as of `requestedTs`, or a replay from it, below the namespace's horizon. */
  static belowHorizon(
    compactedTs: number,
    requestedTs: number,
    what: 'read' | 'replay' = 'read',
  ): VersionCompactedError {
    const message =
      what === 'replay'
        ? `Version compacted: the history before commitTs ${compactedTs} was removed by the ` +
          `namespace's retention policy; a replay from ${requestedTs} would have a gap. Start at ` +
          `startTs >= ${compactedTs}, or pass fromHorizon: true`
        : `Version compacted: commitTs ${requestedTs} is below the namespace's compaction horizon ` +
          `(compactedTs ${compactedTs}); read at ${compactedTs} or later`;
    return new VersionCompactedError('', '', null, compactedTs, requestedTs, message);
  }
}

function horizonText(compactedTs: number | null): string {
  return compactedTs ? ` (compaction horizon: commitTs ${compactedTs})` : '';
}
