import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StatehouseClient } from '@statehouse/client';
import { runCli, ndjson, type CliResult } from '../../support/cli-process';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// statehousectl's read commands, run as a process against a server process on the test Redis:
// what they print for people, what --json prints, and their exit codes.

let server: ServerProcess;
let client: StatehouseClient;
let address: string;
const namespace = `cli-reads-${Date.now()}`;
/** commitTs of each seeded commit, in order. */
const ts: number[] = [];

function cli(...args: string[]): Promise<CliResult> {
  return runCli(['--address', address, '--namespace', namespace, ...args]);
}

beforeAll(async () => {
  server = await startServerProcess();
  address = `127.0.0.1:${server.grpcPort}`;
  client = await StatehouseClient.connect({ url: address, namespace });
  const commit = async (
    ops: (tx: Awaited<ReturnType<typeof client.beginTransaction>>) => Promise<void>,
  ) => {
    const tx = await client.beginTransaction();
    await ops(tx);
    ts.push(await tx.commit());
  };
  await commit(async (tx) => {
    await tx.write({ agentId: 'agent-1', key: 'memory', value: { fact: 'blue', n: 1 } });
    await tx.write({ agentId: 'agent-1', key: 'step:1', value: { ok: true } });
    await tx.write({ agentId: 'other', key: 'memory', value: { other: true } });
  });
  await commit((tx) =>
    tx.write({ agentId: 'agent-1', key: 'memory', value: { fact: 'grey', n: 2 } }),
  );
  await commit(async (tx) => {
    await tx.delete({ agentId: 'agent-1', key: 'step:1' });
    await tx.write({ agentId: 'agent-1', key: 'plan', value: { steps: ['a', 'b'] } });
  });
  await commit((tx) =>
    tx.write({ agentId: 'agent-1', key: 'step:2', value: { big: 12345678901 } }),
  );
}, 60_000);

afterAll(async () => {
  await client.close();
  await server.stop();
});

describe('health and version', () => {
  it('health says the server is serving, exit 0; --json as one document', async () => {
    const human = await cli('health');
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toMatch(/^ok\s+SERVING\s/);
    expect(human.stdout).toContain(address);
    const json = await cli('--json', 'health');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      address,
      status: 'ok',
      serving: true,
      grpcHealth: 'SERVING',
    });
  });

  it("version prints statehousectl's version and the server's", async () => {
    const serverVersion = (
      JSON.parse(readFileSync(join(__dirname, '../../../apps/server/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const cliVersion = (
      JSON.parse(readFileSync(join(__dirname, '../../../apps/cli/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const human = await cli('version');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`client\\s+statehousectl ${cliVersion}`));
    expect(human.stdout).toMatch(
      new RegExp(`server\\s+${serverVersion} \\(git \\w+\\) at ${address}`),
    );
    const json = JSON.parse((await cli('version', '--json')).stdout) as {
      client: unknown;
      server: { gitSha: unknown };
    };
    expect(json.client).toEqual({ version: cliVersion });
    expect(json.server).toMatchObject({ address, version: serverVersion });
    expect(typeof json.server.gitSha).toBe('string');
  });
});

describe('get', () => {
  it('prints the value as pretty JSON under its version and commitTs', async () => {
    const result = await cli('get', 'agent-1', 'memory');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/version\s+2\ncommitTs\s+\d+\n/);
    expect(result.stdout).toContain(`commitTs  ${ts[1]}`);
    expect(result.stdout).toContain('{\n  "fact": "grey",\n  "n": 2\n}');
    // Not a terminal: no colour codes.
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('--json is one document with the record, integers kept as integers', async () => {
    const result = await cli('get', 'agent-1', 'step:2', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      namespace,
      agentId: 'agent-1',
      key: 'step:2',
      exists: true,
      value: { big: 12345678901 },
      version: 1,
      commitTs: ts[3],
    });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('--version N and --at-ts T read the past', async () => {
    const v1 = JSON.parse(
      (await cli('get', 'agent-1', 'memory', '--version', '1', '--json')).stdout,
    );
    expect(v1).toMatchObject({
      exists: true,
      value: { fact: 'blue', n: 1 },
      version: 1,
      commitTs: ts[0],
    });
    const atFirst = JSON.parse(
      (await cli('--json', 'get', 'agent-1', 'memory', '--at-ts', String(ts[0]))).stdout,
    );
    expect(atFirst).toMatchObject({ value: { fact: 'blue', n: 1 }, version: 1 });
    const deletedThen = await cli('get', 'agent-1', 'step:1', '--at-ts', String(ts[1]));
    expect(deletedThen.code).toBe(0);
    expect(deletedThen.stdout).toContain('"ok": true');
  });

  it('a deleted or never-written record exits 3 saying which; --json still prints the document', async () => {
    const deleted = await cli('get', 'agent-1', 'step:1');
    expect(deleted.code).toBe(3);
    expect(deleted.stdout).toBe('');
    expect(deleted.stderr).toContain(`deleted: version 2, commitTs ${ts[2]}`);
    const never = await cli('get', 'agent-1', 'nope');
    expect(never.code).toBe(3);
    expect(never.stderr).toContain('never written');
    expect(never.stderr).toContain('statehousectl keys agent-1');
    const json = await cli('get', 'agent-1', 'nope', '--json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ exists: false, value: null, version: 0 });
  });

  it('a version that never existed exits 3', async () => {
    const result = await cli('get', 'agent-1', 'memory', '--version', '9');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('no version 9');
  });

  it('bad arguments exit 2 and print the usage of get', async () => {
    for (const args of [
      ['get', 'agent-1', 'memory', '--version', '1', '--at-ts', '1'],
      ['get', 'agent-1', 'memory', '--version', 'x'],
      ['get', 'agent-1', 'memory', '--at-ts', '-1'],
      ['get', 'agent-1'],
      ['get', 'agent-1', ''],
    ]) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain('Usage: statehousectl get [options] <AGENT> <KEY>');
      expect(result.stdout).toBe('');
    }
  });
});

describe('history', () => {
  it('lists every version, deletes included, oldest first', async () => {
    const result = await cli('history', 'agent-1', 'step:1');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+COMMITTS\s+VALUE$/);
    expect(lines[1]).toMatch(new RegExp(`^1\\s+${ts[0]}\\s+\\{"ok":true\\}$`));
    expect(lines[2]).toMatch(new RegExp(`^2\\s+${ts[2]}\\s+\\(deleted\\)$`));
    const json = JSON.parse((await cli('history', 'agent-1', 'memory', '--json')).stdout) as {
      versions: unknown;
    };
    expect(json.versions).toEqual([
      { exists: true, value: { fact: 'blue', n: 1 }, version: 1, commitTs: ts[0] },
      { exists: true, value: { fact: 'grey', n: 2 }, version: 2, commitTs: ts[1] },
    ]);
  });

  it('a record never written exits 3', async () => {
    expect((await cli('history', 'agent-1', 'nope')).code).toBe(3);
  });
});

describe('keys', () => {
  it("lists the agent's live keys in byte-wise order, one per line", async () => {
    const result = await cli('keys', 'agent-1');
    expect(result).toMatchObject({ code: 0, stdout: 'memory\nplan\nstep:2\n' });
  });

  it('--prefix lists the real keys under it, not a deleted one', async () => {
    expect((await cli('keys', 'agent-1', '--prefix', 'step:')).stdout).toBe('step:2\n');
    const none = await cli('keys', 'agent-1', '--prefix', 'zzz');
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain('no live keys starting with "zzz"');
    expect(JSON.parse((await cli('keys', 'agent-1', '--prefix', 'p', '--json')).stdout)).toEqual({
      namespace,
      agentId: 'agent-1',
      prefix: 'p',
      keys: ['plan'],
    });
  });
});

describe('replay', () => {
  it("prints each commit of the agent with only that agent's operations", async () => {
    const result = await cli('replay', 'agent-1');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^commitTs \d+/gm)).toEqual(ts.map((t) => `commitTs ${t}`));
    expect(result.stdout).toMatch(/^ {2}delete\s+step:1\s+v2$/m);
    expect(result.stdout).toMatch(/^ {2}write\s+plan\s+v1\s+\{"steps":\["a","b"\]\}$/m);
    expect(result.stdout).not.toContain('"other"');
  });

  it('--json is NDJSON, --start-ts/--end-ts are inclusive, --limit stops early', async () => {
    const all = ndjson((await cli('replay', 'agent-1', '--json')).stdout);
    expect(all.map((e) => e.commitTs)).toEqual(ts);
    expect(all[2]).toEqual({
      txId: expect.stringMatching(new RegExp(`^${namespace}~`)),
      commitTs: ts[2],
      operations: [
        { key: 'step:1', value: null, version: 2 },
        { key: 'plan', value: { steps: ['a', 'b'] }, version: 1 },
      ],
    });
    const window = ndjson(
      (
        await cli(
          'replay',
          'agent-1',
          '--json',
          '--start-ts',
          String(ts[1]),
          '--end-ts',
          String(ts[2]),
        )
      ).stdout,
    );
    expect(window.map((e) => e.commitTs)).toEqual([ts[1], ts[2]]);
    const limited = ndjson((await cli('replay', 'agent-1', '--json', '--limit', '2')).stdout);
    expect(limited.map((e) => e.commitTs)).toEqual([ts[0], ts[1]]);
  });

  it('--start-ts after --end-ts, or a bad --limit, exits 2 with the usage of replay', async () => {
    for (const args of [
      ['--start-ts', '5', '--end-ts', '4'],
      ['--limit', '0'],
      ['--start-ts', 'soon'],
    ]) {
      const result = await cli('replay', 'agent-1', ...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Usage: statehousectl replay [options] <AGENT>');
    }
  });
});

describe('inspect', () => {
  it('shows the live keys with versions and the last commits', async () => {
    const result = await cli('inspect', 'agent-1');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/live keys\s+3/);
    expect(result.stdout).toMatch(/^KEY\s+VERSION\s+COMMITTS$/m);
    expect(result.stdout).toMatch(new RegExp(`^memory\\s+2\\s+${ts[1]}$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`last commit\\s+commitTs ${ts[3]}`));
    const json = JSON.parse(
      (await cli('inspect', 'agent-1', '--json', '--commits', '2')).stdout,
    ) as {
      lastCommits: unknown;
    };
    expect(json).toMatchObject({
      namespace,
      agentId: 'agent-1',
      keyCount: 3,
      lastCommitTs: ts[3],
      keys: [
        { key: 'memory', version: 2, commitTs: ts[1] },
        { key: 'plan', version: 1, commitTs: ts[2] },
        { key: 'step:2', version: 1, commitTs: ts[3] },
      ],
    });
    expect(json.lastCommits).toEqual([
      {
        txId: expect.any(String),
        commitTs: ts[2],
        operations: [
          { key: 'step:1', version: 2, deleted: true },
          { key: 'plan', version: 1, deleted: false },
        ],
      },
      {
        txId: expect.any(String),
        commitTs: ts[3],
        operations: [{ key: 'step:2', version: 1, deleted: false }],
      },
    ]);
  });

  it('an agent with nothing exits 3', async () => {
    const result = await cli('inspect', 'nobody');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('has no records and no commits');
  });
});
