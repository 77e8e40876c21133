import type { StatehouseClient } from '@statehouse/client';
import { CliError } from '../cli-error';

// TEMPORARY: the operator API of /work/ops-api.md, until @statehouse/client has it (branch wt-ops).
export interface NamespaceInfo {
  readonly namespace: string;
  readonly agentCount: number;
  readonly lastCommitTs: number;
}
export interface AgentInfo {
  readonly agentId: string;
  readonly keyCount: number;
  readonly lastCommitTs: number;
}
export interface ImportSummary {
  readonly namespace: string;
  readonly records: number;
  readonly versions: number;
  readonly commits: number;
  readonly atTs: number;
}
export interface OperatorApi {
  listNamespaces(): Promise<{ namespaces: NamespaceInfo[] }>;
  listAgents(input?: {
    namespace?: string;
    prefix?: string;
    cursor?: string | null;
    limit?: number;
  }): Promise<{ agents: AgentInfo[]; cursor: string | null }>;
  exportSnapshot(options?: {
    namespace?: string;
    agentPrefix?: string;
    atTs?: number;
    history?: boolean;
  }): AsyncIterable<string>;
  importSnapshot(
    source: AsyncIterable<string | Uint8Array> | Iterable<string>,
    options?: {
      namespace?: string;
      mode?: 'empty-only' | 'merge';
      onProgress?: (p: { lines: number; records: number }) => void;
    },
  ): Promise<ImportSummary>;
}

export function operatorApi(client: StatehouseClient): OperatorApi {
  const api = client as unknown as Partial<OperatorApi>;
  if (typeof api.listNamespaces !== 'function') {
    throw new CliError(
      'this build of @statehouse/client has no operator API yet',
      1,
      'UNSUPPORTED',
    );
  }
  return api as OperatorApi;
}
