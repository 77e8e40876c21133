import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { freshNamespace, createStatehouseTestingModule } from '@statehouse/testing';
import { AgentModule } from '../src/agent.module';

// The LangGraph deployment agent of the example app (StatehouseSaver through @statehouse/nestjs),
// over HTTP, on two app instances sharing one Statehouse namespace: what one starts, the other
// finishes.

type Json = Record<string, unknown>;

async function start(namespace: string): Promise<{ app: INestApplication; base: string }> {
  const moduleRef = await createStatehouseTestingModule(
    { imports: [AgentModule] },
    { namespace },
  ).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}` };
}

async function call(base: string, method: string, path: string, body?: object) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

let one: { app: INestApplication; base: string };
let two: { app: INestApplication; base: string };

beforeAll(async () => {
  const namespace = freshNamespace('deploy');
  [one, two] = await Promise.all([start(namespace), start(namespace)]);
});

afterAll(() => Promise.all([one.app.close(), two.app.close()]));

const HEALTH = 'checkout: 3/3 instances healthy, error rate 0.1%';

it('runs the graph to its approval on one instance, and deploys from the other', async () => {
  const requested = await call(one.base, 'POST', '/deployments/d1', { service: 'checkout' });
  expect(requested.status).toBe(201);
  expect(requested.body).toEqual({
    id: 'd1',
    service: 'checkout',
    status: 'awaitingApproval',
    question: `deploy checkout? ${HEALTH}`,
    checks: [HEALTH],
    decision: null,
    outcome: null,
  });
  const decided = await call(two.base, 'POST', '/deployments/d1/decision', {
    approved: true,
    by: 'alice',
  });
  expect(decided.status).toBe(200);
  expect(decided.body).toMatchObject({
    status: 'done',
    question: null,
    decision: { approved: true, by: 'alice' },
    outcome: 'deployed checkout',
  });
  expect((await call(one.base, 'GET', '/deployments/d1')).body).toEqual(decided.body);
  const history = (await call(one.base, 'GET', '/deployments/d1/history'))
    .body as unknown as Array<{
    step: number;
    next: string[];
  }>;
  expect(history.map((h) => [h.step, h.next])).toEqual([
    [4, []],
    [3, ['deploy']],
    [2, ['approval']],
    [1, ['tools']],
    [0, ['plan']],
    [-1, ['__start__']],
  ]);
});

it('a rejection ends it undeployed; a second decision, a second request and unknown ids are refused', async () => {
  await call(one.base, 'POST', '/deployments/d2', { service: 'search' });
  const rejected = await call(two.base, 'POST', '/deployments/d2/decision', {
    approved: false,
    by: 'bob',
  });
  expect(rejected.body).toMatchObject({ status: 'done', outcome: 'not deployed: rejected by bob' });
  const again = await call(one.base, 'POST', '/deployments/d2/decision', {
    approved: true,
    by: 'mallory',
  });
  expect(again.status).toBe(409);
  expect(again.body.detail).toContain('is done, not awaiting approval');
  expect((await call(one.base, 'POST', '/deployments/d2', { service: 'search' })).status).toBe(409);
  expect((await call(one.base, 'GET', '/deployments/nope')).status).toBe(404);
  expect((await call(one.base, 'GET', '/deployments/nope/history')).status).toBe(404);
  expect((await call(one.base, 'POST', '/deployments/d3', { service: '' })).status).toBe(400);
  expect(
    (await call(one.base, 'POST', '/deployments/d2/decision', { approved: 'yes', by: 'x' })).status,
  ).toBe(400);
});
