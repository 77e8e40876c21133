import * as grpc from '@grpc/grpc-js';
import {
  validateArgs,
  validateBoolean,
  validateInteger,
  ValidationError,
  type ExportOptions,
  type ImportOptions,
  type ImportSource,
  type AgentInfo,
  type ImportSummary,
  type ListAgentsInput,
  type NamespaceInfo,
  MAX_PAGE,
  type ImportSummary__Output,
  type SnapshotLine__Output,
  type StatehouseExtServiceClient,
} from '@statehouse/contract';
import type { ExtRequest } from './proto';
import type { Rpc } from './statehouse-client';
import { remoteError } from './remote-errors';

/** The operator's calls of statehouse_ts.v1 for StatehouseClient: listings, and snapshots streamed. */

export async function listNamespaces(rpc: Rpc): Promise<{ namespaces: NamespaceInfo[] }> {
  const { namespaces } = await rpc('ListNamespaces', {});
  return {
    namespaces: (namespaces ?? []).map((info) => ({
      namespace: String(info.namespace),
      agentCount: Number(info.agent_count ?? 0),
      lastCommitTs: Number(info.last_commit_ts ?? 0),
    })),
  };
}

export async function listAgents(
  rpc: Rpc,
  input: ListAgentsInput,
  namespace: string,
): Promise<{ agents: AgentInfo[]; cursor: string | null }> {
  const args = validateArgs<ListAgentsInput>(input, 'listAgents');
  const page = await rpc('ListAgents', {
    namespace: args.namespace ?? namespace,
    ...(args.prefix ? { prefix: args.prefix } : {}),
    ...(args.cursor ? { cursor: args.cursor } : {}),
    ...(args.limit === undefined
      ? {}
      : { limit: validateInteger(args.limit, 'limit', 1, MAX_PAGE) }),
  });
  return {
    agents: (page.agents ?? []).map((agent) => ({
      agentId: String(agent.agent_id),
      keyCount: Number(agent.key_count ?? 0),
      lastCommitTs: Number(agent.last_commit_ts ?? 0),
    })),
    cursor: page.cursor || null,
  };
}

/** Bytes of NDJSON per ImportSnapshot message (many lines each: a message per line costs). */
const CHUNK_BYTES = 64 * 1024;

export interface CallSetup {
  readonly grpcClient: StatehouseExtServiceClient;
  readonly metadata: () => grpc.Metadata;
  readonly address: string;
  readonly namespace: string;
  /** Streams in progress: the client's close() cancels them. */
  readonly calls: Set<{ cancel(): void }>;
}

/** The ExportSnapshot request of the options (checked as the engine checks them). */
export function exportRequest(
  options: ExportOptions | undefined,
  namespace: string,
): ExtRequest<'ExportSnapshot'> {
  const args = validateArgs<ExportOptions>(options ?? {}, 'exportSnapshot');
  return {
    namespace: args.namespace ?? namespace,
    ...(args.agentPrefix === undefined ? {} : { agent_prefix: args.agentPrefix }),
    ...(args.atTs === undefined ? {} : { at_ts: validateInteger(args.atTs, 'atTs', 0) }),
    history: args.history === undefined ? false : validateBoolean(args.history, 'history'),
    batch_lines: true,
  };
}

/**
 * The snapshot's lines as the server streams them: a page of lines per message (`lines`; a server
 * before batch_lines sends one per message in `line`), with backpressure.
 */
export async function* exportLines(
  setup: CallSetup,
  request: ExtRequest<'ExportSnapshot'>,
): AsyncGenerator<string, void, undefined> {
  const call = setup.grpcClient.ExportSnapshot(request, setup.metadata());
  setup.calls.add(call);
  try {
    for await (const message of call as AsyncIterable<SnapshotLine__Output>) {
      if (message.lines && message.lines.length > 0) yield* message.lines;
      else yield String(message.line ?? '');
    }
  } catch (error) {
    throw remoteError(error, { address: setup.address });
  } finally {
    setup.calls.delete(call);
    call.cancel(); // the loop broke early: stop the server's stream
  }
}

/**
 * Sends a snapshot to the server as it is read (chunks of about CHUNK_BYTES, waiting while the
 * server is slow): memory stays bounded by a chunk, whatever the snapshot's size.
 */
export async function importCall(
  setup: CallSetup,
  source: ImportSource,
  options: ImportOptions | undefined,
): Promise<ImportSummary> {
  const args = validateArgs<ImportOptions>(options ?? {}, 'importSnapshot');
  if (args.onProgress !== undefined && typeof args.onProgress !== 'function') {
    throw new ValidationError('onProgress', 'must be a function');
  }
  if (source === null || typeof source !== 'object') {
    throw new ValidationError('source', 'must be an iterable of NDJSON lines or chunks');
  }
  let failed: unknown;
  let answer: ImportSummary__Output | undefined;
  const call = setup.grpcClient.ImportSnapshot(setup.metadata(), (error, response) => {
    if (error) failed = error;
    answer = response;
  });
  const finished = new Promise<void>((resolve) => call.on('status', () => resolve()));
  setup.calls.add(call);
  let first = true;
  let lines = 0;
  const send = async (data: Buffer): Promise<void> => {
    const message = first
      ? { namespace: args.namespace ?? '', mode: args.mode ?? '', data }
      : { data };
    first = false;
    if (!call.write(message)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          call.off('drain', done);
          call.off('status', done);
          resolve();
        };
        call.on('drain', done);
        call.on('status', done);
      });
    }
  };
  try {
    let pending: Buffer[] = [];
    let size = 0;
    const iterable = source as AsyncIterable<string | Uint8Array>;
    for await (const item of iterable) {
      if (failed !== undefined || answer !== undefined) break; // the server answered early
      const bytes =
        typeof item === 'string'
          ? Buffer.from(item.endsWith('\n') ? item : `${item}\n`, 'utf8') // a line
          : Buffer.from(item.buffer, item.byteOffset, item.byteLength); // a raw chunk
      lines += newlines(bytes);
      pending.push(bytes);
      size += bytes.length;
      // The header goes at once: the server refuses a namespace that is not empty (or a
      // token's) before the rest of the file is sent.
      if (size >= CHUNK_BYTES || first) {
        await send(Buffer.concat(pending));
        pending = [];
        size = 0;
        args.onProgress?.({ lines, records: Math.max(0, lines - 1) });
      }
    }
    if (size > 0 || first) await send(Buffer.concat(pending));
    args.onProgress?.({ lines, records: Math.max(0, lines - 1) });
    call.end();
    await finished;
  } catch (error) {
    // The source failed (or the client closed): the server stops where the stream ends, as
    // after a crash; nothing it wrote is half a step, and an import run again resumes.
    call.cancel();
    throw error;
  } finally {
    setup.calls.delete(call);
  }
  if (failed !== undefined) throw remoteError(failed, { address: setup.address });
  const summary = answer!;
  return {
    namespace: String(summary.namespace),
    records: Number(summary.records ?? 0),
    versions: Number(summary.versions ?? 0),
    commits: Number(summary.commits ?? 0),
    atTs: Number(summary.at_ts ?? 0),
  };
}

/** How many lines a chunk ends (its newline bytes). */
function newlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}
