/** Inputs and results of the operator API: listings of namespaces and agents, dump and restore. */

export interface NamespaceInfo {
  readonly namespace: string;
  /** Agents some commit touched (an agent whose records were all deleted still counts). */
  readonly agentCount: number;
  /** The namespace's last commitTs. */
  readonly lastCommitTs: number;
}

export interface AgentInfo {
  readonly agentId: string;
  /** Live keys (no tombstones). */
  readonly keyCount: number;
  /** The last commit that touched the agent (a write or a delete). */
  readonly lastCommitTs: number;
}

export interface ListAgentsInput {
  readonly namespace?: string;
  /** Only agents whose id starts with this. */
  readonly prefix?: string;
  /** The `cursor` of the previous page. */
  readonly cursor?: string | null;
  /** Page size, 1 to 10000. Default 1000. */
  readonly limit?: number;
}

export interface ExportOptions {
  readonly namespace?: string;
  /** Only agents whose id starts with this. */
  readonly agentPrefix?: string;
  /** The commitTs the snapshot is taken at. Default: the namespace's last commit when it starts. */
  readonly atTs?: number;
  /** Every version and the log up to atTs (the commits), instead of the live records at atTs. */
  readonly history?: boolean;
}

/**
 * Called as the import goes: by the engine after each batch written, by the network client after
 * each chunk sent to the server (and once at the end of the file).
 */
export interface ImportProgress {
  /** Lines read so far (the header included). */
  readonly lines: number;
  /**
   * Engine: records (with history, operations) read so far. Network client: lines sent but the
   * header (the server reports the exact counts in the summary).
   */
  readonly records: number;
}

export interface ImportOptions {
  /** Where to import. Default: the namespace the snapshot was taken from (its header's). */
  readonly namespace?: string;
  /**
   * 'empty-only' (default): refuse a namespace that holds data (NamespaceNotEmptyError), but
   * resume an interrupted import of the same snapshot. 'merge': write the snapshot over what is
   * there, as new commits.
   */
  readonly mode?: 'empty-only' | 'merge';
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportSummary {
  readonly namespace: string;
  /** Live records the import left, as the snapshot lists them (with history: as of its atTs). */
  readonly records: number;
  /** Versions written (with history: every operation of the log; else one per record). */
  readonly versions: number;
  /** Commits written. */
  readonly commits: number;
  /** The snapshot's atTs. */
  readonly atTs: number;
}

/** NDJSON lines, or raw chunks of it (a file's or an HTTP body's). */
export type ImportSource = AsyncIterable<string | Uint8Array> | Iterable<string>;
