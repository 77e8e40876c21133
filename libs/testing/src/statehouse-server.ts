import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to start a Statehouse server for a test. */
export interface StatehouseServerOptions {
  /**
   * The Redis the server uses (`--redis-url`). Without one, and unless `args` or `env` name a
   * Redis or a data directory (`--redis-url`, `REDIS_URL`, `--data-dir`, ...), the server starts
   * its own redis-server (Debian's `redis-server` must be installed) with its data in a temporary
   * directory, removed once the server exits.
   */
  readonly redisUrl?: string;
  /** More flags, e.g. `['--tokens', '{"t": ["*"]}']` (see `--help`). Ports are always free ones. */
  readonly args?: readonly string[];
  /** The environment of the server process. Default: this process' environment. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The server's entry point. Default: `@statehouse/server`'s `dist/main.js` (build it first, or
   * install the package).
   */
  readonly entry?: string;
  /** How long to wait for the server to be ready. Default 30000. */
  readonly startTimeoutMs?: number;
}

/** A server process on free ports. */
export interface StatehouseServer extends AsyncDisposable {
  /** gRPC address `127.0.0.1:<port>`: `StatehouseClient.connect({ url })` and the Python SDK. */
  readonly url: string;
  /** HTTP API base, `http://127.0.0.1:<port>`. */
  readonly httpUrl: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** The process, to signal it (SIGKILL to crash it, SIGTERM to shut it down). */
  readonly child: ChildProcess;
  /** Every JSON log line the server wrote so far. */
  readonly lines: ReadonlyArray<Record<string, unknown>>;
  /** Resolves to the exit code (null after a signal) when the process exits. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (if still running), then waits for the exit; its exit code. */
  stop(): Promise<number | null>;
}

/** Thrown when the server exits or stays silent instead of becoming ready. */
export class StatehouseServerStartError extends Error {
  override readonly name = 'StatehouseServerStartError';
}

/** Flags and variables that choose the server's Redis or its data directory. */
const STORAGE_FLAGS = ['--redis-url', '--redis-cluster-nodes', '--data-dir'];
const STORAGE_VARIABLES = [
  'STATEHOUSE_REDIS_URL',
  'REDIS_URL',
  'STATEHOUSE_REDIS_CLUSTER_NODES',
  'STATEHOUSE_DATA_DIR',
];

function defaultEntry(): string {
  try {
    return require.resolve('@statehouse/server/dist/main.js');
  } catch (error) {
    throw new StatehouseServerStartError(
      'startStatehouseServer could not find the Statehouse server (@statehouse/server, ' +
        'dist/main.js). Build it (`npm run build`), or pass `entry` with the path of its main.js.',
      { cause: error },
    );
  }
}

/**
 * Starts `node <server>/dist/main.js` on free ports and resolves once it logged
 * "statehouse server ready" (its JSON log on stdout). Rejects with StatehouseServerStartError,
 * naming the server's own error output, when it exits first or does not start in time.
 */
export async function startStatehouseServer(
  options: StatehouseServerOptions = {},
): Promise<StatehouseServer> {
  const entry = options.entry ?? defaultEntry();
  const env = options.env ?? process.env;
  const configured =
    options.redisUrl !== undefined ||
    (options.args ?? []).some((arg) => STORAGE_FLAGS.includes(arg.split('=')[0]!)) ||
    STORAGE_VARIABLES.some((variable) => env[variable]);
  const dataDir = configured ? undefined : mkdtempSync(join(tmpdir(), 'statehouse-server-'));
  const args = [
    entry,
    '--grpc-port',
    '0',
    '--http-port',
    '0',
    ...(options.redisUrl !== undefined ? ['--redis-url', options.redisUrl] : []),
    ...(dataDir ? ['--data-dir', dataDir] : []),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => dataDir && rmSync(dataDir, { recursive: true, force: true }));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  return new Promise<StatehouseServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new StatehouseServerStartError(
          `The Statehouse server was not ready within ${timeoutMs} ms: ${output || 'no output'}`,
        ),
      );
      void stop();
    }, timeoutMs);
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          output += `${text}\n`;
          continue;
        }
        lines.push(line);
        if (line.msg !== 'statehouse server ready') continue;
        clearTimeout(timer);
        const grpcPort = line.grpcPort as number;
        const httpPort = line.httpPort as number;
        const host = reachable(typeof line.host === 'string' ? line.host : '127.0.0.1');
        resolve({
          url: `${host}:${grpcPort}`,
          httpUrl: `http://${host}:${httpPort}`,
          grpcPort,
          httpPort,
          child,
          lines,
          exited,
          stop,
          [Symbol.asyncDispose]: async () => void (await stop()),
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const said = lines.map((l) => JSON.stringify(l)).join('\n');
      reject(
        new StatehouseServerStartError(
          `The Statehouse server exited with code ${code} before it was ready:\n${output}${said}`,
        ),
      );
    });
  });
}

/** The address to connect to for a listen address (any-address binds are reached on loopback). */
function reachable(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
