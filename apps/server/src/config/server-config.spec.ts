import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './server-config';

const problems = (env: NodeJS.ProcessEnv, argv: string[] = []): readonly string[] => {
  try {
    loadConfig(env, argv);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadConfig', () => {
  it('defaults to loopback, 50051/8080, an embedded Redis and no tokens', () => {
    expect(loadConfig({}, [])).toMatchObject({
      host: '127.0.0.1',
      grpcPort: 50051,
      httpPort: 8080,
      redisUrl: undefined,
      dataDir: 'data',
      insecure: false,
      logLevel: 'info',
      namespace: 'default',
    });
  });

  it('reads the number of large bodies read at once: 4 by default, at least 1', () => {
    expect(loadConfig({}, []).maxLargeBodies).toBe(4);
    expect(loadConfig({ STATEHOUSE_MAX_LARGE_BODIES: '2' }, []).maxLargeBodies).toBe(2);
    expect(problems({}, ['--max-large-bodies', '0'])).toEqual([
      expect.stringContaining('--max-large-bodies (STATEHOUSE_MAX_LARGE_BODIES)'),
    ]);
  });

  it('reads --key-prefix (default sh) and refuses one that would break the hash tags', () => {
    expect(loadConfig({}, []).keyPrefix).toBeUndefined();
    expect(loadConfig({ STATEHOUSE_KEY_PREFIX: 'tenant-2' }, []).keyPrefix).toBe('tenant-2');
    expect(loadConfig({}, ['--key-prefix', 'blue:app']).keyPrefix).toBe('blue:app');
    expect(problems({}, ['--key-prefix', 'a{b}'])).toEqual([
      expect.stringContaining('--key-prefix (STATEHOUSE_KEY_PREFIX) must not hold { or }'),
    ]);
    expect(problems({}, ['--key-prefix', ''])).toHaveLength(1);
  });

  it('caps follow-mode replays per token at 100 unless told otherwise, and refuses a bad cap', () => {
    expect(loadConfig({}, []).maxFollowersPerToken).toBe(100);
    expect(loadConfig({ STATEHOUSE_MAX_FOLLOWERS_PER_TOKEN: '5' }, []).maxFollowersPerToken).toBe(
      5,
    );
    expect(loadConfig({}, ['--max-followers-per-token', '400']).maxFollowersPerToken).toBe(400);
    expect(problems({}, ['--max-followers-per-token', '0'])).toEqual([
      expect.stringContaining('--max-followers-per-token (STATEHOUSE_MAX_FOLLOWERS_PER_TOKEN)'),
    ]);
  });

  it('beats server-sent-event replays every 15 s unless told otherwise, and refuses a bad interval', () => {
    expect(loadConfig({}, []).sseHeartbeatMs).toBe(15_000);
    expect(loadConfig({ STATEHOUSE_SSE_HEARTBEAT_MS: '500' }, []).sseHeartbeatMs).toBe(500);
    expect(loadConfig({}, ['--sse-heartbeat-ms', '2000']).sseHeartbeatMs).toBe(2000);
    expect(problems({}, ['--sse-heartbeat-ms', '0'])).toEqual([
      expect.stringContaining('--sse-heartbeat-ms (STATEHOUSE_SSE_HEARTBEAT_MS)'),
    ]);
  });

  it('reads variables, and flags win over them', () => {
    const config = loadConfig(
      { STATEHOUSE_GRPC_PORT: '6000', REDIS_URL: 'redis://a:1', STATEHOUSE_HTTP_PORT: '7000' },
      ['--grpc-port', '6001', '--redis-url=redis://b:2', '--insecure'],
    );
    expect(config).toMatchObject({
      grpcPort: 6001,
      httpPort: 7000,
      redisUrl: 'redis://b:2',
      insecure: true,
    });
  });

  it('reads Redis Cluster seed nodes and the replicated durability', () => {
    expect(
      loadConfig(
        {
          STATEHOUSE_REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001,[::1]:7002',
          STATEHOUSE_DURABILITY: 'replicated',
        },
        ['--replicas', '2', '--replication-timeout-ms=250'],
      ),
    ).toMatchObject({
      redisUrl: undefined,
      clusterNodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      durability: 'replicated',
      replication: { replicas: 2, timeoutMs: 250 },
    });
    expect(loadConfig({}, [])).toMatchObject({ durability: 'primary' });
    expect(loadConfig({}, []).replication).toBeUndefined();
  });

  it('refuses bad cluster nodes, a URL with nodes, and replication settings without replicated', () => {
    expect(problems({ STATEHOUSE_REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2' })).toEqual([
      expect.stringContaining('"redis-2" is not'),
    ]);
    expect(
      problems({ STATEHOUSE_REDIS_CLUSTER_NODES: 'a:1', STATEHOUSE_REDIS_URL: 'redis://b:2' }),
    ).toEqual([expect.stringContaining('both set')]);
    expect(problems({ STATEHOUSE_DURABILITY: 'quorum' })).toEqual([
      expect.stringContaining('must be primary or replicated, got "quorum"'),
    ]);
    expect(problems({}, ['--replicas', '2'])).toEqual([
      expect.stringContaining('apply only with --durability replicated'),
    ]);
    expect(problems({ STATEHOUSE_DURABILITY: 'replicated' }, ['--replicas', '0'])).toEqual([
      expect.stringContaining('from 1 to 100, got "0"'),
    ]);
  });

  it('reads the engine limits: maximum timeout (default 1 hour), retention and namespace quotas', () => {
    expect(loadConfig({}, []).limits).toEqual({
      maxTimeoutMs: 3_600_000,
      finishedTransactionRetentionMs: 120_000,
      maxOpenTransactionsPerNamespace: 50_000,
      maxStagedBytesPerNamespace: 268_435_456,
    });
    expect(
      loadConfig(
        { STATEHOUSE_MAX_TIMEOUT_MS: '7200000', STATEHOUSE_FINISHED_RETENTION_MS: '5000' },
        ['--max-open-transactions-per-namespace', '10', '--max-staged-bytes-per-namespace=1048576'],
      ).limits,
    ).toEqual({
      maxTimeoutMs: 7_200_000,
      finishedTransactionRetentionMs: 5000,
      maxOpenTransactionsPerNamespace: 10,
      maxStagedBytesPerNamespace: 1_048_576,
    });
    expect(problems({ STATEHOUSE_MAX_TIMEOUT_MS: '0' }, ['--finished-retention-ms', '10'])).toEqual(
      [
        expect.stringMatching(
          /^--max-timeout-ms \(STATEHOUSE_MAX_TIMEOUT_MS\) must be a whole number/,
        ),
        expect.stringContaining(
          '--finished-retention-ms (STATEHOUSE_FINISHED_RETENTION_MS) must be at least 1000',
        ),
      ],
    );
  });

  it('reads the default retention policy and the compaction interval, refusing bad ones', () => {
    const none = loadConfig({}, []);
    expect(none.retention).toBeUndefined();
    expect(none.compactionIntervalMs).toBeUndefined(); // the engine's default, 60 s
    const set = loadConfig({ STATEHOUSE_RETENTION_MAX_AGE_MS: '86400000' }, [
      '--retention-max-versions',
      '5',
      '--retention-deleted-ttl-ms=0',
      '--compaction-interval-ms',
      '1000',
    ]);
    expect(set.retention).toEqual({
      maxVersionsPerKey: 5,
      maxAgeMs: 86_400_000,
      deletedRecordTtlMs: 0,
    });
    expect(set.compactionIntervalMs).toBe(1000);
    expect(
      problems({ STATEHOUSE_RETENTION_MAX_VERSIONS: '0' }, [
        '--retention-max-age-ms',
        'a day',
        '--compaction-interval-ms',
        '50',
      ]),
    ).toEqual([
      '--retention-max-versions (STATEHOUSE_RETENTION_MAX_VERSIONS) must be a whole number of at least 1, got "0"',
      '--retention-max-age-ms (STATEHOUSE_RETENTION_MAX_AGE_MS) must be a whole number of at least 1, got "a day"',
      '--compaction-interval-ms (STATEHOUSE_COMPACTION_INTERVAL_MS) must be a whole number from 100 to 86400000, got "50"',
    ]);
  });

  it('parses tokens scoped to namespaces', () => {
    const { tokens } = loadConfig(
      {
        STATEHOUSE_TOKENS:
          '{"reader-token-0123456789": ["a", "b"], "admin-token-0123456789": ["*"]}',
      },
      [],
    );
    expect(tokens.get('reader-token-0123456789')).toEqual(new Set(['a', 'b']));
    expect(tokens.get('admin-token-0123456789')).toBe('*');
  });

  it('accepts any namespace name the engine accepts, as --namespace and in --tokens', () => {
    const names = [
      'team:alpha',
      'prod/eu',
      'my namespace',
      '日本語',
      '🦜',
      'a{b}',
      'x'.repeat(256),
    ];
    for (const name of names) {
      expect(loadConfig({ STATEHOUSE_NAMESPACE: name }, []).namespace).toBe(name);
    }
    const { tokens } = loadConfig(
      { STATEHOUSE_TOKENS: JSON.stringify({ 'scoped-token-0123456789': names }) },
      [],
    );
    expect(tokens.get('scoped-token-0123456789')).toEqual(new Set(names));
  });

  it.each<[string, string, string]>([
    ['empty', '', 'must not be empty'],
    ['with a control character', 'a\u0000b', 'must not contain control characters'],
    ['of 257 bytes', 'x'.repeat(257), 'must be at most 256 UTF-8 bytes (got 257)'],
    ['with a lone surrogate', 'a\ud800', 'must be well-formed Unicode'],
  ])(
    'refuses a namespace %s, as --namespace and in --tokens, naming the rule',
    (_label, name, rule) => {
      expect(problems({ STATEHOUSE_NAMESPACE: name })).toEqual([
        expect.stringMatching(
          new RegExp(`^--namespace \\(STATEHOUSE_NAMESPACE\\) ${rule.replace(/[()]/g, '\\$&')}`),
        ),
      ]);
      expect(
        problems({
          STATEHOUSE_TOKENS: JSON.stringify({ 'scoped-token-0123456789': ['ok', name] }),
        }),
      ).toEqual([
        expect.stringContaining(
          `every namespace of a token must be a namespace name or "*": ${JSON.stringify(name)} ${rule}`,
        ),
      ]);
    },
  );

  it('refuses a non-loopback host without tokens unless --insecure, saying what to do', () => {
    expect(problems({ STATEHOUSE_HOST: '0.0.0.0' })).toEqual([
      expect.stringContaining('configure tokens'),
    ]);
    expect(problems({ STATEHOUSE_HOST: '0.0.0.0', STATEHOUSE_INSECURE: 'true' })).toEqual([]);
    expect(
      problems({
        STATEHOUSE_HOST: '0.0.0.0',
        STATEHOUSE_TOKENS: '{"a-long-enough-token-1": ["x"]}',
      }),
    ).toEqual([]);
  });

  it('reports every problem at once, each naming its flag and variable', () => {
    const found = problems(
      {
        STATEHOUSE_GRPC_PORT: 'abc',
        STATEHOUSE_REDIS_URL: 'localhost:6379',
        STATEHOUSE_TOKENS: '{"short": ["x"]}',
        STATEHOUSE_LOG_LEVEL: 'loud',
        STATEHOUSE_NAMESPACE: 'bad\tnamespace',
      },
      ['--frobnicate'],
    );
    expect(found).toEqual([
      'unknown argument "--frobnicate"',
      expect.stringMatching(/^--grpc-port \(STATEHOUSE_GRPC_PORT\) must be a port number/),
      expect.stringMatching(/^--redis-url \(STATEHOUSE_REDIS_URL\) must be a redis:\/\//),
      expect.stringContaining('at least 16 printable ASCII characters'),
      expect.stringMatching(/^--log-level/),
      '--namespace (STATEHOUSE_NAMESPACE) must not contain control characters, got "bad\\tnamespace"',
    ]);
    expect(problems({ STATEHOUSE_TOKENS: 'not json' })).toEqual([
      expect.stringContaining('must be JSON like'),
    ]);
    expect(problems({}, ['--grpc-port', '9000', '--http-port', '9000'])).toEqual([
      expect.stringContaining('give them different ports'),
    ]);
  });

  it("takes the gRPC address from the daemon's STATEHOUSE_ADDR; the flags win over it", () => {
    expect(loadConfig({ STATEHOUSE_ADDR: '127.0.0.1:6000' }, [])).toMatchObject({
      host: '127.0.0.1',
      grpcPort: 6000,
    });
    expect(
      loadConfig({ STATEHOUSE_ADDR: '[::1]:6000', STATEHOUSE_GRPC_PORT: '7000' }, []),
    ).toMatchObject({ host: '127.0.0.1', grpcHost: '::1', grpcPort: 6000 });
    expect(loadConfig({ STATEHOUSE_ADDR: ':6000', STATEHOUSE_HOST: '::1' }, [])).toMatchObject({
      host: '::1',
      grpcPort: 6000,
    });
    expect(
      loadConfig({ STATEHOUSE_ADDR: 'localhost:6000' }, ['--grpc-port', '7000', '--host', '::1']),
    ).toMatchObject({ host: '::1', grpcPort: 7000 });
    expect(loadConfig({ STATEHOUSE_ADDR: 'localhost:6000' }, []).grpcHost).toBe('localhost');
    // Exposing gRPC needs tokens as much as exposing HTTP does.
    expect(problems({ STATEHOUSE_ADDR: '0.0.0.0:50051' })).toEqual([
      expect.stringMatching(/^STATEHOUSE_ADDR 0\.0\.0\.0:50051 exposes the server/),
    ]);
    expect(problems({ STATEHOUSE_ADDR: '50051' })).toEqual([
      expect.stringContaining('STATEHOUSE_ADDR must be host:port'),
    ]);
  });

  it("reads the daemon's STATEHOUSE_DATA_DIR; --data-dir wins", () => {
    expect(loadConfig({ STATEHOUSE_DATA_DIR: '/var/lib/sh' }, []).dataDir).toBe('/var/lib/sh');
    expect(loadConfig({ STATEHOUSE_DATA_DIR: '/a' }, ['--data-dir', '/b']).dataDir).toBe('/b');
  });

  it('warns with the replacement of STATEHOUSE_USE_MEMORY and RUST_LOG', () => {
    expect(loadConfig({}, []).warnings).toEqual([]);
    expect(loadConfig({ STATEHOUSE_USE_MEMORY: 'true', RUST_LOG: 'info' }, []).warnings).toEqual([
      expect.stringContaining('no in-memory mode'),
      expect.stringContaining('set --log-level (STATEHOUSE_LOG_LEVEL)'),
    ]);
  });

  it('reads the port of the embedded redis-server, the idle timeout and --metrics-public', () => {
    expect(
      loadConfig({ STATEHOUSE_EMBEDDED_REDIS_PORT: '6400' }, [
        '--grpc-idle-timeout-ms',
        '60000',
        '--metrics-public',
      ]),
    ).toMatchObject({ embeddedRedisPort: 6400, grpcIdleTimeoutMs: 60000, metricsPublic: true });
    expect(loadConfig({}, [])).toMatchObject({ grpcIdleTimeoutMs: 300000, metricsPublic: false });
    expect(loadConfig({}, []).embeddedRedisPort).toBeUndefined();
    expect(problems({ REDIS_URL: 'redis://a:1' }, ['--embedded-redis-port', '6400'])).toEqual([
      expect.stringContaining('applies only to the embedded redis-server'),
    ]);
  });

  describe('TLS files', () => {
    let dir: string;
    const file = (name: string) => join(dir, name);
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'statehouse-config-tls-'));
      for (const name of ['a', 'b']) {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-nodes',
          ].concat([
            '-keyout',
            `${name}.key`,
            '-out',
            `${name}.pem`,
            '-days',
            '1',
            '-subj',
            `/CN=${name}`,
          ]),
          { cwd: dir, stdio: 'ignore' },
        );
      }
      writeFileSync(file('junk.pem'), 'not a certificate');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a certificate, its key and a client CA', () => {
      const { tls } = loadConfig(
        { STATEHOUSE_TLS_CERT: file('a.pem'), STATEHOUSE_TLS_KEY: file('a.key') },
        ['--tls-client-ca', file('b.pem')],
      );
      expect(tls).toMatchObject({ certFile: file('a.pem'), clientCaFile: file('b.pem') });
      expect(tls!.cert.toString()).toContain('BEGIN CERTIFICATE');
    });

    it('refuses one of certificate and key alone, unreadable or wrong files, and a mismatched key', () => {
      expect(problems({ STATEHOUSE_TLS_CERT: file('a.pem') })).toEqual([
        expect.stringContaining('--tls-cert is set without --tls-key'),
      ]);
      expect(problems({}, ['--tls-client-ca', file('b.pem')])).toEqual([
        expect.stringContaining('--tls-client-ca needs --tls-cert and --tls-key'),
      ]);
      expect(problems({}, ['--tls-cert', file('none.pem'), '--tls-key', file('a.key')])).toEqual([
        `--tls-cert ${file('none.pem')} cannot be read: ENOENT`,
      ]);
      expect(problems({}, ['--tls-cert', file('junk.pem'), '--tls-key', file('a.key')])).toEqual([
        expect.stringContaining(`--tls-cert ${file('junk.pem')} is not a PEM certificate`),
      ]);
      expect(problems({}, ['--tls-cert', file('a.pem'), '--tls-key', file('b.key')])).toEqual([
        `--tls-key ${file('b.key')} is not the private key of --tls-cert ${file('a.pem')}`,
      ]);
    });
  });
});
