import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StatehouseClient } from '@statehouse/client';
import type { RunningServer } from '../src/server';
import { PROTO_DIR, startTestServer } from './support/server';

// Wire compatibility from another language: Python's grpcio with stubs that Debian's protoc
// generates from our .proto, doing what the Statehouse Python SDK does. `npm test` installs the
// Debian packages (python3-grpcio, protobuf-compiler, protobuf-compiler-grpc).

const PYTHON = '/usr/bin/python3';
const PLUGIN = '/usr/bin/grpc_python_plugin';

let server: RunningServer;
let stubs: string;

beforeAll(async () => {
  for (const [path, pkg] of [
    [PYTHON, 'python3'],
    ['/usr/bin/protoc', 'protobuf-compiler'],
    [PLUGIN, 'protobuf-compiler-grpc'],
  ] as const) {
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: apt-get install -y ${pkg} (npm test installs it as root)`,
      );
    }
  }
  stubs = mkdtempSync(join(tmpdir(), 'statehouse-stubs-'));
  execFileSync('/usr/bin/protoc', [
    `-I${PROTO_DIR}`,
    '-I/usr/include',
    `--python_out=${stubs}`,
    `--grpc_python_out=${stubs}`,
    `--plugin=protoc-gen-grpc_python=${PLUGIN}`,
    'statehouse/v1/statehouse.proto',
  ]);
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
  if (stubs) rmSync(stubs, { recursive: true, force: true });
});

// The daemon accepts any namespace name (without control characters, at most 256 UTF-8 bytes).
it.each(['py-', 'py 日本語:{alpha}/~% 🦜 '])(
  'serves the SDK’s calls from Python in namespace %p…: transactions, reads, replay and errors',
  async (name) => {
    const namespace = `${name}${randomBytes(5).toString('hex')}`;
    // Asynchronously: the server answering it runs in this process.
    const { stdout: output } = await promisify(execFile)(
      PYTHON,
      [
        join(__dirname, 'python', 'sdk_client.py'),
        stubs,
        `127.0.0.1:${server.grpcPort}`,
        namespace,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    const seen = JSON.parse(output) as Record<string, unknown>;
    expect(seen.health).toBe('ok');
    expect([seen.commit1, seen.commit2, seen.commit3]).toEqual([1, 2, 3]);
    expect(seen.commit_again).toBe('FAILED_PRECONDITION: Transaction already committed');
    expect(seen.late_write).toBe('DEADLINE_EXCEEDED: Transaction timeout');
    expect(seen.memory).toEqual({
      exists: true,
      value: { fact: 'Some information', count: 3 },
      version: 1,
      commit_ts: 1,
    });
    expect(seen.missing).toEqual({ exists: false, value: null, version: 0, commit_ts: 0 });
    expect(seen.keys).toEqual(['memory', 'step:1', 'step:2']);
    expect(seen.steps).toEqual([
      { key: 'step:1', value: { n: 1 }, version: 1, commit_ts: 2 },
      { key: 'step:2', value: { n: 2 }, version: 1, commit_ts: 2 },
    ]);
    expect(seen.replay_all).toEqual([1, 2, 3]);
    const window = seen.replay_2_3 as Array<{ commit_ts: number; operations: unknown[] }>;
    expect(window.map((e) => e.commit_ts)).toEqual([2, 3]);
    expect(window[1]!.operations).toEqual([{ key: 'temp:scratch', value: null, version: 2 }]);
  },
);

it('ends the SDK’s replay iterator with UNAVAILABLE "server shutting down" when the server stops', async () => {
  // A stream that held the shutdown would take the whole grace: well above the bound below.
  const stopping = await startTestServer({ shutdownGraceMs: 20_000 });
  const namespace = `py-${randomBytes(5).toString('hex')}`;
  const client = await StatehouseClient.connect({
    url: `127.0.0.1:${stopping.grpcPort}`,
    namespace,
  });
  const big = 'x'.repeat(16_000);
  for (let i = 0; i < 100; i++) {
    await client.transaction(async (tx) =>
      tx.write({ agentId: 'big', key: 'k', value: { i, big } }),
    );
  }
  await client.close();
  const python = spawn(PYTHON, [
    join(__dirname, 'python', 'slow_replay.py'),
    stubs,
    `127.0.0.1:${stopping.grpcPort}`,
    namespace,
    'big',
  ]);
  const exited = new Promise((done) => python.once('exit', done)); // listened for from the start
  let output = '';
  python.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes('first')) {
    if (python.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the SDK's replay did not start: ${output}`);
    }
    await new Promise((done) => setTimeout(done, 20));
  }
  const started = Date.now();
  await stopping.close();
  expect(Date.now() - started).toBeLessThan(8000); // the stream did not hold the shutdown
  await exited;
  const seen = JSON.parse(output.slice(output.indexOf('{'))) as { events: number; error: string };
  expect(seen.error).toBe('UNAVAILABLE: server shutting down');
  expect(seen.events).toBeLessThan(100);
});
