// Every setting of the server: its flag, variables, description and default (what `--help`
// prints and loadConfig reads), and the official daemon's variables this server replaces.

export interface FlagSpec {
  readonly variable: string[];
  /** A switch: `--flag` alone means true. */
  readonly boolean?: boolean;
  /** What to write after the flag in --help (`<value>` unless said). */
  readonly value?: string;
  readonly description: string;
  readonly default: string;
}

/** Every setting: flag -> its variables (the first is its name in messages), help and default. */
export const FLAGS: Record<string, FlagSpec> = {
  host: {
    variable: ['STATEHOUSE_HOST'],
    value: '<address>',
    description: 'Address the HTTP and gRPC listeners bind (not loopback: needs --tokens)',
    default: '127.0.0.1',
  },
  'grpc-port': {
    variable: ['STATEHOUSE_GRPC_PORT'],
    value: '<port>',
    description: 'gRPC port (statehouse.v1); 0: any free port. STATEHOUSE_ADDR also sets it',
    default: '50051',
  },
  'http-port': {
    variable: ['STATEHOUSE_HTTP_PORT'],
    value: '<port>',
    description: 'HTTP/JSON API port; 0: any free port',
    default: '8080',
  },
  'redis-url': {
    variable: ['STATEHOUSE_REDIS_URL', 'REDIS_URL'],
    value: '<url>',
    description: 'redis:// or rediss:// URL of the Redis to use',
    default: 'none: start an embedded redis-server',
  },
  'redis-cluster-nodes': {
    variable: ['STATEHOUSE_REDIS_CLUSTER_NODES'],
    value: '<nodes>',
    description: 'host:port,... seed nodes of a Redis Cluster (instead of --redis-url)',
    default: 'none',
  },
  'redis-password': {
    variable: ['STATEHOUSE_REDIS_PASSWORD'],
    value: '<password>',
    description: 'Password of the cluster nodes (a URL carries its own)',
    default: 'none',
  },
  durability: {
    variable: ['STATEHOUSE_DURABILITY'],
    value: '<mode>',
    description: 'primary, or replicated: a commit also waits for replicas (WAIT)',
    default: 'primary',
  },
  replicas: {
    variable: ['STATEHOUSE_REPLICAS'],
    value: '<n>',
    description: 'With replicated: replicas that must acknowledge a commit',
    default: '1',
  },
  'replication-timeout-ms': {
    variable: ['STATEHOUSE_REPLICATION_TIMEOUT_MS'],
    value: '<ms>',
    description: 'With replicated: how long a commit waits for its replicas',
    default: '1000',
  },
  'data-dir': {
    variable: ['STATEHOUSE_DATA_DIR'],
    value: '<dir>',
    description: "The embedded redis-server's AOF files (locked: one server per directory)",
    default: 'data',
  },
  'embedded-redis-port': {
    variable: ['STATEHOUSE_EMBEDDED_REDIS_PORT'],
    value: '<port>',
    description: 'Port of the embedded redis-server on 127.0.0.1; 0: any free port',
    default: '0',
  },
  tokens: {
    variable: ['STATEHOUSE_TOKENS'],
    value: '<json>',
    description: 'Bearer tokens: JSON {"<token>": ["<namespace>" | "*", ...]}',
    default: 'none: no authentication',
  },
  insecure: {
    variable: ['STATEHOUSE_INSECURE'],
    boolean: true,
    description: 'Allow a non-loopback --host without tokens (logs a warning)',
    default: 'false',
  },
  'metrics-public': {
    variable: ['STATEHOUSE_METRICS_PUBLIC'],
    boolean: true,
    description: 'Serve /metrics without a token even when tokens are configured',
    default: 'false',
  },
  'tls-cert': {
    variable: ['STATEHOUSE_TLS_CERT'],
    value: '<file>',
    description: 'PEM certificate (chain): serve HTTPS and gRPC over TLS; needs --tls-key',
    default: 'none: plaintext',
  },
  'tls-key': {
    variable: ['STATEHOUSE_TLS_KEY'],
    value: '<file>',
    description: 'PEM private key of --tls-cert',
    default: 'none',
  },
  'tls-client-ca': {
    variable: ['STATEHOUSE_TLS_CLIENT_CA'],
    value: '<file>',
    description: 'PEM CA: require client certificates it signed (mutual TLS)',
    default: 'none: no client certificates',
  },
  'grpc-idle-timeout-ms': {
    variable: ['STATEHOUSE_GRPC_IDLE_TIMEOUT_MS'],
    value: '<ms>',
    description: 'Close a gRPC connection that made no call for this long',
    default: '300000',
  },
  'log-level': {
    variable: ['STATEHOUSE_LOG_LEVEL'],
    value: '<level>',
    description: 'error, warn, info or debug (JSON lines on stdout)',
    default: 'info',
  },
  'key-prefix': {
    variable: ['STATEHOUSE_KEY_PREFIX'],
    value: '<prefix>',
    description:
      'Prefix of every Redis key (and of the timeout queue): deployments with their own prefix share one Redis',
    default: 'sh',
  },
  namespace: {
    variable: ['STATEHOUSE_NAMESPACE'],
    value: '<name>',
    description: 'The namespace of requests that name none',
    default: 'default',
  },
  'shutdown-grace-ms': {
    variable: ['STATEHOUSE_SHUTDOWN_GRACE_MS'],
    value: '<ms>',
    description: 'On SIGTERM, how long in-flight requests may finish (replays end at once)',
    default: '10000',
  },
  'max-large-bodies': {
    variable: ['STATEHOUSE_MAX_LARGE_BODIES'],
    value: '<n>',
    description: 'HTTP bodies over 1 MiB read at once per process; one more gets 503 SERVER_BUSY',
    default: '4',
  },
  'max-timeout-ms': {
    variable: ['STATEHOUSE_MAX_TIMEOUT_MS'],
    value: '<ms>',
    description: 'The largest timeout a transaction may ask for, on every API',
    default: '3600000 (1 hour)',
  },
  'finished-retention-ms': {
    variable: ['STATEHOUSE_FINISHED_RETENTION_MS'],
    value: '<ms>',
    description:
      'How long a finished transaction stays known (already committed, retries); >= 1000',
    default: '120000',
  },
  'max-open-transactions-per-namespace': {
    variable: ['STATEHOUSE_MAX_OPEN_TRANSACTIONS_PER_NAMESPACE'],
    value: '<n>',
    description: 'Transactions open at once in one namespace; more: RESOURCE_EXHAUSTED / 429',
    default: '50000',
  },
  'max-staged-bytes-per-namespace': {
    variable: ['STATEHOUSE_MAX_STAGED_BYTES_PER_NAMESPACE'],
    value: '<bytes>',
    description: "Bytes staged at once by a namespace's open transactions; more: 429",
    default: '268435456 (256 MiB)',
  },
  'max-followers-per-token': {
    variable: ['STATEHOUSE_MAX_FOLLOWERS_PER_TOKEN'],
    value: '<n>',
    description: 'Open follow-mode replays per token (no tokens: of all callers); more: 429',
    default: '100',
  },
  'retention-max-versions': {
    variable: ['STATEHOUSE_RETENTION_MAX_VERSIONS'],
    value: '<n>',
    description:
      'Default retention policy (namespaces without their own): versions kept per record',
    default: 'none: keep every version',
  },
  'retention-max-age-ms': {
    variable: ['STATEHOUSE_RETENTION_MAX_AGE_MS'],
    value: '<ms>',
    description: 'Default retention policy: a version goes once the one after it is this old',
    default: 'none',
  },
  'retention-deleted-ttl-ms': {
    variable: ['STATEHOUSE_RETENTION_DELETED_TTL_MS'],
    value: '<ms>',
    description: 'Default retention policy: a deleted record goes whole once deleted this long ago',
    default: 'none',
  },
  'compaction-interval-ms': {
    variable: ['STATEHOUSE_COMPACTION_INTERVAL_MS'],
    value: '<ms>',
    description: 'How often each namespace with a retention policy is compacted',
    default: '60000',
  },
  'sse-heartbeat-ms': {
    variable: ['STATEHOUSE_SSE_HEARTBEAT_MS'],
    value: '<ms>',
    description:
      'A comment line on every open server-sent-events replay this often, so proxies keep it open',
    default: '15000',
  },
};

/** Variables of the official daemon that this server reads differently, and what to use. */
export const REPLACED_VARIABLES: Record<string, string> = {
  STATEHOUSE_USE_MEMORY:
    'STATEHOUSE_USE_MEMORY is ignored: this server keeps its state in Redis and has no in-memory ' +
    'mode. For throwaway state, point --redis-url (STATEHOUSE_REDIS_URL) at a Redis without ' +
    "persistence (redis-server --save '' --appendonly no)",
  RUST_LOG:
    'RUST_LOG is ignored: set --log-level (STATEHOUSE_LOG_LEVEL) to error, warn, info or debug',
};
