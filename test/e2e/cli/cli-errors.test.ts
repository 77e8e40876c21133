import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StatehouseClient } from '@statehouse/client';
import { freePort } from '@statehouse/core';
import { cliEnv, runCli, type CliResult } from '../../support/cli-process';
import { startPrivateRedis } from '../../support/private-redis';
import { startServerProcess, testEnv, type ServerProcess } from '../../support/server-process';

// statehousectl's errors: each says what to do and exits with its documented code (0 ok, 1 error,
// 2 usage, 3 not found, 4 unauthenticated/denied, 5 unavailable); the connection settings
// (--address / STATEHOUSE_ADDR, --token / STATEHOUSE_TOKEN, --namespace / STATEHOUSE_NAMESPACE).

const ROOT = join(__dirname, '..', '..', '..');
const TOKEN = 'cli-token-scoped-0123456789';
const ADMIN = 'cli-token-admin-0123456789';

let server: ServerProcess;
const namespace = `cli-errors-${Date.now()}`;

beforeAll(async () => {
  server = await startServerProcess([
    '--tokens',
    JSON.stringify({ [TOKEN]: [namespace], [ADMIN]: ['*'] }),
  ]);
  const client = await StatehouseClient.connect({ url: server.url, token: ADMIN, namespace });
  await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }));
  await client.close();
}, 60_000);

afterAll(() => server.stop());

describe('an unreachable server', () => {
  it('exits 5 naming the address tried and how to change it, never Redis', async () => {
    const port = await freePort();
    for (const args of [
      ['health'],
      ['version'],
      ['get', 'a', 'k'],
      ['keys', 'a'],
      ['tail', 'a', '-f'],
    ]) {
      const result = await runCli(['--address', `127.0.0.1:${port}`, ...args]);
      expect({ args, code: result.code }).toEqual({ args, code: 5 });
      expect(result.stderr).toContain(`cannot reach the Statehouse server at 127.0.0.1:${port}`);
      expect(result.stderr).toContain('--address');
      expect(result.stderr).toContain('STATEHOUSE_ADDR');
      expect(result.stderr).not.toMatch(/redis/i);
    }
    const json = await runCli(['--address', `127.0.0.1:${port}`, '--json', 'get', 'a', 'k']);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        code: 'SERVER_UNREACHABLE',
        message: expect.stringContaining(`127.0.0.1:${port}`),
        exitCode: 5,
      },
    });
  });

  it('connects to STATEHOUSE_ADDR (host:port or :port), which --address overrides', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const viaEnv = await runCli(['health'], cliEnv({ STATEHOUSE_ADDR: server.url }));
    expect(viaEnv.code).toBe(0);
    const shortForm = await runCli(['health'], cliEnv({ STATEHOUSE_ADDR: `:${server.grpcPort}` }));
    expect(shortForm.code).toBe(0);
    const flagWins = await runCli(
      ['--address', server.url, 'health'],
      cliEnv({ STATEHOUSE_ADDR: dead }),
    );
    expect(flagWins.code).toBe(0);
    const envDead = await runCli(['health'], cliEnv({ STATEHOUSE_ADDR: dead }));
    expect(envDead.code).toBe(5);
    expect(envDead.stderr).toContain(dead);
  });

  it('an address that is not host:port exits 2 with the usage', async () => {
    const result = await runCli(['--address', 'not an address', 'health']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid server address "not an address"');
    expect(result.stderr).toContain('Usage: statehousectl health');
  });
});

describe('tokens', () => {
  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return runCli(['--address', server.url, ...args], cliEnv(env));
  }

  it('health needs none (a probe); a read without one exits 4 saying to pass --token', async () => {
    expect((await cli(['health'])).code).toBe(0);
    const result = await cli(['--namespace', namespace, 'get', 'a', 'k']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('pass --token or set STATEHOUSE_TOKEN');
  });

  it('a wrong token exits 4 saying it was refused', async () => {
    const result = await cli([
      '--token',
      'wrong-token-0123456789',
      '--namespace',
      namespace,
      'keys',
      'a',
    ]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('the token given was refused');
  });

  it('STATEHOUSE_TOKEN and STATEHOUSE_NAMESPACE are used; --namespace overrides the variable', async () => {
    const env = { STATEHOUSE_TOKEN: TOKEN, STATEHOUSE_NAMESPACE: namespace };
    const result = await cli(['get', 'a', 'k', '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ namespace, value: { v: 1 } });
    const elsewhere = await cli(['--namespace', 'not-mine', 'get', 'a', 'k'], env);
    expect(elsewhere.code).toBe(4);
    expect(elsewhere.stderr).toContain('may not use namespace "not-mine"');
    expect(elsewhere.stderr).toContain('--namespace');
  });

  it('tx describe finds the namespace in the transaction id: no --namespace needed', async () => {
    const client = await StatehouseClient.connect({ url: server.url, token: TOKEN, namespace });
    try {
      const tx = await client.beginTransaction();
      const result = await cli(['--token', TOKEN, 'tx', 'describe', tx.id, '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ id: tx.id, namespace, state: 'open' });
      await tx.abort();
    } finally {
      await client.close();
    }
  });
});

describe('usage', () => {
  it('no command, an unknown one, or an unknown option exit 2 with the usage', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: statehousectl [options] [command]');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const option = await runCli(['keys', 'a', '--colour']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--colour'");
    expect(option.stderr).toContain('Usage: statehousectl keys [options] <AGENT>');
    const extra = await runCli(['health', 'now']);
    expect(extra.code).toBe(2);
    const noSubcommand = await runCli(['tx']);
    expect(noSubcommand.code).toBe(2);
    expect(noSubcommand.stderr).toContain('Usage: statehousectl tx [options] [command]');
  });

  it('--help and help COMMAND exit 0; the help lists the exit codes and variables', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('STATEHOUSE_ADDR');
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 error, 2 usage, 3 not found');
    const command = await runCli(['help', 'tail']);
    expect(command.code).toBe(0);
    expect(command.stdout).toContain('-f, --follow');
  });

  it('--json usage errors are one JSON document on stderr', async () => {
    const result = await runCli(['--json', 'get', 'a']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'USAGE', exitCode: 2 } });
  });

  it('runs as `npx statehousectl` from the repository after the build', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no', '--', 'statehousectl', '--help'], {
      cwd: ROOT,
      env: cliEnv(),
    });
    expect(stdout).toContain('Usage: statehousectl');
  });
});

describe('colour', () => {
  it('is off when stdout is not a terminal or NO_COLOR is set, on with FORCE_COLOR', async () => {
    const args = [
      '--address',
      server.url,
      '--token',
      ADMIN,
      '--namespace',
      namespace,
      'get',
      'a',
      'k',
    ];
    const plain = await runCli(args);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('\u001b[');
    const forced = await runCli(args, cliEnv({ FORCE_COLOR: '1' }));
    expect(forced.stdout).toContain('\u001b[');
    const none = await runCli(args, cliEnv({ FORCE_COLOR: '1', NO_COLOR: '1' }));
    expect(none.stdout).not.toContain('\u001b[');
    // --json is never coloured.
    const json = await runCli([...args, '--json'], cliEnv({ FORCE_COLOR: '1' }));
    expect(JSON.parse(json.stdout)).toMatchObject({ value: { v: 1 } });
  });
});

it('a server that cannot reach its Redis: health exits 5 NOT_SERVING, a read exits 5', async () => {
  const redis = await startPrivateRedis();
  const own = await startServerProcess([], { ...testEnv(), STATEHOUSE_REDIS_URL: redis.url });
  try {
    const args = ['--address', own.url];
    expect((await runCli([...args, 'health'])).code).toBe(0);
    await redis.stop();
    // The server probes its Redis every second: wait (generously) until it says so.
    let health: CliResult;
    const deadline = Date.now() + 20_000;
    do {
      health = await runCli([...args, '--json', 'health']);
    } while (health.code === 0 && Date.now() < deadline);
    expect(health.code).toBe(5);
    expect(JSON.parse(health.stdout)).toEqual({
      address: own.url,
      status: 'not serving',
      serving: false,
      grpcHealth: 'NOT_SERVING',
    });
    const human = await runCli([...args, 'health']);
    expect(human.code).toBe(5);
    expect(human.stderr).toContain(
      `the Statehouse server at ${own.url} answers but is not serving`,
    );
    const read = await runCli([...args, 'get', 'a', 'k']);
    expect(read.code).toBe(5);
    expect(read.stderr).toContain(`the Statehouse server at ${own.url} is unavailable`);
  } finally {
    await own.stop();
  }
}, 90_000);
