// Throwaway Redis containers for tests, through Testcontainers' GenericContainer.
//
// The image is the `image` option, else $STATEHOUSE_REDIS_IMAGE, else the official `redis:7`.
// Redis runs with AOF on and `appendfsync always`, its data in /data inside the container, so a
// container that is SIGKILLed and started again comes back with every acknowledged write.
import net from 'node:net';
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';

export const REDIS_PORT = 6379;
export const DEFAULT_REDIS_IMAGE = 'redis:7';

export const REDIS_COMMAND = [
  'redis-server',
  '--protected-mode',
  'no',
  '--appendonly',
  'yes',
  '--appendfsync',
  'always',
  '--dir',
  '/data',
];

export interface RedisContainer {
  /** redis://host:port — stable across kill()/start() only when a fixed hostPort was requested. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly containerId: string;
  /** Stops and removes the container (and its data). */
  stop(): Promise<void>;
  /** SIGKILLs the container (a crash: no shutdown, no final fsync); its filesystem is kept. */
  kill(): Promise<void>;
  /** Starts the killed container again and waits until Redis has loaded its AOF and answers. */
  start(): Promise<void>;
}

/** A TCP port that is free on all interfaces right now (for a fixed host port binding). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '0.0.0.0', exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

export interface StatehouseRedisOptions {
  /** The image: default $STATEHOUSE_REDIS_IMAGE, else the official `redis:7`. */
  readonly image?: string;
  /** A fixed host port (so the URL survives kill()/start()); default: any free one. */
  readonly hostPort?: number;
  /** Labels on the container (e.g. to find leftovers). */
  readonly labels?: Record<string, string>;
}

/** No Docker (or other container runtime) answers: says what to do instead. */
export class ContainerRuntimeUnavailableError extends Error {
  override readonly name = 'ContainerRuntimeUnavailableError';

  constructor(cause: unknown) {
    super(
      'No container runtime is reachable, so no Redis container can be started. Start Docker ' +
        '(or another runtime Testcontainers supports), or run against a Redis you have: set ' +
        'REDIS_URL=redis://127.0.0.1:6379 and skip startStatehouseRedis().',
      { cause },
    );
  }
}

/**
 * Starts Redis in a container for a test run: AOF on (`appendfsync always`), returning its URL and
 * `stop()` (plus `kill()` / `start()` to crash and restart it).
 */
export async function startStatehouseRedis(
  opts: StatehouseRedisOptions = {},
): Promise<RedisContainer> {
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    throw new ContainerRuntimeUnavailableError(error);
  }
  const image = opts.image ?? process.env.STATEHOUSE_REDIS_IMAGE ?? DEFAULT_REDIS_IMAGE;
  const started = await new GenericContainer(image)
    .withCommand(REDIS_COMMAND)
    .withExposedPorts(opts.hostPort ? { container: REDIS_PORT, host: opts.hostPort } : REDIS_PORT)
    .withLabels(opts.labels ?? {})
    // The local image is FROM scratch (no shell), so the default listening-ports strategy, which
    // execs /bin/sh in the container, cannot be used. 7.0 logs "Ready to accept connections",
    // 7.2+ "Ready to accept connections tcp".
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(30_000)
    .start();

  const client = await getContainerRuntimeClient();
  const docker = client.container.dockerode.getContainer(started.getId());
  // testcontainers reports "localhost"; use the IPv4 loopback so clients don't try ::1 first.
  const reportedHost = started.getHost();
  const host = reportedHost === 'localhost' ? '127.0.0.1' : reportedHost;
  let port = started.getMappedPort(REDIS_PORT);
  await waitForRedis(host, port, 30_000);

  return {
    get url() {
      return `redis://${host}:${port}`;
    },
    host,
    get port() {
      return port;
    },
    containerId: started.getId(),
    async stop() {
      await started.stop();
    },
    async kill() {
      await docker.kill({ signal: 'SIGKILL' });
      await docker.wait(); // returns once the container is no longer running
    },
    async start() {
      await docker.start();
      // Without a fixed host port Docker may hand out a new one on every start.
      const inspect = await docker.inspect();
      const binding = inspect.NetworkSettings.Ports[`${REDIS_PORT}/tcp`]?.[0]?.HostPort;
      if (binding) port = Number(binding);
      await waitForRedis(host, port, 30_000);
    },
  };
}

/**
 * Waits until Redis on host:port answers INFO with `loading:0` (AOF replayed). A bare TCP connect is
 * not enough: Docker's port proxy accepts connections before the container listens.
 */
export async function waitForRedis(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    last = await probe(host, port).catch((err: Error) => err.message);
    if (last === 'ready') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Redis at ${host}:${port} not ready after ${timeoutMs}ms (last probe: ${last})`);
}

/** True when Redis on host:port answers INFO right now (one attempt, at most ~1s). */
export async function redisAnswers(host: string, port: number): Promise<boolean> {
  return probe(host, port).then(
    () => true,
    () => false,
  );
}

function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = '';
    // Settle through these two rather than `instanceof Error`: errors from node:net come from another
    // realm than the test sandbox's Error.
    const succeed = (state: string) => {
      socket.destroy();
      resolve(state);
    };
    const fail = (reason: string) => {
      socket.destroy();
      reject(new Error(reason));
    };
    socket.setTimeout(1_000, () => fail('timeout'));
    socket.on('error', (err) => fail(err.message));
    socket.on('close', () => fail(`connection closed (${JSON.stringify(reply.slice(0, 80))})`));
    socket.on('connect', () => socket.write('INFO persistence\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.startsWith('-')) return fail(reply.trim());
      const loading = /\r\nloading:(\d)/.exec(reply);
      if (loading) succeed(loading[1] === '0' ? 'ready' : 'loading');
    });
  });
}
