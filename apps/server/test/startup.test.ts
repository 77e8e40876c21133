import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { JsonLogger } from '../src/observability/json-logger';
import { startTestServer } from './support/server';

// Starting the server: what it says when it cannot, and when it runs exposed.

/** A logger at 'warn' that keeps its JSON lines in `lines`. */
function collecting(lines: Array<Record<string, unknown>>): JsonLogger {
  return new JsonLogger(
    'warn',
    (line) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  );
}

it('says how to install redis-server or point at a Redis when it has none to start', async () => {
  // As users start it (a process), with a PATH where no redis-server is found.
  const env = { PATH: '/nonexistent', HOME: process.env.HOME ?? '/root' };
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [join(__dirname, '..', 'dist', 'main.js'), '--grpc-port', '0', '--http-port', '0'],
      {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(
    /redis-server was not found.*apt-get install -y redis-server.*REDIS_URL=redis:\/\//s,
  );
});

it('warns in its log when it serves beyond loopback without tokens (--insecure)', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logged = await (async () => {
    const running = await startTestServer(
      { host: '0.0.0.0', insecure: true, logLevel: 'warn', shutdownGraceMs: 1000 },
      collecting(lines),
    );
    await running.close();
    return lines;
  })();
  expect(logged).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      msg: 'serving 0.0.0.0 without authentication (--insecure)',
    }),
  );
});

it('says at start when the Node.js it runs on is past its end of life (Node 20) or not an LTS', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const running = await startTestServer(
    { logLevel: 'warn', shutdownGraceMs: 1000 },
    collecting(lines),
  );
  await running.close();
  const [major] = process.versions.node.split('.').map(Number);
  const warned = lines.filter((l) => String(l.msg).startsWith(`Node.js ${process.versions.node}`));
  if (major === 20) {
    expect(warned).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringContaining('reached its end of life in April 2026'),
      }),
    ]);
  } else {
    expect(warned).toEqual(major! >= 22 && major! % 2 === 0 ? [] : [expect.anything()]);
  }
});

it("warns at start when durability 'replicated' has fewer replicas than it needs, and says it per commit", async () => {
  const lines: Array<Record<string, unknown>> = [];
  const running = await startTestServer(
    {
      // The test Redis has no replica.
      logLevel: 'warn',
      shutdownGraceMs: 1000,
      durability: 'replicated',
      replication: { replicas: 1, timeoutMs: 50 },
    },
    collecting(lines),
  );
  try {
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/needs 1 replica\(s\) per primary, but .* has 0/),
      }),
    );
    const response = await fetch(`http://127.0.0.1:${running.httpPort}/v1/commit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        namespace: `repl-${running.httpPort}`,
        operations: [{ op: 'write', agentId: 'a', key: 'k', value: { n: 1 } }],
      }),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      code: 'COMMIT_UNKNOWN',
      detail: expect.stringContaining('too few replicas acknowledged it'),
    });
  } finally {
    await running.close();
  }
});
