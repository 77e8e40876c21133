// A private PostgreSQL cluster for the peers scenario: initdb in a temp dir, started with pg_ctl
// on a free port, durable like the bench's Redis (fsync = on, synchronous_commit = on: a commit
// returns after its WAL record is flushed). As root, it runs as the `postgres` user (PostgreSQL
// refuses root) and the temp dir is chowned to it. Its Unix socket stays in the temp dir.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@statehouse/core';
import { processCpuMs } from '../stats';

export class LocalPostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    private readonly runAs: SpawnSyncOptions,
    readonly port: number,
    readonly version: string,
  ) {}

  readonly host = '127.0.0.1';
  readonly user = 'postgres';
  readonly database = 'postgres';

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  static async start(bin: string): Promise<LocalPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'statehouse-bench-pg-'));
    const runAs: SpawnSyncOptions = { cwd: dir, timeout: 60_000, encoding: 'utf8' };
    try {
      if (process.getuid?.() === 0) {
        const uid = Number(idOf('-u'));
        const gid = Number(idOf('-g'));
        chownSync(dir, uid, gid);
        Object.assign(runAs, { uid, gid, env: { ...process.env, HOME: dir, USER: 'postgres' } });
      }
      const port = await freePort();
      const version = capture(join(bin, 'postgres'), ['--version'], runAs).trim();
      const pg = new LocalPostgres(bin, dir, runAs, port, version);
      pg.run('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
      appendFileSync(
        join(pg.dataDir, 'postgresql.conf'),
        [
          `port = ${port}`,
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${dir}'`,
          'fsync = on',
          'synchronous_commit = on',
          'max_connections = 200',
          '',
        ].join('\n'),
      );
      pg.run('pg_ctl', [
        '-D',
        pg.dataDir,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        'start',
      ]);
      return pg;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The postmaster's pid (first line of postmaster.pid). */
  get pid(): number {
    return Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** CPU (user+system) of the postmaster and all its children (backends, WAL writer…), ms. */
  cpuMs(): number {
    const root = this.pid;
    let total = processCpuMs(root);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === root) total += processCpuMs(Number(entry));
      } catch {
        // the process ended in between
      }
    }
    return total;
  }

  /** Stops the server (fast shutdown) and removes its files. */
  stop(): void {
    try {
      this.run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
    } catch {
      try {
        process.kill(this.pid, 'SIGQUIT'); // immediate shutdown
      } catch {
        // already gone
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private run(tool: string, args: string[]): void {
    capture(join(this.bin, tool), args, this.runAs);
  }
}

function idOf(flag: '-u' | '-g'): string {
  return capture('id', [flag, 'postgres'], {}).trim();
}

function capture(command: string, args: string[], options: SpawnSyncOptions): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): ` +
        `${String(result.stderr ?? '')
          .trim()
          .slice(-500)}`,
    );
  return String(result.stdout ?? '');
}
