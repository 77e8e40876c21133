import { StatehouseClient } from '@statehouse/client';
import { followerGauge } from '../../../apps/server/test/support/followers';
import {
  ndjson,
  runCli,
  spawnCli,
  waitForOutput,
  cliEnv,
  type CliResult,
} from '../../support/cli-process';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// statehousectl tail (with -f: live) and tx describe / abort, as processes against a server process.

let server: ServerProcess;
let client: StatehouseClient;
const namespace = `cli-tail-${Date.now()}`;

function cliArgs(...args: string[]): string[] {
  return ['--address', server.url, '--namespace', namespace, ...args];
}
function cli(...args: string[]): Promise<CliResult> {
  return runCli(cliArgs(...args));
}
function write(agentId: string, key: string, value: object): Promise<number> {
  return client
    .transaction(async (tx) => tx.write({ agentId, key, value }))
    .then(() => client.lastCommitTs());
}

/** Polls `read` until it returns `expected` (a generous deadline: a loaded machine is slow). */
async function eventually<T>(
  read: () => Promise<T>,
  expected: T,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected) || Date.now() > deadline) {
      expect(value).toEqual(expected);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  server = await startServerProcess();
  client = await StatehouseClient.connect({ url: server.url, namespace });
}, 60_000);

afterAll(async () => {
  await client.close();
  await server.stop();
});

describe('tail', () => {
  it('shows the last N commits of the agent (-n, default 10), oldest first', async () => {
    const agent = 'tail-n';
    const ts: number[] = [];
    for (let i = 1; i <= 12; i++) ts.push(await write(agent, `k${i}`, { i }));
    await write('someone-else', 'k', { x: 1 });
    const three = ndjson((await cli('tail', agent, '-n', '3', '--json')).stdout);
    expect(three.map((e) => e.commitTs)).toEqual(ts.slice(-3));
    expect(three[2]).toMatchObject({ operations: [{ key: 'k12', value: { i: 12 }, version: 1 }] });
    const human = await cli('tail', agent);
    expect(human.code).toBe(0);
    expect(human.stdout.match(/^commitTs \d+/gm)).toEqual(
      ts.slice(-10).map((t) => `commitTs ${t}`),
    );
    expect(human.stdout).toMatch(/^ {2}write\s+k12\s+v1\s+\{"i":12\}$/m);
  });

  it('-f shows a commit made after it started, and Ctrl-C exits 0 and closes the stream', async () => {
    const agent = 'tail-follow';
    const before = await write(agent, 'old', { n: 0 });
    const child = spawnCli(cliArgs('tail', agent, '-f', '--json'));
    try {
      // The history first (the commit made before), then the follow is open on the server.
      await waitForOutput(child, (o) => o.stdout.includes(`"commitTs":${before}`));
      await eventually(async () => (await followerGauge(server.httpUrl)).grpc ?? 0, 1);
      const live = await write(agent, 'new', { n: 1 });
      await write('someone-else', 'k', { n: 2 });
      await waitForOutput(child, (o) => o.stdout.includes(`"commitTs":${live}`));
      child.kill('SIGINT');
      const result = await child.exited;
      expect(result.code).toBe(0);
      expect(ndjson(result.stdout).map((e) => e.commitTs)).toEqual([before, live]);
      expect(result.stderr).toBe('');
      // The server saw the stream closed: no follower left open.
      await eventually(async () => (await followerGauge(server.httpUrl)).grpc ?? 0, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('-f in human form prints each new commit as it comes', async () => {
    const agent = 'tail-human';
    const child = spawnCli(cliArgs('tail', agent, '--follow'));
    try {
      await eventually(async () => (await followerGauge(server.httpUrl)).grpc ?? 0, 1);
      const live = await write(agent, 'note', { text: 'hello' });
      await waitForOutput(child, (o) => o.stdout.includes('hello'));
      child.kill('SIGINT');
      const result = await child.exited;
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^commitTs ${live}  tx ${namespace}~`, 'm'));
      expect(result.stdout).toMatch(/^ {2}write\s+note\s+v1\s+\{"text":"hello"\}$/m);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('-n that is not a number exits 2 with the usage of tail', async () => {
    const result = await cli('tail', 'a', '-n', 'many');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: statehousectl tail [options] <AGENT>');
  });
});

describe('tx', () => {
  it('describe shows an open transaction; --json is its description', async () => {
    const tx = await client.beginTransaction({ timeoutMs: 60_000 });
    await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    const human = await cli('tx', 'describe', tx.id);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^id\\s+${tx.id}$`, 'm'));
    expect(human.stdout).toMatch(/^state\s+open$/m);
    const json = JSON.parse((await cli('--json', 'tx', 'describe', tx.id)).stdout);
    expect(json).toMatchObject({ id: tx.id, namespace, state: 'open', commitTs: null });
    const commitTs = await tx.commit();
    const committed = JSON.parse((await cli('tx', 'describe', tx.id, '--json')).stdout);
    expect(committed).toMatchObject({ state: 'committed', commitTs });
  });

  it('abort discards an open transaction; again is a no-op; a committed one is exit 1', async () => {
    const tx = await client.beginTransaction({ timeoutMs: 60_000 });
    await tx.write({ agentId: 'a', key: 'aborted', value: { v: 1 } });
    const result = await cli('tx', 'abort', tx.id);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^state\s+aborted$/m);
    expect((await client.describeTransaction(tx.id)).state).toBe('aborted');
    await expect(tx.commit()).rejects.toThrow('Transaction already aborted');
    expect((await client.getState({ agentId: 'a', key: 'aborted' })).exists).toBe(false);

    const again = await cli('tx', 'abort', tx.id, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: tx.id, state: 'aborted' });

    const done = await client.beginTransaction();
    await done.write({ agentId: 'a', key: 'kept', value: { v: 1 } });
    await done.commit();
    const refused = await cli('tx', 'abort', done.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot be aborted');
    expect((await client.getState({ agentId: 'a', key: 'kept' })).exists).toBe(true);
  });

  it('an unknown transaction exits 3, for describe and abort', async () => {
    const id = `${namespace}~00000000-0000-4000-8000-000000000000`;
    for (const command of ['describe', 'abort']) {
      const result = await cli('tx', command, id);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('Transaction not found');
    }
    const json = await runCli(cliArgs('tx', 'describe', id, '--json'), cliEnv());
    expect(JSON.parse(json.stderr)).toMatchObject({
      error: { code: 'TRANSACTION_NOT_FOUND', exitCode: 3 },
    });
  });
});
