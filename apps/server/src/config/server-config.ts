/**
 * The server's configuration, from environment variables and command-line flags (a flag wins over
 * its variable), validated at start: every problem is reported at once, with what to do about it.
 *
 *   flag                 variable                    default
 *   --host               STATEHOUSE_HOST             127.0.0.1
 *   --grpc-port          STATEHOUSE_GRPC_PORT        50051   (0: any free port)
 *   --http-port          STATEHOUSE_HTTP_PORT        8080    (0: any free port)
 *   --redis-url          STATEHOUSE_REDIS_URL, REDIS_URL   none: start an embedded redis-server
 *   --redis-cluster-nodes STATEHOUSE_REDIS_CLUSTER_NODES none  host:port,host:port,... of a Redis Cluster
 *   --redis-password     STATEHOUSE_REDIS_PASSWORD   none    for the cluster nodes (a URL carries its own)
 *   --durability         STATEHOUSE_DURABILITY       primary primary | replicated (wait for replicas: WAIT)
 *   --replicas           STATEHOUSE_REPLICAS         1       with replicated: replicas that must acknowledge
 *   --replication-timeout-ms STATEHOUSE_REPLICATION_TIMEOUT_MS 1000  with replicated: how long to wait
 *   --data-dir           STATEHOUSE_DATA_DIR         data    (the embedded redis-server's AOF)
 *   --tokens             STATEHOUSE_TOKENS           none    JSON {"<token>": ["<namespace>" | "*", ...]}
 *   --insecure           STATEHOUSE_INSECURE=true    false   allow a non-loopback host without tokens
 *   --log-level          STATEHOUSE_LOG_LEVEL        info    error | warn | info | debug
 *   --namespace          STATEHOUSE_NAMESPACE        default (the namespace of requests naming none)
 *   --shutdown-grace-ms  STATEHOUSE_SHUTDOWN_GRACE_MS 10000  how long in-flight requests may finish
 *   --max-large-bodies   STATEHOUSE_MAX_LARGE_BODIES 4      HTTP bodies over 1 MiB read at once (more: 503)
 *   --max-timeout-ms     STATEHOUSE_MAX_TIMEOUT_MS   3600000 the largest timeout a transaction may ask for
 *   --finished-retention-ms STATEHOUSE_FINISHED_RETENTION_MS 120000  how long a finished transaction
 *                                                    stays known ("already committed", commit retries)
 *   --max-open-transactions-per-namespace STATEHOUSE_MAX_OPEN_TRANSACTIONS_PER_NAMESPACE 50000
 *                                                    transactions open at once in one namespace
 *   --max-staged-bytes-per-namespace STATEHOUSE_MAX_STAGED_BYTES_PER_NAMESPACE 268435456 (256 MiB)
 *                                                    bytes staged at once by a namespace's open transactions
 *   --max-followers-per-token STATEHOUSE_MAX_FOLLOWERS_PER_TOKEN 100  open follow-mode replays per
 *                        token (without tokens: of all callers together); more get 429 / RESOURCE_EXHAUSTED
 */
import { ValidationError, validateNamespace } from '@statehouse/core';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface ServerConfig {
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Undefined (and no cluster nodes): start an embedded redis-server. */
  readonly redisUrl: string | undefined;
  /** A Redis Cluster's seed nodes (instead of a URL). */
  readonly clusterNodes?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** Password of the cluster nodes. */
  readonly redisPassword?: string;
  /** When a commit is reported: by the primary, or once replicas acknowledged it too. */
  readonly durability?: 'primary' | 'replicated';
  readonly replication?: { readonly replicas: number; readonly timeoutMs: number };
  readonly dataDir: string;
  /**
   * Bearer token -> namespaces it may use ('*': all; so a namespace named `*` cannot be granted
   * alone). Empty: no authentication.
   */
  readonly tokens: ReadonlyMap<string, ReadonlySet<string> | '*'>;
  readonly insecure: boolean;
  readonly logLevel: LogLevel;
  readonly namespace: string;
  readonly shutdownGraceMs: number;
  /**
   * HTTP request bodies over 1 MiB (or of unknown length) read and parsed at the same time; one
   * more is answered 503 with Retry-After before its body is read. Default 4.
   */
  readonly maxLargeBodies?: number;
  /** The engine's limits (its options of the same names); absent: the server's defaults. */
  readonly limits?: ServerLimits;
  /** Most follow-mode replays open at once per token (without tokens: of all callers together). */
  readonly maxFollowersPerToken?: number;
}

/** What the server passes to the engine as its options of the same names. */
export interface ServerLimits {
  readonly maxTimeoutMs: number;
  readonly finishedTransactionRetentionMs: number;
  readonly maxOpenTransactionsPerNamespace: number;
  readonly maxStagedBytesPerNamespace: number;
}

/** The server's defaults (the engine's own defaults are smaller for maxTimeoutMs: 10 minutes). */
export const DEFAULT_LIMITS: ServerLimits = {
  maxTimeoutMs: 3_600_000,
  finishedTransactionRetentionMs: 120_000,
  maxOpenTransactionsPerNamespace: 50_000,
  maxStagedBytesPerNamespace: 256 * 1024 * 1024,
};

/** Thrown when the configuration cannot be used; its message lists every problem and its fix. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Run with --help for every setting.',
    );
    this.name = 'ConfigError';
  }
}

const FLAGS: Record<string, { variable: string[]; boolean?: boolean }> = {
  host: { variable: ['STATEHOUSE_HOST'] },
  'grpc-port': { variable: ['STATEHOUSE_GRPC_PORT'] },
  'http-port': { variable: ['STATEHOUSE_HTTP_PORT'] },
  'redis-url': { variable: ['STATEHOUSE_REDIS_URL', 'REDIS_URL'] },
  'redis-cluster-nodes': { variable: ['STATEHOUSE_REDIS_CLUSTER_NODES'] },
  'redis-password': { variable: ['STATEHOUSE_REDIS_PASSWORD'] },
  durability: { variable: ['STATEHOUSE_DURABILITY'] },
  replicas: { variable: ['STATEHOUSE_REPLICAS'] },
  'replication-timeout-ms': { variable: ['STATEHOUSE_REPLICATION_TIMEOUT_MS'] },
  'data-dir': { variable: ['STATEHOUSE_DATA_DIR'] },
  tokens: { variable: ['STATEHOUSE_TOKENS'] },
  insecure: { variable: ['STATEHOUSE_INSECURE'], boolean: true },
  'log-level': { variable: ['STATEHOUSE_LOG_LEVEL'] },
  namespace: { variable: ['STATEHOUSE_NAMESPACE'] },
  'shutdown-grace-ms': { variable: ['STATEHOUSE_SHUTDOWN_GRACE_MS'] },
  'max-large-bodies': { variable: ['STATEHOUSE_MAX_LARGE_BODIES'] },
  'max-timeout-ms': { variable: ['STATEHOUSE_MAX_TIMEOUT_MS'] },
  'finished-retention-ms': { variable: ['STATEHOUSE_FINISHED_RETENTION_MS'] },
  'max-open-transactions-per-namespace': {
    variable: ['STATEHOUSE_MAX_OPEN_TRANSACTIONS_PER_NAMESPACE'],
  },
  'max-staged-bytes-per-namespace': { variable: ['STATEHOUSE_MAX_STAGED_BYTES_PER_NAMESPACE'] },
  'max-followers-per-token': { variable: ['STATEHOUSE_MAX_FOLLOWERS_PER_TOKEN'] },
};

export const USAGE = `Usage: npm start -- [flags]   (or node apps/server/dist/main.js [flags])

Flags (each also read from its environment variable; a flag wins):
${Object.entries(FLAGS)
  .map(
    ([flag, { variable, boolean }]) =>
      `  --${flag}${boolean ? '' : ' <value>'}`.padEnd(32) + ` ${variable.join(', ')}`,
  )
  .join('\n')}

Without a Redis URL or cluster nodes the server starts its own redis-server (AOF, appendfsync
always) with its data in --data-dir, and stops it on shutdown.
`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Reads the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): ServerConfig {
  const problems: string[] = [];
  const raw = readRaw(env, argv, problems);
  const value = (flag: string): string | undefined => raw.get(flag);

  const port = (flag: string, fallback: number): number => {
    const text = value(flag);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > 65535) {
      problems.push(
        `--${flag} (${FLAGS[flag]!.variable[0]}) must be a port number 0-65535, got "${text}"`,
      );
      return fallback;
    }
    return n;
  };
  const bool = (flag: string): boolean => {
    const text = value(flag);
    if (text === undefined) return false;
    if (/^(1|true|yes)$/i.test(text)) return true;
    if (/^(0|false|no|)$/i.test(text)) return false;
    problems.push(`--${flag} (${FLAGS[flag]!.variable[0]}) must be true or false, got "${text}"`);
    return false;
  };

  const host = value('host') ?? '127.0.0.1';
  const grpcPort = port('grpc-port', 50051);
  const httpPort = port('http-port', 8080);
  if (grpcPort !== 0 && grpcPort === httpPort) {
    problems.push(`--grpc-port and --http-port are both ${grpcPort}: give them different ports`);
  }
  const redisUrl = value('redis-url') || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(
      `--redis-url (STATEHOUSE_REDIS_URL) must be a redis:// or rediss:// URL, got "${redisUrl}"`,
    );
  }
  const clusterNodes = parseClusterNodes(value('redis-cluster-nodes'), problems);
  if (clusterNodes && redisUrl !== undefined) {
    problems.push(
      '--redis-url and --redis-cluster-nodes are both set: give the URL of one Redis, or the nodes of a cluster',
    );
  }
  const durability = value('durability') ?? 'primary';
  if (durability !== 'primary' && durability !== 'replicated') {
    problems.push(
      `--durability (STATEHOUSE_DURABILITY) must be primary or replicated, got "${durability}"`,
    );
  }
  const positive = (flag: string, fallback: number, max: number): number => {
    const text = value(flag);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
      problems.push(
        `--${flag} (${FLAGS[flag]!.variable[0]}) must be a whole number from 1 to ${max}, got "${text}"`,
      );
      return fallback;
    }
    return Number(text);
  };
  const replication = {
    replicas: positive('replicas', 1, 100),
    timeoutMs: positive('replication-timeout-ms', 1000, 600_000),
  };
  if (
    durability !== 'replicated' &&
    (value('replicas') !== undefined || value('replication-timeout-ms') !== undefined)
  ) {
    problems.push(
      '--replicas and --replication-timeout-ms apply only with --durability replicated',
    );
  }
  const maxFollowersPerToken = positive('max-followers-per-token', 100, 1_000_000);
  const tokens = parseTokens(value('tokens'), problems);
  const insecure = bool('insecure');
  const logLevel = value('log-level') ?? 'info';
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    problems.push(
      `--log-level (STATEHOUSE_LOG_LEVEL) must be error, warn, info or debug, got "${logLevel}"`,
    );
  }
  const namespace = value('namespace') ?? 'default';
  const namespaceProblem = problemOf(namespace);
  if (namespaceProblem !== null) {
    problems.push(
      `--namespace (STATEHOUSE_NAMESPACE) ${namespaceProblem}, got ${JSON.stringify(namespace)}`,
    );
  }
  const graceText = value('shutdown-grace-ms') ?? '10000';
  const shutdownGraceMs = Number(graceText);
  if (!/^\d+$/.test(graceText)) {
    problems.push(
      `--shutdown-grace-ms (STATEHOUSE_SHUTDOWN_GRACE_MS) must be a number of milliseconds, got "${graceText}"`,
    );
  }
  const largeText = value('max-large-bodies') ?? '4';
  const maxLargeBodies = Number(largeText);
  if (!/^\d+$/.test(largeText) || maxLargeBodies < 1) {
    problems.push(
      `--max-large-bodies (STATEHOUSE_MAX_LARGE_BODIES) must be a whole number of at least 1, got "${largeText}"`,
    );
  }
  if (!LOOPBACK.has(host) && tokens.size === 0 && !insecure) {
    problems.push(
      `--host ${host} exposes the server beyond this machine without authentication: configure ` +
        `tokens (STATEHOUSE_TOKENS='{"<token>": ["<namespace>"]}'), bind 127.0.0.1, or pass ` +
        '--insecure (STATEHOUSE_INSECURE=true) to accept the risk',
    );
  }
  const limits: ServerLimits = {
    maxTimeoutMs: positive('max-timeout-ms', DEFAULT_LIMITS.maxTimeoutMs, 2 ** 31 - 1),
    finishedTransactionRetentionMs: positive(
      'finished-retention-ms',
      DEFAULT_LIMITS.finishedTransactionRetentionMs,
      2 ** 31 - 1,
    ),
    maxOpenTransactionsPerNamespace: positive(
      'max-open-transactions-per-namespace',
      DEFAULT_LIMITS.maxOpenTransactionsPerNamespace,
      100_000_000,
    ),
    maxStagedBytesPerNamespace: positive(
      'max-staged-bytes-per-namespace',
      DEFAULT_LIMITS.maxStagedBytesPerNamespace,
      Number.MAX_SAFE_INTEGER,
    ),
  };
  if (limits.finishedTransactionRetentionMs < 1000) {
    problems.push(
      `--finished-retention-ms (STATEHOUSE_FINISHED_RETENTION_MS) must be at least 1000, got ${limits.finishedTransactionRetentionMs}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    limits,
    host,
    grpcPort,
    httpPort,
    redisUrl,
    ...(clusterNodes ? { clusterNodes } : {}),
    ...(value('redis-password') ? { redisPassword: value('redis-password') } : {}),
    durability: durability as 'primary' | 'replicated',
    ...(durability === 'replicated' ? { replication } : {}),
    dataDir: value('data-dir') ?? 'data',
    tokens,
    insecure,
    logLevel: logLevel as LogLevel,
    namespace,
    shutdownGraceMs,
    maxLargeBodies,
    maxFollowersPerToken,
  };
}

/** Flags first, then variables: flag name -> text. */
function readRaw(
  env: NodeJS.ProcessEnv,
  argv: readonly string[],
  problems: string[],
): Map<string, string> {
  const raw = new Map<string, string>();
  for (const [flag, { variable }] of Object.entries(FLAGS)) {
    const name = variable.find((v) => env[v] !== undefined);
    if (name !== undefined) raw.set(flag, env[name]!);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const spec = match ? FLAGS[match[1]!] : undefined;
    if (!match || !spec) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    if (match[2] !== undefined) raw.set(match[1]!, match[2]);
    else if (spec.boolean) raw.set(match[1]!, 'true');
    else if (i + 1 < argv.length) raw.set(match[1]!, argv[++i]!);
    else problems.push(`--${match[1]} needs a value`);
  }
  return raw;
}

/** "host:port,host:port" -> nodes; undefined when not set. */
function parseClusterNodes(
  text: string | undefined,
  problems: string[],
): Array<{ host: string; port: number }> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const nodes: Array<{ host: string; port: number }> = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(item);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) {
      problems.push(
        `--redis-cluster-nodes (STATEHOUSE_REDIS_CLUSTER_NODES) must be host:port pairs separated by commas, ` +
          `like "10.0.0.1:6379,10.0.0.2:6379"; "${item}" is not`,
      );
      return undefined;
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** What is wrong with a namespace name (the engine's rule), or null. */
function problemOf(namespace: unknown): string | null {
  try {
    validateNamespace(namespace);
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.rule;
    throw error;
  }
}

function parseTokens(
  text: string | undefined,
  problems: string[],
): Map<string, ReadonlySet<string> | '*'> {
  const tokens = new Map<string, ReadonlySet<string> | '*'>();
  if (text === undefined || text.trim() === '') return tokens;
  const example = `'{"<token>": ["default", "prod"], "<admin token>": ["*"]}'`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`--tokens (STATEHOUSE_TOKENS) must be JSON like ${example}`);
    return tokens;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`--tokens (STATEHOUSE_TOKENS) must be a JSON object like ${example}`);
    return tokens;
  }
  for (const [token, namespaces] of Object.entries(parsed)) {
    if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) {
      problems.push('every token must be at least 16 printable ASCII characters without spaces');
      continue;
    }
    if (!Array.isArray(namespaces) || namespaces.length === 0) {
      problems.push(
        `the namespaces of a token must be a non-empty list of namespace names or "*", as in ${example}`,
      );
      continue;
    }
    const bad = (namespaces as unknown[]).findIndex((n) => n !== '*' && problemOf(n) !== null);
    if (bad >= 0) {
      const name: unknown = namespaces[bad];
      problems.push(
        `every namespace of a token must be a namespace name or "*": ${JSON.stringify(name)} ${problemOf(name)}`,
      );
      continue;
    }
    tokens.set(token, namespaces.includes('*') ? '*' : new Set(namespaces as string[]));
  }
  return tokens;
}
