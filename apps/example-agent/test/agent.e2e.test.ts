import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createStatehouseTestingModule } from '@statehouse/testing';
import { AgentModule } from '../src/agent.module';
import { startLocalCluster } from '../../../test/support/redis-cluster';

// The example agent backend end to end: in-process with the testing kit, and as two replicas on
// one Redis, one of them killed mid-run.

type Json = Record<string, unknown>;

async function call(
  base: string,
  method: string,
  path: string,
  body?: object,
): Promise<{ status: number; body: Json; type: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Json,
    type: response.headers.get('content-type') ?? '',
  };
}

describe('the example agent (in-process, testing kit)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await createStatehouseTestingModule({ imports: [AgentModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });

  afterAll(() => app.close());

  it('resumes a research run that crashed at step 3 from its progress, and replays its history', async () => {
    const crashed = await call(base, 'POST', '/research/r1', {
      question: 'why is the sky blue?',
      crashAtStep: 3,
    });
    // The simulated crash is the agent's own answer: a problem document saying how to go on.
    expect(crashed.status).toBe(409);
    expect(crashed.type).toContain('application/problem+json');
    expect(crashed.body).toMatchObject({
      status: 409,
      code: 'RUN_INTERRUPTED',
      detail: expect.stringContaining('resume it with POST /research/r1/resume'),
    });
    expect((await call(base, 'GET', '/research/r1')).body).toMatchObject({ done: 2, answer: null });
    const resumed = await call(base, 'POST', '/research/r1/resume');
    expect(resumed.body).toMatchObject({
      done: 5,
      answer: expect.stringMatching(/^answer\(why is the sky blue\?\) after 4 step/),
    });
    const history = (await call(base, 'GET', '/research/r1/history')).body as unknown as Array<{
      operations: Array<{ key: string; version: number }>;
    }>;
    expect(history).toHaveLength(6); // the start, then one commit per step
    const stepWrites = history
      .flatMap((e) => e.operations)
      .filter((op) => op.key.startsWith('step:'));
    expect(stepWrites.map((op) => [op.key, op.version])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [`step:${n}`, 1]),
    );
  });

  it('runs the approval workflow to the final action, explains it, and refuses a second decision', async () => {
    const requested = await call(base, 'POST', '/approvals/w1', {
      action: 'drop table tmp',
      requestedBy: 'agent-7',
    });
    expect(requested.body).toMatchObject({
      state: 'awaitingApproval',
      proposal: expect.stringContaining('backup'),
    });
    const decided = await call(base, 'POST', '/approvals/w1/decision', {
      approved: true,
      by: 'alice',
      reason: 'looks safe',
    });
    expect(decided.body).toMatchObject({ state: 'done', result: 'executed: drop table tmp' });
    const { body } = await call(base, 'GET', '/approvals/w1');
    expect((body.history as Array<{ state: string }>).map((h) => h.state)).toEqual([
      'requested',
      'analyzed',
      'proposed',
      'awaitingApproval',
      'approved',
      'done',
    ]);
    expect(body.workflow).toMatchObject({
      decision: { approved: true, by: 'alice', reason: 'looks safe' },
    });
    expect(
      (await call(base, 'POST', '/approvals/w1/decision', { approved: false, by: 'bob' })).status,
    ).toBe(409);

    await call(base, 'POST', '/approvals/w2', { action: 'rotate keys', requestedBy: 'agent-7' });
    const rejected = await call(base, 'POST', '/approvals/w2/decision', {
      approved: false,
      by: 'bob',
      reason: 'not now',
    });
    expect(rejected.body).toMatchObject({ state: 'rejected', result: null });
  });

  it("answers its own errors as problem+json 4xx: unknown ids, invalid bodies, the library's refusals", async () => {
    const expectProblem = (
      answer: { status: number; body: Json; type: string },
      status: number,
      code: string,
      detail: string,
    ): void => {
      expect(answer.type).toContain('application/problem+json');
      expect(answer).toMatchObject({ status, body: { status, code } });
      expect(answer.body.detail).toContain(detail);
    };
    expectProblem(
      await call(base, 'GET', '/research/never-started'),
      404,
      'NOT_FOUND',
      'start one with POST /research/never-started',
    );
    expectProblem(
      await call(base, 'POST', '/research/never-started/resume'),
      404,
      'NOT_FOUND',
      'no research run for agent never-started',
    );
    expectProblem(await call(base, 'GET', '/approvals/nope'), 404, 'NOT_FOUND', 'no workflow nope');
    expectProblem(
      await call(base, 'POST', '/research/r2', {}),
      400,
      'VALIDATION_FAILED',
      'question must be a non-empty string',
    );
    expectProblem(
      await call(base, 'POST', '/research/r2', { question: 'q', crashAtStep: 'soon' }),
      400,
      'VALIDATION_FAILED',
      'crashAtStep must be a step number',
    );
    expectProblem(
      await call(base, 'POST', '/approvals/w9/decision', { approved: 'yes', by: 'bob' }),
      400,
      'VALIDATION_FAILED',
      'approved must be true or false',
    );
    // An agent id the library refuses (over 256 bytes): its ValidationError, as a 400.
    expectProblem(
      await call(base, 'GET', `/research/${'x'.repeat(300)}`),
      400,
      'VALIDATION_FAILED',
      'agentId',
    );
  });
});

describe('two replicas of the example agent on one Redis', () => {
  const MAIN = join(__dirname, '..', 'dist', 'main.js');
  const replicas: ChildProcess[] = [];
  /** Everything the replicas printed: JSON lines only, whatever happened. */
  const logged: string[] = [];
  const expectJsonLinesOnly = (): void => {
    const lines = logged.join('').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  };

  function startReplica(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string }> {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    replicas.push(child);
    child.stderr.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const line = chunk
          .toString()
          .split('\n')
          .find((l) => l.includes('example agent ready'));
        if (line)
          resolve({
            child,
            base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`,
          });
      });
      child.on('exit', (code) => reject(new Error(`replica exited with ${code}`)));
    });
  }

  afterAll(() => {
    for (const child of replicas)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('finishes on the second replica the run the first was doing when it was killed', async () => {
    const env = {
      ...process.env,
      PORT: '0',
      STEP_DELAY_MS: '250',
      STATEHOUSE_NAMESPACE: `example-${randomBytes(5).toString('hex')}`,
    };
    const [a, b] = await Promise.all([startReplica(env), startReplica(env)]);
    void call(a.base, 'POST', '/research/agent-1', { question: 'what is a transaction?' }).catch(
      () => undefined,
    );
    // Wait until the first replica has committed two steps, then kill it mid-run.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const { status, body } = await call(b.base, 'GET', '/research/agent-1');
      if (status === 200 && (body.done as number) >= 2) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    a.child.kill('SIGKILL');
    const before = (await call(b.base, 'GET', '/research/agent-1')).body.done as number;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(5);
    const finished = await call(b.base, 'POST', '/research/agent-1/resume');
    expect(finished.body).toMatchObject({
      done: 5,
      answer: expect.stringContaining('what is a transaction?'),
    });
    const history = (await call(b.base, 'GET', '/research/agent-1/history'))
      .body as unknown as Array<{ operations: Array<{ key: string; version: number }> }>;
    const steps = history.flatMap((e) => e.operations).filter((op) => op.key.startsWith('step:'));
    expect(steps.map((op) => [op.key, op.version])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [`step:${n}`, 1]),
    );
    expectJsonLinesOnly();
  }, 60_000);

  it('says why it cannot start in one JSON line and exits 1', async () => {
    logged.length = 0;
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: '0', REDIS_CLUSTER_NODES: 'no-port-here' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(1);
    expectJsonLinesOnly();
    expect(JSON.parse(logged.join('').trim())).toMatchObject({
      level: 'error',
      msg: 'example agent failed to start',
      error: expect.stringContaining('REDIS_CLUSTER_NODES must be host:port'),
    });
  });

  it('runs on a Redis Cluster given its nodes (REDIS_CLUSTER_NODES)', async () => {
    const cluster = await startLocalCluster({ masters: 3 });
    try {
      const { base } = await startReplica({
        ...process.env,
        PORT: '0',
        REDIS_URL: '',
        REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
        STATEHOUSE_NAMESPACE: `example-${randomBytes(5).toString('hex')}`,
      });
      const run = await call(base, 'POST', '/research/on-cluster', { question: 'sharded?' });
      expect(run.body).toMatchObject({ done: 5, answer: expect.stringContaining('sharded?') });
      expect((await call(base, 'GET', '/research/on-cluster/history')).body).toHaveLength(6);
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
