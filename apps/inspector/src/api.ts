// The inspector's requests to the HTTP API: the token as a bearer header on every one (never in
// a URL, which proxies and servers log), problem+json answers turned into ApiError.

const TOKEN_KEY = 'statehouse.inspector.token';

/**
 * The token, kept in sessionStorage: it lasts as long as the tab, is not sent by the browser on
 * its own (unlike a cookie: no CSRF), and the page's policy allows scripts from this server only.
 */
export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** A refusal from the server (its problem document), or a network failure (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** On a 410: the namespace's compaction horizon. */
    readonly compactedTs?: number,
  ) {
    super(message);
  }
}

/** Listeners told when the server refuses the token (401): the app then asks for one. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorized.add(listener);
  return () => unauthorized.delete(listener);
}

type Query = Record<string, string | number | boolean | undefined>;

/** `v1/...` relative to the page (/ui): also right behind a proxy that adds a path prefix. */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const search = params.toString();
  return `${path}${search ? `?${search}` : ''}`;
}

export function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = savedToken();
  return { ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

/** The ApiError of a refused answer (and tells the listeners of a 401). */
export async function refusal(response: Response): Promise<ApiError> {
  let body: { code?: string; detail?: string; title?: string; compactedTs?: number } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not a problem document: the status says enough
  }
  if (response.status === 401) for (const listener of unauthorized) listener();
  return new ApiError(
    response.status,
    body.code ?? `HTTP_${response.status}`,
    body.detail ?? body.title ?? response.statusText,
    body.compactedTs,
  );
}

export async function getJson<T>(
  path: string,
  query: Query = {},
  signal?: AbortSignal,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(apiUrl(path, query), {
      headers: headers({ accept: 'application/json' }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'NETWORK', `The server did not answer (${String(error)})`);
  }
  if (!response.ok) throw await refusal(response);
  return (await response.json()) as T;
}

// The answers' shapes (the OpenAPI document, /openapi.json).
export type Json = Record<string, unknown>;
export interface NamespaceInfo {
  namespace: string;
  agentCount: number;
  lastCommitTs: number;
}
export interface AgentInfo {
  agentId: string;
  keyCount: number;
  lastCommitTs: number;
}
export interface StateResult {
  exists: boolean;
  value: Json | null;
  version: number;
  commitTs: number;
}
export interface StateEntry {
  key: string;
  value: Json;
  version: number;
  commitTs: number;
}
export interface ReplayEvent {
  txId: string;
  commitTs: number;
  operations: Array<{ key: string; value: Json | null; version: number }>;
  /** On the first event of a replay that started at the retention policy's horizon. */
  horizon?: number;
  /** When it committed (ms since the epoch); absent for commits logged before times were. */
  time?: number;
}
export interface TransactionDescription {
  id: string;
  namespace: string;
  state: string;
  deadline: number;
  createdAt: number;
  finishedAt: number | null;
  commitTs: number | null;
}

export const api = {
  namespaces: () => getJson<{ namespaces: NamespaceInfo[] }>('v1/namespaces'),
  agents: (query: { namespace: string; prefix?: string; cursor?: string; limit: number }) =>
    getJson<{ agents: AgentInfo[]; cursor: string | null }>('v1/agents', query),
  scan: (query: { namespace: string; agentId: string; cursor?: string; limit: number }) =>
    getJson<{ entries: StateEntry[]; cursor: string | null }>('v1/scan', query),
  state: (query: {
    namespace: string;
    agentId: string;
    key: string;
    version?: number;
    atTs?: number;
  }) => getJson<StateResult>('v1/state', query),
  transaction: (txId: string) =>
    getJson<TransactionDescription>(`v1/transactions/${encodeURIComponent(txId)}`),
};
