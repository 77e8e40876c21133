import { Statehouse, ValidationError } from '@statehouse/core';
import { closeClients, collect, connectClient } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

const key = (prefix: string, n: number): string => `${prefix}${String(n).padStart(12, '0')}`;

describe('tx.append', () => {
  it('allocates keys at commit that sort in append order, and fills in the handles', async () => {
    const tx = await client.beginTransaction();
    const handles = [
      await tx.append({ agentId: 'agent', prefix: 'step:', value: { n: 1 } }),
      await tx.append({ agentId: 'agent', prefix: 'step:', value: { n: 2 } }),
      await tx.append({ agentId: 'agent', prefix: 'note/', value: { text: 'x' } }),
    ];
    expect(handles.map((h) => h.key)).toEqual([null, null, null]);
    expect(tx.mutations).toEqual([
      { type: 'append', agentId: 'agent', key: null, prefix: 'step:', value: { n: 1 } },
      { type: 'append', agentId: 'agent', key: null, prefix: 'step:', value: { n: 2 } },
      { type: 'append', agentId: 'agent', key: null, prefix: 'note/', value: { text: 'x' } },
    ]);
    const commitTs = await tx.commit();
    expect(handles.map((h) => h.key)).toEqual([key('step:', 1), key('step:', 2), key('note/', 1)]);

    const later = await client.transaction(async (t) => {
      const handle = await t.append({ agentId: 'agent', prefix: 'step:', value: { n: 3 } });
      await t.commit();
      return handle;
    });
    expect(later.key).toBe(key('step:', 3));
    expect(
      (await client.scanPrefix({ agentId: 'agent', prefix: 'step:' })).entries.map((e) => e.value),
    ).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const [first] = await collect(client.replay({ agentId: 'agent' }));
    expect(first).toMatchObject({ commitTs });
    expect(first!.operations.map((op) => op.key)).toEqual([
      key('step:', 1),
      key('step:', 2),
      key('note/', 1),
    ]);
  });

  it('uses no number for an aborted transaction, and one counter per agent and prefix', async () => {
    const aborted = await client.beginTransaction();
    const lost = await aborted.append({ agentId: 'a', prefix: 'log:', value: {} });
    await aborted.abort();
    expect(lost.key).toBeNull();
    const handles = await client.transaction(async (tx) => [
      await tx.append({ agentId: 'a', prefix: 'log:', value: {} }),
      await tx.append({ agentId: 'b', prefix: 'log:', value: {} }),
    ]);
    // The handles of client.transaction are filled once it has committed.
    expect(handles.map((h) => h.key)).toEqual([key('log:', 1), key('log:', 1)]);
  });

  it('gives concurrent transactions distinct, gap-free numbers', async () => {
    const handles = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.transaction(async (tx) =>
          tx.append({ agentId: 'a', prefix: 'step:', value: { i } }),
        ),
      ),
    );
    expect(handles.map((h) => h.key).sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => key('step:', i + 1)),
    );
  });

  it('shows a resumed transaction its pending appends, and validates the prefix', async () => {
    const tx = await client.beginTransaction();
    await tx.append({ agentId: 'a', prefix: 'p:', value: { v: 1 } });
    const resumed = await client.resumeTransaction(tx.id);
    expect(resumed.mutations).toEqual([
      { type: 'append', agentId: 'a', key: null, prefix: 'p:', value: { v: 1 } },
    ]);
    await expect(
      tx.append({ agentId: 'a', prefix: 'x'.repeat(245), value: {} }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(tx.append({ agentId: 'a', prefix: 'bad\n', value: {} })).rejects.toMatchObject({
      field: 'prefix',
    });
    await tx.commit();
  });
});
