// A private single-member etcd for the peers scenario: a temp data dir, free client and peer
// ports. etcd fsyncs its WAL before it acknowledges a write (there is no switch that turns this
// on; --unsafe-no-fsync would turn it off), so it is durable like the bench's Redis.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@statehouse/core';
import { sleep } from '../stats';

const START_TIMEOUT_MS = 30_000;

export class LocalEtcd {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly clientUrl: string,
    readonly version: string,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(binary: string): Promise<LocalEtcd> {
    const version = /etcd Version: (\S+)/.exec(
      spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '',
    )?.[1];
    const dir = mkdtempSync(join(tmpdir(), 'statehouse-bench-etcd-'));
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const child = spawn(
      binary,
      [
        '--name=bench',
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=bench=${peerUrl}`,
        '--logger=zap',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)),
    );
    const etcd = new LocalEtcd(child, dir, clientUrl, version ?? '?');
    const until = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < until && child.exitCode === null) {
      try {
        const health = (await (await fetch(`${clientUrl}/health`)).json()) as { health?: string };
        if (health.health === 'true') return etcd;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await etcd.stop();
    throw new Error(`etcd did not become healthy (exit ${child.exitCode ?? 'none'}): ${stderr}`);
  }

  /** At once (on a signal): SIGKILL and remove the files. */
  kill(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    try {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const exited = new Promise((done) => this.child.once('exit', done));
        this.child.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000)]);
        if (this.child.exitCode === null) this.child.kill('SIGKILL');
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
