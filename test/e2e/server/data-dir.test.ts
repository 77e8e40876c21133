import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, LOCK_FILE } from '@statehouse/core';
import {
  startServerProcess,
  withoutRedisUrl,
  type ServerProcess,
} from '../../support/server-process';
import { SERVER_VERSION } from '../../../apps/server/src/version';

// The server as users run it, with its embedded redis-server: one server per data directory,
// the official daemon's variables, --version, and where its Redis is.

const MAIN = join(__dirname, '..', '..', '..', 'apps', 'server', 'dist', 'main.js');

/** Runs main.js to its exit. */
function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The redis-server processes working in `dir` (a redis-server changes into its --dir). */
function redisServersOn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis-server') &&
          readlinkSync(`/proc/${pid}/cwd`) === dir
        );
      } catch {
        return false; // gone, or not ours to inspect
      }
    })
    .map(Number);
}

/** Names, sizes and modification times of the AOF files. */
function aofState(dir: string): string {
  const aof = join(dir, 'appendonlydir');
  return readdirSync(aof)
    .sort()
    .map((name) => {
      const stat = statSync(join(aof, name));
      return `${name}:${stat.size}:${stat.mtimeMs}`;
    })
    .join(',');
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
}

describe('the data directory', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'statehouse-lock-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a second server on it refuses to start, naming the first, and starts no redis-server', async () => {
    const redisPort = await freePort();
    const first = await startServerProcess(
      ['--data-dir', dataDir, '--embedded-redis-port', String(redisPort)],
      withoutRedisUrl(),
    );
    try {
      // The ready line says where its Redis is.
      expect(first.lines.find((l) => l.msg === 'statehouse server ready')).toMatchObject({
        redis: `redis://127.0.0.1:${redisPort}`,
      });
      expect(redisServersOn(dataDir)).toHaveLength(1);
      const aofBefore = aofState(dataDir);

      const second = await run(
        ['--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0'],
        withoutRedisUrl(),
      );
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(
        `The data directory ${dataDir} is in use: process ${first.child.pid}`,
      );
      expect(second.stderr).toContain(`grpcPort ${first.grpcPort}`);
      expect(second.stderr).toContain(`httpPort ${first.httpPort}`);
      expect(second.stderr).toContain('--data-dir');
      expect(second.stdout).not.toContain('started an embedded redis-server');
      expect(redisServersOn(dataDir)).toHaveLength(1);
      expect(aofState(dataDir)).toBe(aofBefore);
    } finally {
      await stop(first);
    }
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false); // released on shutdown
  }, 60_000);

  it('refuses it while the redis-server of a server killed with SIGKILL still runs on it', async () => {
    const first = await startServerProcess(['--data-dir', dataDir], withoutRedisUrl());
    const [orphan] = redisServersOn(dataDir);
    first.child.kill('SIGKILL'); // no shutdown: its redis-server lives on
    await first.exited;
    try {
      expect(redisServersOn(dataDir)).toEqual([orphan]);
      const second = await run(
        ['--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0'],
        withoutRedisUrl(),
      );
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`the redis-server (pid ${orphan}, port`);
      expect(second.stderr).toContain(`that process ${first.child.pid} started on it still runs`);
      expect(redisServersOn(dataDir)).toEqual([orphan]);
    } finally {
      process.kill(orphan!, 'SIGTERM');
    }
  }, 60_000);

  it('takes over the lock of a server that died, saying so', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(dead.stdout);
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: deadPid, grpcPort: 1 }));
    const server = await startServerProcess(['--data-dir', dataDir], withoutRedisUrl());
    try {
      expect(server.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: 'took over the stale lock of the data directory',
          stale: expect.objectContaining({ pid: deadPid }),
        }),
      );
    } finally {
      await stop(server);
    }
  }, 60_000);
});

describe('the command line', () => {
  it('--version prints the name and the version the Version RPC reports', async () => {
    const result = await run(['--version'], process.env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      `statehouse-server ${SERVER_VERSION.version} (${SERVER_VERSION.gitSha})\n`,
    );
  });

  it("warns with the replacement of the official daemon's STATEHOUSE_USE_MEMORY and RUST_LOG", async () => {
    const server = await startServerProcess([], {
      ...process.env,
      STATEHOUSE_USE_MEMORY: 'true',
      RUST_LOG: 'debug',
    });
    try {
      const warnings = server.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^STATEHOUSE_USE_MEMORY is ignored: .*--redis-url/),
          expect.stringMatching(/^RUST_LOG is ignored: set --log-level \(STATEHOUSE_LOG_LEVEL\)/),
        ]),
      );
    } finally {
      await stop(server);
    }
  }, 60_000);
});
