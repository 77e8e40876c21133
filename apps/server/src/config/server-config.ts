/**
 * The server's configuration, from environment variables and command-line flags (a flag wins over
 * its variable), validated at start: every problem is reported at once, with what to do about it.
 * FLAGS (flags.ts) is the one table of settings: each flag's variables, description and default,
 * which `--help` prints.
 *
 * STATEHOUSE_ADDR (the official daemon's variable) is the gRPC listen address, `host:port`,
 * `[v6]:port` or `:port` (port only). It is more specific than STATEHOUSE_HOST and
 * STATEHOUSE_GRPC_PORT, so it wins over them for gRPC (HTTP keeps STATEHOUSE_HOST); the flags
 * --host and --grpc-port win over it.
 */
import { ValidationError, validateNamespace, type RetentionPolicy } from '@statehouse/core';
import { FLAGS, REPLACED_VARIABLES } from './flags';
import { readRetention } from './retention-flags';
import { readTls, type TlsConfig } from './tls-files';

export type { TlsConfig } from './tls-files';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface ServerConfig {
  /** The HTTP listener's address (and gRPC's, unless grpcHost says otherwise). */
  readonly host: string;
  /** The gRPC listener's address; default: host. */
  readonly grpcHost?: string;
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
  /** The embedded redis-server's port on 127.0.0.1; undefined: a free one. */
  readonly embeddedRedisPort?: number;
  /**
   * Bearer token -> namespaces it may use ('*': all; so a namespace named `*` cannot be granted
   * alone). Empty: no authentication.
   */
  readonly tokens: ReadonlyMap<string, ReadonlySet<string> | '*'>;
  readonly insecure: boolean;
  /** /metrics without a token even when tokens are configured. */
  readonly metricsPublic?: boolean;
  readonly tls?: TlsConfig;
  /** A gRPC connection without calls for this long is closed (GOAWAY). Default 300000. */
  readonly grpcIdleTimeoutMs?: number;
  readonly logLevel: LogLevel;
  readonly namespace: string;
  /** Prefix of every Redis key and of the timeout queue (the engine's keyPrefix). Default 'sh'. */
  readonly keyPrefix?: string;
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
  /** The default retention policy (namespaces without their own); absent rules: keep. */
  readonly retention?: RetentionPolicy;
  /** How often a namespace with a retention policy is compacted (ms). Default 60000. */
  readonly compactionIntervalMs?: number;
  /**
   * A server-sent-events replay gets a comment line (`: heartbeat`) this often, so proxies and
   * load balancers do not close a quiet follower as idle. Default 15000.
   */
  readonly sseHeartbeatMs?: number;
  /** What the server logs as warnings at start (variables of the official daemon it ignores). */
  readonly warnings?: readonly string[];
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

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Reads the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): ServerConfig {
  const problems: string[] = [];
  const raw = readRaw(env, argv, problems);
  const value = (flag: string): string | undefined => raw.get(flag)?.text;
  const named = (flag: string): string => `--${flag} (${FLAGS[flag]!.variable[0]})`;

  const parsePort = (text: string, what: string, fallback: number): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > 65535) {
      problems.push(`${what} must be a port number 0-65535, got "${text}"`);
      return fallback;
    }
    return n;
  };
  const port = (flag: string, fallback: number): number => {
    const text = value(flag);
    return text === undefined ? fallback : parsePort(text, named(flag), fallback);
  };
  const bool = (flag: string): boolean => {
    const text = value(flag);
    if (text === undefined) return false;
    if (/^(1|true|yes)$/i.test(text)) return true;
    if (/^(0|false|no|)$/i.test(text)) return false;
    problems.push(`${named(flag)} must be true or false, got "${text}"`);
    return false;
  };

  const host = value('host') ?? '127.0.0.1';
  const httpPort = port('http-port', 8080);
  let grpcHost = host;
  let grpcPort = port('grpc-port', 50051);
  const addr = env.STATEHOUSE_ADDR;
  if (addr !== undefined && addr.trim() !== '') {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]*):([^:]*)$/.exec(addr.trim());
    if (!match) {
      problems.push(
        `STATEHOUSE_ADDR must be host:port, [v6]:port or :port (the gRPC listen address), got "${addr}"`,
      );
    } else {
      if (match[1] && raw.get('host')?.from !== 'flag') grpcHost = match[1].replace(/^\[|\]$/g, '');
      if (raw.get('grpc-port')?.from !== 'flag') {
        grpcPort = parsePort(match[2]!, 'the port of STATEHOUSE_ADDR', grpcPort);
      }
    }
  }
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
  const embeddedRedisPort = port('embedded-redis-port', 0);
  if (embeddedRedisPort !== 0 && (redisUrl !== undefined || clusterNodes)) {
    problems.push(
      '--embedded-redis-port applies only to the embedded redis-server, not with --redis-url or --redis-cluster-nodes',
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
      problems.push(`${named(flag)} must be a whole number from 1 to ${max}, got "${text}"`);
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
  const { retention, compactionIntervalMs } = readRetention(value, named, problems);
  const sseHeartbeatMs = positive('sse-heartbeat-ms', 15_000, 3_600_000);
  const grpcIdleTimeoutMs = positive('grpc-idle-timeout-ms', 300_000, 86_400_000);
  const tokens = parseTokens(value('tokens'), problems);
  const insecure = bool('insecure');
  const metricsPublic = bool('metrics-public');
  const tls = readTls(value('tls-cert'), value('tls-key'), value('tls-client-ca'), problems);
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
  const keyPrefix = value('key-prefix') ?? 'sh';
  const keyPrefixProblem = /[{}]/.test(keyPrefix) ? 'must not hold { or }' : problemOf(keyPrefix);
  if (keyPrefixProblem !== null) {
    problems.push(
      `--key-prefix (STATEHOUSE_KEY_PREFIX) ${keyPrefixProblem}, got ${JSON.stringify(keyPrefix)}`,
    );
  }
  const graceText = value('shutdown-grace-ms') ?? '10000';
  const shutdownGraceMs = Number(graceText);
  if (!/^\d+$/.test(graceText)) {
    problems.push(
      `--shutdown-grace-ms (STATEHOUSE_SHUTDOWN_GRACE_MS) must be a number of milliseconds, got "${graceText}"`,
    );
  }
  const maxLargeBodies = positive('max-large-bodies', 4, 10_000);
  for (const exposed of new Set([host, grpcHost])) {
    if (!LOOPBACK.has(exposed) && tokens.size === 0 && !insecure) {
      const which = exposed === host ? `--host ${exposed}` : `STATEHOUSE_ADDR ${addr}`;
      problems.push(
        `${which} exposes the server beyond this machine without authentication: configure ` +
          `tokens (STATEHOUSE_TOKENS='{"<token>": ["<namespace>"]}'), bind 127.0.0.1, or pass ` +
          '--insecure (STATEHOUSE_INSECURE=true) to accept the risk',
      );
    }
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
  const warnings = Object.entries(REPLACED_VARIABLES)
    .filter(([variable]) => env[variable] !== undefined)
    .map(([, warning]) => warning);
  return {
    limits,
    host,
    ...(grpcHost !== host ? { grpcHost } : {}),
    grpcPort,
    httpPort,
    redisUrl,
    ...(clusterNodes ? { clusterNodes } : {}),
    ...(value('redis-password') ? { redisPassword: value('redis-password') } : {}),
    durability: durability as 'primary' | 'replicated',
    ...(durability === 'replicated' ? { replication } : {}),
    dataDir: value('data-dir') ?? 'data',
    ...(embeddedRedisPort !== 0 ? { embeddedRedisPort } : {}),
    tokens,
    insecure,
    metricsPublic,
    ...(tls ? { tls } : {}),
    grpcIdleTimeoutMs,
    logLevel: logLevel as LogLevel,
    namespace,
    ...(keyPrefix !== 'sh' ? { keyPrefix } : {}),
    shutdownGraceMs,
    maxLargeBodies,
    maxFollowersPerToken,
    ...(Object.keys(retention).length > 0 ? { retention } : {}),
    ...(compactionIntervalMs !== 60_000 ? { compactionIntervalMs } : {}),
    sseHeartbeatMs,
    warnings,
  };
}

/** Flags first, then variables: flag name -> text, and whether a flag or a variable gave it. */
function readRaw(
  env: NodeJS.ProcessEnv,
  argv: readonly string[],
  problems: string[],
): Map<string, { text: string; from: 'flag' | 'variable' }> {
  const raw = new Map<string, { text: string; from: 'flag' | 'variable' }>();
  for (const [flag, { variable }] of Object.entries(FLAGS)) {
    const name = variable.find((v) => env[v] !== undefined);
    if (name !== undefined) raw.set(flag, { text: env[name]!, from: 'variable' });
  }
  const set = (flag: string, text: string) => raw.set(flag, { text, from: 'flag' });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const spec = match ? FLAGS[match[1]!] : undefined;
    if (!match || !spec) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    if (match[2] !== undefined) set(match[1]!, match[2]);
    else if (spec.boolean) set(match[1]!, 'true');
    else if (i + 1 < argv.length) set(match[1]!, argv[++i]!);
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
