import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatehouseClient } from '@statehouse/client';
import {
  CLI_BIN,
  cliEnv,
  ndjson,
  runCli,
  spawnCli,
  type CliResult,
} from '../../support/cli-process';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// statehousectl namespaces, agents, dump and restore, as processes against a server process with
// tokens: what a token may see, a dump -> restore round trip of 100,000 records through the CLI,
// and a full-history round trip whose replays are identical.

const TOKEN = 'cli-operator-token-0123456789';
const ADMIN = 'cli-operator-admin-0123456789';
const run = Date.now();
const nsA = `cli-op-a-${run}`;
const nsB = `cli-op-b-${run}`;
const nsHidden = `cli-op-hidden-${run}`;

let server: ServerProcess;
let admin: StatehouseClient;
let dir: string;

function cli(token: string, ...args: string[]): Promise<CliResult> {
  return runCli(['--address', server.url, '--token', token, ...args]);
}

async function write(
  namespace: string,
  agentId: string,
  key: string,
  value: object,
): Promise<number> {
  const tx = await admin.beginTransaction({ namespace });
  await tx.write({ agentId, key, value });
  return tx.commit();
}

/** Every live record of the namespace, agent by agent (through the client, not the CLI). */
async function records(namespace: string): Promise<Map<string, unknown>> {
  const all = new Map<string, unknown>();
  let agents: string | null = null;
  do {
    const page = await admin.listAgents({ namespace, cursor: agents, limit: 1000 });
    for (const { agentId } of page.agents) {
      let cursor: string | null = null;
      do {
        const entries = await admin.scanPrefix({
          namespace,
          agentId,
          prefix: '',
          cursor,
          limit: 1000,
        });
        for (const entry of entries.entries) all.set(`${agentId}/${entry.key}`, entry);
        cursor = entries.cursor;
      } while (cursor !== null);
    }
    agents = page.cursor;
  } while (agents !== null);
  return all;
}

beforeAll(async () => {
  server = await startServerProcess([
    '--tokens',
    JSON.stringify({ [TOKEN]: [nsA, nsB], [ADMIN]: ['*'] }),
  ]);
  admin = await StatehouseClient.connect({ url: server.url, token: ADMIN, namespace: nsA });
  dir = mkdtempSync(join(tmpdir(), 'statehousectl-'));
  await write(nsA, 'alpha-1', 'k1', { v: 1 });
  await write(nsA, 'alpha-1', 'k2', { v: 2 });
  await write(nsA, 'alpha-2', 'k1', { v: 3 });
  await write(nsA, 'alpha-2', 'gone', { v: 4 });
  const tx = await admin.beginTransaction({ namespace: nsA });
  await tx.delete({ agentId: 'alpha-2', key: 'gone' });
  await tx.commit();
  await write(nsA, 'beta', 'k1', { v: 5 });
  await write(nsB, 'b-agent', 'k1', { v: 6 });
  await write(nsHidden, 'secret-agent', 'k1', { v: 7 });
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('namespaces', () => {
  it('lists only the namespaces of the token, with agent counts and last commitTs', async () => {
    const json = await cli(TOKEN, 'namespaces', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      namespaces: [
        { namespace: nsA, agentCount: 3, lastCommitTs: await admin.lastCommitTs(nsA) },
        { namespace: nsB, agentCount: 1, lastCommitTs: await admin.lastCommitTs(nsB) },
      ],
    });
    const human = await cli(TOKEN, 'namespaces');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^NAMESPACE\s+AGENTS\s+LAST COMMITTS$/m);
    expect(human.stdout).toMatch(new RegExp(`^${nsA}\\s+3\\s+\\d+$`, 'm'));
    expect(human.stdout).not.toContain(nsHidden);
    // A token for every namespace sees the hidden one too.
    expect((await cli(ADMIN, 'namespaces')).stdout).toContain(nsHidden);
  });
});

describe('agents', () => {
  it("lists the namespace's agents with their live key count and last commitTs", async () => {
    const json = await cli(TOKEN, '--namespace', nsA, 'agents', '--json');
    expect(json.code).toBe(0);
    const { agents } = JSON.parse(json.stdout) as { agents: Array<Record<string, unknown>> };
    expect(agents.map((a) => [a.agentId, a.keyCount])).toEqual([
      ['alpha-1', 2],
      ['alpha-2', 1],
      ['beta', 1],
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({ namespace: nsA });
    const human = await cli(TOKEN, '--namespace', nsA, 'agents', '--prefix', 'alpha');
    expect(human.stdout).toMatch(/^KEYS\s+LAST COMMITTS\s+AGENT$/m);
    expect(human.stdout).toMatch(/^2\s+\d+\s+alpha-1$/m);
    expect(human.stdout).not.toContain('beta');
    const limited = JSON.parse(
      (await cli(TOKEN, '--namespace', nsA, 'agents', '--limit', '1', '--json')).stdout,
    ) as {
      agents: unknown[];
    };
    expect(limited.agents).toHaveLength(1);
  });

  it('pages through more agents than a page holds, in byte-wise order; --limit across pages', async () => {
    const namespace = `cli-op-many-${run}`;
    const ids = Array.from({ length: 1500 }, (_, i) => `m-${String(i).padStart(4, '0')}`);
    for (let from = 0; from < ids.length; from += 750) {
      await admin.transaction(
        async (tx) => {
          for (const agentId of ids.slice(from, from + 750)) {
            await tx.write({ agentId, key: 'k', value: { agentId } });
          }
        },
        { namespace },
      );
    }
    const all = JSON.parse(
      (await cli(ADMIN, '--namespace', namespace, 'agents', '--json')).stdout,
    ) as {
      agents: Array<{ agentId: string; keyCount: number }>;
    };
    expect(all.agents.map((a) => a.agentId)).toEqual(ids);
    expect(all.agents.every((a) => a.keyCount === 1)).toBe(true);
    const limited = await cli(ADMIN, '--namespace', namespace, 'agents', '--limit', '1200');
    const rows = limited.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^KEYS\s+LAST COMMITTS\s+AGENT$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[2])).toEqual(ids.slice(0, 1200));
  });

  it("another namespace than the token's is exit 4", async () => {
    const result = await cli(TOKEN, '--namespace', nsHidden, 'agents');
    expect(result.code).toBe(4);
    expect(result.stdout).not.toContain('secret-agent');
    expect(result.stderr).toContain(nsHidden);
  });
});

describe('dump and restore', () => {
  it('dumps NDJSON to stdout: a header, the records, a trailer', async () => {
    const result = await cli(TOKEN, '--namespace', nsA, 'dump');
    expect(result.code).toBe(0);
    const lines = ndjson(result.stdout);
    expect(lines[0]).toMatchObject({
      format: 'statehouse-snapshot',
      formatVersion: 1,
      namespace: nsA,
    });
    expect(lines[lines.length - 1]).toMatchObject({ end: true, records: 4 });
    expect(lines).toHaveLength(6);
    expect(result.stderr).toContain('dumped 4 records');
  });

  it('round-trips 100,000 records through the CLI into a new namespace', async () => {
    const source = `cli-op-big-${run}`;
    const target = `cli-op-big-copy-${run}`;
    for (let agent = 0; agent < 100; agent++) {
      await admin.transaction(
        async (tx) => {
          for (let key = 0; key < 1000; key++) {
            await tx.write({
              agentId: `agent-${String(agent).padStart(3, '0')}`,
              key: `key-${key}`,
              value: { agent, key, text: 'x'.repeat(20) },
            });
          }
        },
        { namespace: source },
      );
    }
    const file = join(dir, 'big.ndjson');
    const dump = await cli(ADMIN, '--namespace', source, 'dump', '-o', file, '--json');
    expect(dump.code).toBe(0);
    expect(JSON.parse(dump.stdout)).toMatchObject({
      file,
      namespace: source,
      records: 100_000,
      bytes: readFileSync(file).length,
    });
    // Only the finished file is left: no partial file beside it.
    expect(readdirSync(dir).filter((name) => name.includes('big'))).toEqual(['big.ndjson']);

    const restore = await cli(ADMIN, '--namespace', target, 'restore', file, '--json');
    expect(restore.code).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ namespace: target, records: 100_000 });

    // Ctrl-C mid-dump: exit 1, and neither the file nor its partial file is left.
    const cut = join(dir, 'interrupted.ndjson');
    const child = spawnCli([
      '--address',
      server.url,
      '--token',
      ADMIN,
      '--namespace',
      source,
      'dump',
      '-o',
      cut,
    ]);
    const partial = () =>
      readdirSync(dir).some((name) => name.startsWith('.interrupted.ndjson.partial'));
    while (!partial() && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const interrupted = await child.exited;
    expect(interrupted.code).toBe(1);
    expect(interrupted.stderr).toContain(`dump interrupted: ${cut} was not written`);
    expect(readdirSync(dir).filter((name) => name.includes('interrupted'))).toEqual([]);

    // A full page of keys (1,000) and the cursor after it.
    const keys = await cli(ADMIN, '--namespace', target, 'keys', 'agent-007');
    expect(keys.stdout.trim().split('\n')).toHaveLength(1000);

    const [from, to] = [await records(source), await records(target)];
    expect(to.size).toBe(100_000);
    // Every record with its value, version and commitTs.
    for (const [id, entry] of from) expect({ id, entry: to.get(id) }).toEqual({ id, entry });
  }, 600_000);

  it('with --history reproduces every version, commitTs and replay', async () => {
    const source = `cli-op-history-${run}`;
    const target = `cli-op-history-copy-${run}`;
    for (let i = 1; i <= 5; i++) {
      const tx = await admin.beginTransaction({ namespace: source });
      await tx.write({ agentId: 'h', key: 'counter', value: { i } });
      if (i === 3) await tx.delete({ agentId: 'h', key: 'temp' });
      if (i === 2) await tx.write({ agentId: 'h', key: 'temp', value: { t: true } });
      await tx.write({ agentId: `other-${i % 2}`, key: 'k', value: { i } });
      await tx.commit();
    }
    const file = join(dir, 'history.ndjson');
    expect((await cli(ADMIN, '--namespace', source, 'dump', '--history', '-o', file)).code).toBe(0);
    const restore = await cli(ADMIN, '--namespace', target, 'restore', file);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`into namespace ${target}`);
    for (const agentId of ['h', 'other-0', 'other-1']) {
      const replay = async (namespace: string) => {
        const events = [];
        for await (const event of admin.replay({ namespace, agentId })) {
          events.push({ commitTs: event.commitTs, operations: event.operations });
        }
        return events;
      };
      expect(await replay(target)).toEqual(await replay(source));
    }
    const history = async (ns: string) =>
      (
        JSON.parse(
          (await cli(ADMIN, '--namespace', ns, 'history', 'h', 'temp', '--json')).stdout,
        ) as {
          versions: unknown[];
        }
      ).versions;
    const versions = await history(source);
    expect(versions).toHaveLength(2);
    expect(await history(target)).toEqual(versions);

    // Without --history the last version alone is restored, with its version and commitTs;
    // history shows it and says the earlier ones are not kept.
    const plain = join(dir, 'plain.ndjson');
    const latest = `cli-op-latest-${run}`;
    expect((await cli(ADMIN, '--namespace', source, 'dump', '-o', plain)).code).toBe(0);
    expect((await cli(ADMIN, '--namespace', latest, 'restore', plain)).code).toBe(0);
    const counter = await cli(ADMIN, '--namespace', latest, 'history', 'h', 'counter');
    expect(counter.code).toBe(0);
    expect(counter.stdout.trim().split('\n').slice(1)).toEqual([
      expect.stringMatching(/^5\s+\d+\s+\{"i":5\}$/),
    ]);
    expect(counter.stderr).toContain('versions 1-4 are not kept');
    const five = await cli(
      ADMIN,
      '--namespace',
      latest,
      'get',
      'h',
      'counter',
      '--version',
      '5',
      '--json',
    );
    expect(JSON.parse(five.stdout)).toMatchObject({ exists: true, version: 5, value: { i: 5 } });
    expect(
      (await cli(ADMIN, '--namespace', latest, 'get', 'h', 'counter', '--version', '4')).code,
    ).toBe(3);
  }, 120_000);

  it('--at-ts and --agent-prefix choose what is dumped', async () => {
    const first = await write(nsB, 'b-agent', 'k1', { v: 'later' });
    const before = await cli(TOKEN, '--namespace', nsB, 'dump', '--at-ts', String(first - 1));
    const lines = ndjson(before.stdout);
    expect(lines[0]).toMatchObject({ atTs: first - 1 });
    expect(JSON.stringify(lines)).toContain('"v":6');
    expect(JSON.stringify(lines)).not.toContain('later');
    const prefixed = ndjson(
      (await cli(TOKEN, '--namespace', nsA, 'dump', '--agent-prefix', 'alpha-2')).stdout,
    );
    expect(prefixed[prefixed.length - 1]).toMatchObject({ end: true, records: 1 });
  });

  it('refuses a namespace holding data unless --merge; without --namespace restores where it came from', async () => {
    const file = join(dir, 'a.ndjson');
    expect((await cli(TOKEN, '--namespace', nsA, 'dump', '-o', file)).code).toBe(0);
    const refused = await cli(TOKEN, 'restore', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(nsA);
    expect(refused.stderr).toContain('--merge');
    const into = await cli(TOKEN, '--namespace', nsB, 'restore', file);
    expect(into.code).toBe(1);
    const merged = await cli(TOKEN, '--namespace', nsB, 'restore', file, '--merge');
    expect(merged.code).toBe(0);
    expect((await admin.getState({ namespace: nsB, agentId: 'alpha-1', key: 'k2' })).value).toEqual(
      { v: 2 },
    );
  });

  it('a missing file is a usage error, a truncated dump exit 1; a dump into a missing directory exit 2', async () => {
    const missing = await cli(
      ADMIN,
      '--namespace',
      `cli-op-none-${run}`,
      'restore',
      join(dir, 'nope.ndjson'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage: statehousectl restore');
    const full = readFileSync(join(dir, 'a.ndjson'), 'utf8').trimEnd().split('\n');
    const truncated = join(dir, 'truncated.ndjson');
    writeFileSync(truncated, `${full.slice(0, -1).join('\n')}\n`);
    const cut = await cli(ADMIN, '--namespace', `cli-op-cut-${run}`, 'restore', truncated);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(truncated);
    const nowhere = await cli(
      TOKEN,
      '--namespace',
      nsA,
      'dump',
      '-o',
      join(dir, 'no', 'such', 'dir.ndjson'),
    );
    expect(nowhere.code).toBe(2);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('draws a progress line on stderr only when it is a terminal', async () => {
    const file = join(dir, 'progress.ndjson');
    const plain = await cli(TOKEN, '--namespace', nsA, 'dump', '-o', file);
    expect(plain.stderr).not.toContain('records/s');
    // script(1) gives the command a terminal; the output is what the terminal showed.
    const command = [
      process.execPath,
      CLI_BIN,
      '--address',
      server.url,
      '--token',
      TOKEN,
      '--namespace',
      nsA,
      'dump',
    ]
      .map((arg) => `'${arg}'`)
      .join(' ');
    const tty = await runScript(`${command} -o '${join(dir, 'tty.ndjson')}'`);
    expect(tty).toContain('dump 4 records');
    expect(tty).toContain('records/s');
    // restore knows the file's size: a bar with a percentage.
    const restore = [process.execPath, CLI_BIN, '--address', server.url, '--token', ADMIN]
      .map((arg) => `'${arg}'`)
      .join(' ');
    const restored = await runScript(
      `${restore} --namespace 'cli-op-tty-${run}' restore '${join(dir, 'tty.ndjson')}'`,
    );
    expect(restored).toMatch(/restore \[[#-]{30}\] \d+%/);
    expect(restored).toContain('restored 4 records');
    const quiet = await runCli(
      [
        '--address',
        server.url,
        '--token',
        ADMIN,
        '--namespace',
        `cli-op-quiet-${run}`,
        'restore',
        file,
      ],
      cliEnv(),
    );
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});

/** Runs a shell command under script(1), on a pseudo-terminal; what it printed. */
async function runScript(command: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) =>
    execFile('script', ['-qec', command, '/dev/null'], { env: cliEnv() }, (error, stdout) =>
      error ? reject(new Error(`script failed: ${error.message}`)) : resolve(stdout),
    ),
  );
}
