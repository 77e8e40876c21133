import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { RunningServer } from '../src/server';
import { startTestServer, V1 } from './support/server';

// GET /metrics as Prometheus and dashboards read it, /readyz as anonymous probes see it, and who
// may scrape when tokens are on.

const PROMTOOL = '/usr/bin/promtool';
const TOKEN = 'metrics-reader-token-0123';

let server: RunningServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
  // Traffic on both transports, a transaction id in a URL included.
  const begun = (await (await fetch(`${base}/v1/transactions`, { method: 'POST' })).json()) as {
    txId: string;
  };
  await fetch(`${base}/v1/transactions/${begun.txId}/commit`, { method: 'POST' });
  const client = new V1(server.grpcPort);
  await client.call('Version');
  client.close();
});

afterAll(() => server.close());

const scrape = async (): Promise<string> => {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
};

it('passes `promtool check metrics`', async () => {
  if (!existsSync(PROMTOOL)) {
    throw new Error(
      `${PROMTOOL} is missing: npm test installs it (apt-get install prometheus, scripts/lib/test-tools.mjs)`,
    );
  }
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], {
    input: await scrape(),
    encoding: 'utf8',
  });
  expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({
    status: 0,
    output: '',
  });
});

it("names Node.js' and the process' metrics as stock dashboards expect", async () => {
  const text = await scrape();
  for (const name of [
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_heap_size_total_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_gc_duration_seconds_bucket',
  ]) {
    expect(text).toMatch(new RegExp(`^${name}[ {]`, 'm'));
  }
  expect(text).not.toContain('statehouse_process_');
});

it('labels requests with their method and route pattern, never the raw URL', async () => {
  const text = await scrape();
  expect(text).toMatch(
    /^statehouse_rpc_duration_seconds_count\{transport="http",method="POST",route="\/v1\/transactions\/:txId\/commit",code="\d+"\} 1$/m,
  );
  expect(text).toMatch(
    /^statehouse_rpc_duration_seconds_count\{transport="grpc",method="Version",route="\/statehouse\.v1\.StatehouseService\/Version",code="OK"\} \d+$/m,
  );
  expect(text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}/); // no transaction id
});

it('answers /readyz with the status alone (no data for anonymous callers)', async () => {
  const response = await fetch(`${base}/readyz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ready' });
});

describe('with tokens configured', () => {
  const scrapeOf = async (secured: RunningServer, token?: string) =>
    (
      await fetch(`http://127.0.0.1:${secured.httpPort}/metrics`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })
    ).status;

  it('/metrics needs a valid token', async () => {
    const secured = await startTestServer({ tokens: new Map([[TOKEN, new Set(['ns'])]]) });
    try {
      expect(await scrapeOf(secured)).toBe(401);
      expect(await scrapeOf(secured, 'not-a-valid-token-0123456')).toBe(401);
      expect(await scrapeOf(secured, TOKEN)).toBe(200);
      expect((await fetch(`http://127.0.0.1:${secured.httpPort}/readyz`)).status).toBe(200);
    } finally {
      await secured.close();
    }
  });

  it('--metrics-public serves /metrics without one', async () => {
    const secured = await startTestServer({
      tokens: new Map([[TOKEN, new Set(['ns'])]]),
      metricsPublic: true,
    });
    try {
      expect(await scrapeOf(secured)).toBe(200);
    } finally {
      await secured.close();
    }
  });
});
