import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { Statehouse, VersionCompactedError } from '@statehouse/core';
import { startRestartableRedis, type RestartableRedis } from './support/restartable-redis';
import { closeClients, collect, connectClient, redisUrl, sleep } from './support/statehouse';

// Compaction cut short (issue 16, item 2): a worker process killed with SIGKILL mid-pass, and Redis
// killed with SIGKILL mid-pass, each leave a consistent namespace, and the next run finishes the
// work. Every step of a pass is one atomic script call, so a kill can only fall between two steps.

const CHILD = join(__dirname, 'fixtures', 'compact.child.js');
const KEYS = 40;
const COMMITS = 1500;

afterAll(closeClients);

/** COMMITS one-write commits over KEYS keys of agent 'h'; returns each key's writes in order. */
async function fillHistory(client: Statehouse): Promise<Map<string, number[]>> {
  const byKey = new Map<string, number[]>();
  let next = 0;
  const worker = async () => {
    while (next < COMMITS) {
      const i = next++;
      const key = `k${i % KEYS}`;
      const tx = await client.beginTransaction({ buffered: true });
      await tx.write({ agentId: 'h', key, value: { i } });
      const commitTs = await tx.commit();
      const list = byKey.get(key) ?? [];
      list.push(commitTs);
      byKey.set(key, list);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  for (const list of byKey.values()) list.sort((a, b) => a - b);
  return byKey;
}

/**
 * The namespace as compaction must leave it at any point: each record's remaining versions are
 * contiguous up to its latest, each readable with its own commitTs; reads as of the horizon and
 * the replay from it agree with what was committed.
 */
async function expectConsistent(client: Statehouse, byKey: Map<string, number[]>): Promise<void> {
  const { compactedTs } = await client.getRetention();
  const checkKey = async ([key, stamps]: [string, number[]]) => {
    const latest = stamps.length;
    expect(await client.getState({ agentId: 'h', key })).toMatchObject({
      version: latest,
      commitTs: stamps[latest - 1],
    });
    let readable = 0;
    for (let v = latest; v >= 1; v--) {
      try {
        const got = await client.getStateAtVersion({ agentId: 'h', key, version: v });
        expect(got.commitTs).toBe(stamps[v - 1]);
        expect(readable).toBe(latest - v); // no hole above a readable version
        readable += 1;
      } catch (error) {
        expect(error).toBeInstanceOf(VersionCompactedError);
        // Every version removed was followed by one committed at or before the horizon.
        expect(stamps[v]!).toBeLessThanOrEqual(compactedTs);
      }
    }
    expect(readable).toBeGreaterThanOrEqual(1);
  };
  await Promise.all([...byKey].map(checkKey));
  const events = await collect(client.replay({ agentId: 'h', startTs: Math.max(1, compactedTs) }));
  const want = [...byKey.values()]
    .flat()
    .filter((ts) => ts >= compactedTs)
    .sort((a, b) => a - b);
  expect(events.map((e) => e.commitTs)).toEqual(want);
}

/**
 * A TCP proxy to Redis that holds each request `delayMs` before passing it on: the compacting
 * process's steps then take long enough that it is surely killed half-way, on a fast machine too.
 * `hold()` stops passing requests on at all: what the process sends from then on never arrives,
 * so its pass stops where it is, however long the kill that follows takes.
 */
async function slowProxy(redisUrl: string, delayMs: number) {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  let held = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) =>
      setTimeout(() => {
        if (!held) upstream.write(chunk);
      }, delayMs),
    );
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('close', end).on('error', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: (): void => {
      held = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    },
  };
}

/** Polls `check` until true; fails if `child` exits meanwhile or after 60 s. */
async function until(check: () => Promise<boolean>, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the compacting process exited first (code ${child.exitCode})`);
    }
    if (Date.now() > deadline) throw new Error('the compacting process removed nothing in 60 s');
    await sleep(1);
  }
}

async function expectFullyCompacted(client: Statehouse, byKey: Map<string, number[]>) {
  const info = await client.getRetention();
  expect(info.removed.versions).toBe(COMMITS - KEYS);
  expect(info.removed.logEntries).toBe(COMMITS - KEYS);
  for (const [key, stamps] of byKey) {
    expect(
      await client.getStateAtVersion({ agentId: 'h', key, version: stamps.length }),
    ).toMatchObject({ commitTs: stamps.at(-1) });
    if (stamps.length > 1) {
      await expect(
        client.getStateAtVersion({ agentId: 'h', key, version: stamps.length - 1 }),
      ).rejects.toBeInstanceOf(VersionCompactedError);
    }
  }
}

it('a compaction process killed with SIGKILL mid-pass leaves the namespace consistent; the next run finishes', async () => {
  // A queue of its own: no other process's worker runs the namespace's scheduled compaction.
  const client = await connectClient({
    timeoutWorker: false,
    queuePrefix: `{compaction-crash-${process.pid}}`,
  });
  await client.setRetention({ maxVersionsPerKey: 1 });
  const byKey = await fillHistory(client);

  const proxy = await slowProxy(redisUrl(), 5);
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, REDIS_URL: proxy.url, STATEHOUSE_NAMESPACE: client.namespace },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((done) =>
    child.once('exit', (_code, signal) => done(signal)),
  );
  await new Promise<void>((done, fail) => {
    createInterface({ input: child.stdout }).once('line', () => done());
    child.once('exit', (code) => fail(new Error(`child exited early with code ${code}`)));
  });
  // Kill it as soon as it has removed something (its requests held from then on).
  await until(async () => (await client.getRetention()).removed.versions > 0, child);
  proxy.hold();
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  await proxy.close();

  const partial = (await client.getRetention()).removed.versions;
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(COMMITS - KEYS); // it was cut short
  await expectConsistent(client, byKey);

  await client.compact();
  await expectFullyCompacted(client, byKey);
  await expectConsistent(client, byKey);
}, 240_000);

describe('Redis killed with SIGKILL mid-pass', () => {
  let redis: RestartableRedis;

  beforeAll(async () => {
    redis = await startRestartableRedis();
  });

  afterAll(async () => {
    await closeClients();
    await redis?.stop();
  });

  it('loses no acknowledged step, leaves the namespace consistent, and the next run finishes', async () => {
    const client = await connectClient({ redis: redis.url, timeoutWorker: false });
    await client.setRetention({ maxVersionsPerKey: 1 });
    const byKey = await fillHistory(client);

    const watcher = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    watcher.on('error', () => undefined);
    // The pass runs in a process of its own through the delaying proxy, so that it is surely
    // cut half-way by the kill; it prints its result if it finishes.
    const proxy = await slowProxy(redis.url, 5);
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, REDIS_URL: proxy.url, STATEHOUSE_NAMESPACE: client.namespace },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const printed: string[] = [];
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => printed.push(line));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await new Promise<void>((done, fail) => {
      lines.once('line', () => done());
      child.once('exit', (code) => fail(new Error(`child exited early with code ${code}`)));
    });
    const retentionKey = `sh:{${client.namespace}}:retention`;
    await until(async () => Number(await watcher.hget(retentionKey, 'versionsRemoved')) > 0, child);
    proxy.hold(); // no step more reaches Redis, however long the kill takes (a container's: ~0.5 s)
    watcher.disconnect(); // while its socket is live (on a dead one ioredis arms a 2 s timer)
    await redis.kill();
    await proxy.close(); // its reconnections are refused, as Redis's would be
    // The pass cannot go on: its step fails, or (a step in flight when the connection died)
    // waits to be sent again to a Redis that never comes back on that address. Either way it
    // never finishes; a process left waiting is killed, as an operator would.
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<'waiting'>((done) => (timer = setTimeout(done, 3_000, 'waiting'))),
    ]);
    clearTimeout(timer);
    if (code === 'waiting') child.kill('SIGKILL');
    await exited;
    expect(printed).toEqual(['started']); // no result: the pass was cut by the kill
    await redis.start();

    const after = await Statehouse.connect({
      redis: redis.url,
      namespace: client.namespace,
      timeoutWorker: false,
    });
    try {
      const partial = (await after.getRetention()).removed.versions;
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(COMMITS - KEYS);
      await expectConsistent(after, byKey);
      await after.compact();
      await expectFullyCompacted(after, byKey);
      await expectConsistent(after, byKey);
    } finally {
      await after.close();
    }
  }, 240_000);
});
