import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { failure, struct, V1 } from '../../../apps/server/test/support/server';
import {
  startServerProcess,
  stopServerProcess,
  type ServerProcess,
} from '../../support/server-process';

// A statehouse.v1 transaction is never begun again once it finished, whatever the retention of
// finished transactions: two server processes on one Redis, the second one fresh (no cache).

const RETENTION_MS = 1000;

const servers: ServerProcess[] = [];
const clients: V1[] = [];
let redis: Redis;
let ns: string;

interface Server {
  readonly v1: V1;
  readonly ext: V1;
  readonly httpPort: number;
}

async function startServer(args: string[]): Promise<Server> {
  const server = await startServerProcess(args);
  servers.push(server);
  const v1 = new V1(server.grpcPort);
  const ext = new V1(server.grpcPort, undefined, 'ext');
  clients.push(v1, ext);
  return { v1, ext, httpPort: server.httpPort };
}

/** Two processes with a short retention of finished transactions, two with the default. */
let a: Server, b: Server, c: Server, d: Server;

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL!);
  const short = ['--finished-retention-ms', String(RETENTION_MS)];
  [a, b, c, d] = await Promise.all([
    startServer(short),
    startServer(short),
    startServer([]),
    startServer([]),
  ]);
});

afterAll(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(servers.map(stopServerProcess));
  await redis.quit();
});

beforeEach(() => {
  ns = `wt-${randomBytes(5).toString('hex')}`;
});

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function beginAndWrite(v1: V1, timeoutMs: number): Promise<string> {
  const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction', {
    timeout_ms: timeoutMs,
  });
  await v1.call('Write', {
    txn_id,
    namespace: ns,
    agent_id: 'a',
    key: 'k',
    value: struct({ v: 1 }),
  });
  return txn_id;
}

const writeAgain = (v1: V1, txn_id: string) =>
  v1.call('Write', { txn_id, namespace: ns, agent_id: 'a', key: 'k2', value: struct({ v: 2 }) });

async function httpWrite(port: number, txId: string): Promise<{ status: number; code: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/transactions/${txId}/write`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agentId: 'a', key: 'k3', value: {} }),
  });
  const body = (await response.json()) as { code?: unknown };
  return { status: response.status, code: body.code };
}

describe('a finished statehouse.v1 transaction, on a fresh server process', () => {
  it('is not begun again after the retention while its timeout runs: already committed, never a second commit', async () => {
    const txn = await beginAndWrite(a.v1, 20_000);
    expect(await a.v1.call('Commit', { txn_id: txn })).toEqual({ commit_ts: 1 });
    await sleep(RETENTION_MS + 500); // the retention of finished transactions has passed

    const committed = { status: 'FAILED_PRECONDITION', message: 'Transaction already committed' };
    expect(await failure(writeAgain(b.v1, txn))).toMatchObject(committed);
    expect(await failure(b.v1.call('Commit', { txn_id: txn }))).toMatchObject(committed);
    expect(
      await failure(
        b.ext.call('Write', { txn_id: txn, agent_id: 'a', key: 'x', value_json: '{}' }),
      ),
    ).toMatchObject(committed);
    expect(await httpWrite(b.httpPort, txn)).toEqual({
      status: 409,
      code: 'TRANSACTION_ALREADY_COMMITTED',
    });
    const events = await b.v1.replay({ namespace: ns, agent_id: 'a' });
    expect(events.map((e) => [e.txn_id, e.commit_ts])).toEqual([[txn, 1]]);
  });

  it('an aborted one stays aborted after the retention', async () => {
    const txn = await beginAndWrite(a.v1, 20_000);
    await a.v1.call('Abort', { txn_id: txn });
    await sleep(RETENTION_MS + 500);
    const aborted = { status: 'FAILED_PRECONDITION', message: 'Transaction already aborted' };
    expect(await failure(writeAgain(b.v1, txn))).toMatchObject(aborted);
    expect(await failure(b.v1.call('Commit', { txn_id: txn }))).toMatchObject(aborted);
    expect(await b.v1.replay({ namespace: ns, agent_id: 'a' })).toEqual([]);
  });

  it('answers NOT_FOUND once the engine forgot it, over v1, our own gRPC service and HTTP', async () => {
    // The default retention: the wire record outlives this test; the engine's record is deleted.
    const [a, b] = [c, d];
    const committed = await beginAndWrite(a.v1, 1000);
    await a.v1.call('Commit', { txn_id: committed });
    const aborted = await beginAndWrite(a.v1, 1000);
    await a.v1.call('Abort', { txn_id: aborted });
    await sleep(1200); // past both deadlines
    // The engine's record expired (a shorter retention than the wire record's, say).
    await redis.del(`sh:{${ns}}:tx:${committed}`, `sh:{${ns}}:tx:${aborted}`);

    for (const txn of [committed, aborted]) {
      const notFound = { status: 'NOT_FOUND', code: 'TRANSACTION_NOT_FOUND' };
      expect(await failure(writeAgain(b.v1, txn))).toMatchObject(notFound);
      expect(await failure(b.v1.call('Commit', { txn_id: txn }))).toMatchObject(notFound);
      expect(await failure(b.ext.call('Commit', { txn_id: txn }))).toMatchObject(notFound);
      expect(
        await failure(
          b.ext.call('Write', {
            txn_id: `${ns}~${txn}`,
            agent_id: 'a',
            key: 'x',
            value_json: '{}',
          }),
        ),
      ).toMatchObject(notFound);
      expect(await httpWrite(b.httpPort, txn)).toEqual({
        status: 404,
        code: 'TRANSACTION_NOT_FOUND',
      });
      // Nothing was begun again: no engine record came back.
      expect(await redis.exists(`sh:{${ns}}:tx:${txn}`)).toBe(0);
    }
    const events = await b.v1.replay({ namespace: ns, agent_id: 'a' });
    expect(events.map((e) => [e.txn_id, e.commit_ts])).toEqual([[committed, 1]]);
  });
});
