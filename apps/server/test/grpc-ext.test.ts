import { randomBytes } from 'node:crypto';
import type { RunningServer } from '../src/server';
import { failure, startTestServer, V1 } from './support/server';

// statehouse_ts.v1.StatehouseExtService: what statehouse.v1 cannot express, over real connections.

let server: RunningServer;
let ext: V1;
let v1: V1;
let ns: string;

beforeAll(async () => {
  server = await startTestServer();
  ext = new V1(server.grpcPort, undefined, 'ext');
  v1 = new V1(server.grpcPort);
});

afterAll(async () => {
  ext.close();
  v1.close();
  await server.close();
});

beforeEach(() => {
  ns = `x-${randomBytes(5).toString('hex')}`;
});

type Result = Record<string, unknown>;
const begin = async (): Promise<string> =>
  (await ext.call<{ txn_id: string }>('BeginTransaction', { namespace: ns })).txn_id;
const commitOps = (operations: object[]) =>
  ext.call<{ commit_ts: number }>('CommitOperations', { namespace: ns, operations });

describe('transactions', () => {
  it('reads inside a transaction, detects the conflict, and keeps integers exact', async () => {
    await commitOps([
      { op: 'write', agent_id: 'a', key: 'k', value_json: '{"n":1,"big":9007199254740991}' },
    ]);
    const tx = await begin();
    expect(tx).toMatch(new RegExp(`^${ns}~`));
    const read = await ext.call<Result>('Get', { txn_id: tx, agent_id: 'a', key: 'k' });
    expect(read).toMatchObject({ exists: true, version: 1, commit_ts: 1, staged: false });
    expect(JSON.parse(read.value_json as string)).toEqual({ n: 1, big: 9007199254740991 });
    await ext.call('Write', { txn_id: tx, agent_id: 'a', key: 'k', value_json: '{"n":2}' });
    expect((await ext.call<Result>('Get', { txn_id: tx, agent_id: 'a', key: 'k' })).staged).toBe(
      true,
    );
    await commitOps([{ op: 'write', agent_id: 'a', key: 'k', value_json: '{"n":5}' }]);
    expect(await failure(ext.call('Commit', { txn_id: tx }))).toMatchObject({
      status: 'ABORTED',
      code: 'CONFLICT',
    });
    expect(await ext.call<Result>('DescribeTransaction', { txn_id: tx })).toMatchObject({
      txn_id: tx,
      namespace: ns,
      state: 'aborted',
    });
  });

  it('checks if_version (0: create only) and commits through statehouse.v1 too', async () => {
    const create = await commitOps([
      { op: 'write', agent_id: 'a', key: 'k', value_json: '{}', if_version: 0 },
    ]);
    expect(create.commit_ts).toBe(1);
    expect(
      await failure(
        commitOps([{ op: 'write', agent_id: 'a', key: 'k', value_json: '{}', if_version: 0 }]),
      ),
    ).toMatchObject({ status: 'ABORTED', code: 'CONFLICT' });
    const tx = await begin();
    await ext.call('Delete', { txn_id: tx, agent_id: 'a', key: 'k', if_version: 1 });
    expect(await v1.call('Commit', { txn_id: tx })).toEqual({ commit_ts: 2 });
    expect(await ext.call('LastCommitTs', { namespace: ns })).toEqual({ commit_ts: 2 });
  });

  it('aborts, and refuses bad JSON values and unknown operations', async () => {
    const tx = await begin();
    await ext.call('Abort', { txn_id: tx });
    expect((await ext.call<Result>('DescribeTransaction', { txn_id: tx })).state).toBe('aborted');
    const other = await begin();
    expect(
      await failure(
        ext.call('Write', { txn_id: other, agent_id: 'a', key: 'k', value_json: '{nope' }),
      ),
    ).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: expect.stringContaining('value_json'),
    });
    expect(
      await failure(
        ext.call('Write', { txn_id: other, agent_id: 'a', key: 'k', value_json: '[1]' }),
      ),
    ).toMatchObject({
      status: 'INVALID_ARGUMENT',
    });
    expect(await failure(commitOps([{ op: 'frob', agent_id: 'a', key: 'k' }]))).toMatchObject({
      status: 'INVALID_ARGUMENT',
    });
  });
});

describe('reads', () => {
  it('reads versions and points in time, and pages listings', async () => {
    for (let i = 1; i <= 5; i++) {
      await commitOps([
        { op: 'write', agent_id: 'a', key: `s:${i}`, value_json: JSON.stringify({ i }) },
      ]);
    }
    await commitOps([{ op: 'write', agent_id: 'a', key: 's:1', value_json: '{"i":10}' }]);
    const atVersion = await ext.call<Result>('GetState', {
      namespace: ns,
      agent_id: 'a',
      key: 's:1',
      version: 1,
    });
    expect(JSON.parse(atVersion.value_json as string)).toEqual({ i: 1 });
    const asOf = await ext.call<Result>('GetState', {
      namespace: ns,
      agent_id: 'a',
      key: 's:1',
      at_ts: 5,
    });
    expect(asOf).toMatchObject({ version: 1, commit_ts: 1 });
    const first = await ext.call<{ keys: string[]; cursor: string }>('ListKeys', {
      namespace: ns,
      agent_id: 'a',
      limit: 2,
    });
    expect(first.keys).toEqual(['s:1', 's:2']);
    const rest = await ext.call<{ entries: Result[]; cursor: string }>('ScanPrefix', {
      namespace: ns,
      agent_id: 'a',
      prefix: 's:',
      limit: 10,
      cursor: first.cursor,
    });
    expect(rest.entries.map((e) => e.key)).toEqual(['s:3', 's:4', 's:5']);
    expect(rest.cursor ?? '').toBe('');
  });

  it('replays with follow: history, then new commits, until the client cancels', async () => {
    await commitOps([{ op: 'write', agent_id: 'f', key: 'k', value_json: '{"i":1}' }]);
    const stream = (
      ext.raw as unknown as {
        Replay(r: object): NodeJS.ReadableStream & { cancel(): void };
      }
    ).Replay({ namespace: ns, agent_id: 'f', follow: true });
    const seen: number[] = [];
    const two = new Promise<void>((resolve) =>
      stream.on('data', (event: { commit_ts: number }) => {
        seen.push(event.commit_ts);
        if (seen.length === 2) resolve();
      }),
    );
    stream.on('error', () => undefined); // the cancellation below
    await new Promise((done) => setTimeout(done, 100));
    await commitOps([{ op: 'delete', agent_id: 'f', key: 'k' }]);
    await two;
    stream.cancel();
    expect(seen).toEqual([1, 2]);
  });
});

describe('commit retries', () => {
  it('answers a commit retried with the same commit_token with its commitTs, never twice', async () => {
    const tx = await begin();
    await ext.call('Write', { txn_id: tx, agent_id: 'a', key: 'k', value_json: '{"v":1}' });
    const token = 'retry-token-1234';
    expect(await ext.call('Commit', { txn_id: tx, commit_token: token })).toMatchObject({
      commit_ts: 1,
    });
    expect(await ext.call('Commit', { txn_id: tx, commit_token: token })).toMatchObject({
      commit_ts: 1,
    });
    expect(
      await failure(ext.call('Commit', { txn_id: tx, commit_token: 'another-token-99' })),
    ).toMatchObject({
      status: 'FAILED_PRECONDITION',
      message: 'Transaction already committed',
    });
    expect(
      await failure(ext.call('Commit', { txn_id: tx, commit_token: 'bad token!' })),
    ).toMatchObject({
      status: 'INVALID_ARGUMENT',
    });
    expect(await ext.call('LastCommitTs', { namespace: ns })).toEqual({ commit_ts: 1 });
  });
});

describe('ExportSnapshot', () => {
  /** Every message of an ExportSnapshot stream. */
  async function exportMessages(
    request: object,
  ): Promise<Array<{ line?: string; lines?: string[] }>> {
    const stream = (
      ext.raw as unknown as { ExportSnapshot(r: object): NodeJS.ReadableStream }
    ).ExportSnapshot(request);
    const messages: Array<{ line?: string; lines?: string[] }> = [];
    for await (const message of stream)
      messages.push(message as { line?: string; lines?: string[] });
    return messages;
  }

  it('sends a page of lines per message when the client asks (batch_lines), else one line each', async () => {
    const operations = Array.from({ length: 2500 }, (_, i) => ({
      op: 'write',
      agent_id: `agent-${String(i % 5)}`,
      key: `k${String(i).padStart(4, '0')}`,
      value_json: '{"v":1}',
    }));
    for (let i = 0; i < operations.length; i += 500) await commitOps(operations.slice(i, i + 500));

    const single = await exportMessages({ namespace: ns });
    expect(single).toHaveLength(2500 + 2); // header, every record, trailer
    expect(single.every((m) => !m.lines?.length && Boolean(m.line))).toBe(true);
    const one = single.map((m) => m.line);

    const paged = await exportMessages({ namespace: ns, batch_lines: true });
    expect(paged.length).toBeGreaterThan(1);
    expect(paged.length).toBeLessThan(10); // pages of up to 1,000 lines
    expect(paged.every((m) => !m.line && m.lines && m.lines.length <= 1000)).toBe(true);
    const many = paged.flatMap((m) => m.lines ?? []);
    // The same dump either way (the header's createdAt aside).
    expect(many.slice(1)).toEqual(one.slice(1));
    expect(JSON.parse(many[0]!)).toMatchObject({ namespace: ns, atTs: 5, history: false });
  });
});
