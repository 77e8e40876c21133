import { StatehouseClient } from '@statehouse/client';
import { runCli, type CliResult } from '../../support/cli-process';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// statehousectl retention and compact (issue 16): show and set a namespace's policy, compact it
// now, and the exit codes of bad rules and of a namespace outside the token's scope.

const TOKEN = 'cli-retention-token-0123456789';
const namespace = `cli-ret-${Date.now()}`;
let server: ServerProcess;
let client: StatehouseClient;

function cli(...args: string[]): Promise<CliResult> {
  return runCli(['--address', server.url, '--token', TOKEN, '--namespace', namespace, ...args]);
}

beforeAll(async () => {
  server = await startServerProcess(['--tokens', JSON.stringify({ [TOKEN]: [namespace] })]);
  client = await StatehouseClient.connect({ url: server.url, token: TOKEN, namespace });
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

it('shows the default policy, sets one, compacts, and shows what was removed', async () => {
  for (let n = 1; n <= 4; n++) {
    await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { n } }));
  }
  const shown = await cli('retention');
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain("the server's default policy");
  expect(shown.stdout).toMatch(/max versions per key\s+-/);

  const set = await cli('--json', 'retention', '--max-versions', '1');
  expect(set.code).toBe(0);
  expect(JSON.parse(set.stdout)).toMatchObject({
    namespace,
    policy: { maxVersionsPerKey: 1 },
    source: 'namespace',
  });

  const compacted = await cli('--json', 'compact');
  expect(compacted.code).toBe(0);
  expect(JSON.parse(compacted.stdout)).toMatchObject({ namespace, compactedTs: 4 });

  const after = await cli('retention');
  expect(after.stdout).toMatch(/max versions per key\s+1/);
  expect(after.stdout).toContain('horizon (compactedTs): 4');
  expect(after.stdout).toContain('removed so far: 3 versions, 3 log entries, 0 deleted records');
  // A version compaction removed is gone: `get --version` says so (exit 3, as not found).
  const gone = await cli('get', 'a', 'k', '--version', '1');
  expect(gone.code).toBe(3);
  expect(gone.stderr).toMatch(/compact/i);

  const keepAll = await cli('--json', 'retention', '--keep-all');
  expect(JSON.parse(keepAll.stdout)).toMatchObject({ policy: {}, source: 'namespace' });
});

it('refuses bad rules with a usage error (2) and another namespace with 4', async () => {
  const zero = await cli('retention', '--max-versions', '0');
  expect(zero.code).toBe(2);
  expect(zero.stderr).toContain('--max-versions');
  const both = await cli('retention', '--keep-all', '--max-age-ms', '1000');
  expect(both.code).toBe(2);
  const other = await runCli([
    '--address',
    server.url,
    '--token',
    TOKEN,
    '--namespace',
    'someone-else',
    'compact',
  ]);
  expect(other.code).toBe(4);
});
