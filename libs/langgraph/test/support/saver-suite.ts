import {
  emptyCheckpoint,
  uuid6,
  type Checkpoint,
  type CheckpointMetadata,
} from '@langchain/langgraph-checkpoint';
import { ValidationError, type StatehouseApi } from '@statehouse/contract';
import {
  CheckpointNotFoundError,
  StatehouseSaver,
  UnserializableValueError,
} from '@statehouse/langgraph';
import { collect, uniqueNamespace } from '../../../core/test/support/statehouse';

// What LangGraph's own suite (official-suite.vitest.ts) does not check: the layout in Statehouse,
// one transaction per put, bad input refused with nothing written, long threads deleted, racing
// puts. Run on the embedded engine (statehouse-saver.test.ts) and on the network client through
// a server process (test/e2e/langgraph/network-client.test.ts).

const META: CheckpointMetadata = { source: 'loop', step: 0, parents: {} };

function checkpoint(values: Record<string, unknown> = {}): Checkpoint {
  const cp = emptyCheckpoint();
  cp.id = uuid6(-1);
  cp.channel_values = values;
  cp.channel_versions = Object.fromEntries(Object.keys(values).map((k) => [k, 1]));
  return cp;
}

async function everything(s: StatehouseSaver) {
  return collect(s.list({}));
}

/** The saver suite on the clients `connect` gives (the caller closes them). */
export function describeSaverSuite(name: string, connect: () => Promise<StatehouseApi>): void {
  async function saver(): Promise<{ client: StatehouseApi; saver: StatehouseSaver }> {
    const client = await connect();
    return { client, saver: new StatehouseSaver(client, { namespace: uniqueNamespace('lg') }) };
  }

  describe(`StatehouseSaver on ${name}`, () => {
    it('keeps a thread in agent "thread:<id>", and a put is one Statehouse commit', async () => {
      const { client, saver: s } = await saver();
      const cp = checkpoint({ messages: ['hi'] });
      await s.put({ configurable: { thread_id: 't/1' } }, cp, META, { messages: 1 });
      const events = await collect(
        client.replay({ namespace: s.namespace, agentId: 'thread:t/1' }),
      );
      expect(events).toHaveLength(1);
      expect(events[0]!.operations.map((op) => op.key).sort()).toEqual(
        [`blob//messages/${cp.id}`, `checkpoint//${cp.id}`, 'latest/'].sort(),
      );
      const index = await client.listKeys({ namespace: s.namespace, agentId: 'threads' });
      expect(index.keys).toEqual(['t/1']);
    });

    it('keeps thread ids, namespaces and channels with "/" and ":" apart', async () => {
      const { saver: s } = await saver();
      const put = (thread_id: string, checkpoint_ns: string, values: Record<string, unknown>) =>
        s.put({ configurable: { thread_id, checkpoint_ns } }, checkpoint(values), META, {
          [Object.keys(values)[0]!]: 1,
        });
      await put('a', 'x/y', { 'c/d': 1 });
      await put('a', 'x', { c: 2 });
      await put('a:b', '', { c: 3 });
      const values = async (thread_id: string, checkpoint_ns: string) =>
        (await s.getTuple({ configurable: { thread_id, checkpoint_ns } }))?.checkpoint
          .channel_values;
      expect(await values('a', 'x/y')).toEqual({ 'c/d': 1 });
      expect(await values('a', 'x')).toEqual({ c: 2 });
      expect(await values('a:b', '')).toEqual({ c: 3 });
      expect(await values('a', '')).toBeUndefined();
      expect(
        await collect(s.list({ configurable: { thread_id: 'a', checkpoint_ns: 'x' } })),
      ).toHaveLength(1);
    });

    it('lists newest first across threads, with filter, before and limit', async () => {
      const { saver: s } = await saver();
      const ids: string[] = [];
      for (const [thread, source] of [
        ['t1', 'input'],
        ['t1', 'loop'],
        ['t2', 'loop'],
      ] as const) {
        const parent = thread === 't1' && ids.length === 1 ? ids[0] : undefined;
        const cp = checkpoint();
        ids.push(cp.id);
        await s.put(
          { configurable: { thread_id: thread, checkpoint_id: parent } },
          cp,
          { ...META, source },
          {},
        );
      }
      const listed = async (config: object, options = {}) =>
        (await collect(s.list(config, options))).map((t) => t.checkpoint.id);
      expect(await listed({ configurable: { thread_id: 't1' } })).toEqual([ids[1], ids[0]]);
      expect(await listed({}, { filter: { source: 'loop' } })).toEqual([ids[1], ids[2]]);
      expect(
        await listed(
          { configurable: { thread_id: 't1' } },
          { before: { configurable: { checkpoint_id: ids[1] } } },
        ),
      ).toEqual([ids[0]]);
      expect(await listed({}, { limit: 1 })).toEqual([ids[1]]);
    });

    describe('bad input: a typed error, nothing written', () => {
      const cases: Array<[string, (s: StatehouseSaver) => Promise<unknown>, string]> = [
        [
          'put without configurable',
          (s) => s.put({}, checkpoint(), META, {}),
          'config.configurable.thread_id',
        ],
        [
          'put without thread_id',
          (s) => s.put({ configurable: { checkpoint_ns: '' } }, checkpoint(), META, {}),
          'config.configurable.thread_id',
        ],
        [
          'putWrites without thread_id',
          (s) => s.putWrites({ configurable: { checkpoint_id: 'c' } }, [['a', 1]], 'task'),
          'config.configurable.thread_id',
        ],
        [
          'putWrites without checkpoint_id',
          (s) => s.putWrites({ configurable: { thread_id: 't' } }, [['a', 1]], 'task'),
          'config.configurable.checkpoint_id',
        ],
        [
          'a thread_id with a control character',
          (s) => s.put({ configurable: { thread_id: 't\u0001' } }, checkpoint(), META, {}),
          'config.configurable.thread_id',
        ],
        [
          'an empty thread_id',
          (s) => s.put({ configurable: { thread_id: '' } }, checkpoint(), META, {}),
          'config.configurable.thread_id',
        ],
        [
          'a checkpoint_ns with a newline',
          (s) =>
            s.put(
              { configurable: { thread_id: 't', checkpoint_ns: 'a\nb' } },
              checkpoint(),
              META,
              {},
            ),
          'config.configurable.checkpoint_ns',
        ],
        [
          'a getTuple with a control character in the thread_id',
          (s) => s.getTuple({ configurable: { thread_id: '\u0000' } }),
          'config.configurable.thread_id',
        ],
        ['deleteThread of a control character', (s) => s.deleteThread('\u007f'), 'threadId'],
        [
          'a thread_id too long for a Statehouse key',
          (s) => s.put({ configurable: { thread_id: 'x'.repeat(300) } }, checkpoint(), META, {}),
          'config.configurable.thread_id',
        ],
      ];
      it.each(cases)('%s', async (_, call, field) => {
        const { saver: s } = await saver();
        const error = await call(s).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field });
        expect(await everything(s)).toEqual([]);
      });

      it('a put whose parent checkpoint_id is unknown: CheckpointNotFoundError', async () => {
        const { saver: s } = await saver();
        const first = await s.put({ configurable: { thread_id: 't' } }, checkpoint(), META, {});
        const unknown = uuid6(-1);
        const put = s.put(
          { configurable: { thread_id: 't', checkpoint_id: unknown } },
          checkpoint({ a: 1 }),
          META,
          { a: 1 },
        );
        await expect(put).rejects.toBeInstanceOf(CheckpointNotFoundError);
        await expect(put).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          checkpointId: unknown,
        });
        await expect(put).rejects.toThrow(unknown);
        const listed = await everything(s);
        expect(listed.map((t) => t.config)).toEqual([first]);
        expect((await s.getTuple({ configurable: { thread_id: 't' } }))!.config).toEqual(first);
      });

      it('getTuple of an unknown checkpoint id is undefined (LangGraph contract), not an error', async () => {
        const { saver: s } = await saver();
        await s.put({ configurable: { thread_id: 't' } }, checkpoint(), META, {});
        expect(
          await s.getTuple({ configurable: { thread_id: 't', checkpoint_id: 'nope' } }),
        ).toBeUndefined();
      });

      it('values the serde cannot encode: UnserializableValueError naming them', async () => {
        const { saver: s } = await saver();
        const put = s.put(
          { configurable: { thread_id: 't' } },
          checkpoint({ big: 2n ** 70n }),
          META,
          {
            big: 1,
          },
        );
        await expect(put).rejects.toBeInstanceOf(UnserializableValueError);
        await expect(put).rejects.toMatchObject({ field: 'checkpoint.channel_values.big' });
        expect(await everything(s)).toEqual([]);

        const config = await s.put({ configurable: { thread_id: 't' } }, checkpoint(), META, {});
        const writes = s.putWrites(
          config,
          [
            ['ok', 1],
            ['bad', { n: 1n }],
          ],
          'task',
        );
        await expect(writes).rejects.toMatchObject({
          name: 'UnserializableValueError',
          field: 'writes[1]',
        });
        expect((await s.getTuple(config))!.pendingWrites).toEqual([]);

        const throwing = new StatehouseSaver(await connect(), {
          namespace: s.namespace,
          serde: {
            dumpsTyped: () => Promise.reject(new Error('no encoding for you')),
            loadsTyped: () => Promise.resolve(null),
          },
        });
        await expect(
          throwing.put({ configurable: { thread_id: 'u' } }, checkpoint(), META, {}),
        ).rejects.toThrow(/cannot be encoded by the checkpoint serde: no encoding for you/);
        expect(await s.getTuple({ configurable: { thread_id: 'u' } })).toBeUndefined();
      });
    });

    it('a regular write already stored is kept; an interrupt replaces its predecessor', async () => {
      const { saver: s } = await saver();
      const config = await s.put({ configurable: { thread_id: 't' } }, checkpoint(), META, {});
      await s.putWrites(
        config,
        [
          ['out', 'first'],
          ['__interrupt__', 'one'],
        ],
        'task',
      );
      await s.putWrites(
        config,
        [
          ['out', 'second'],
          ['__interrupt__', 'two'],
        ],
        'task',
      );
      expect((await s.getTuple(config))!.pendingWrites).toEqual([
        ['task', '__interrupt__', 'two'],
        ['task', 'out', 'first'],
      ]);
    });

    it('deleteThread removes a thread of more records than one transaction holds', async () => {
      const { client, saver: s } = await saver();
      let config = await s.put({ configurable: { thread_id: 'long' } }, checkpoint(), META, {});
      const writes = Array.from({ length: 700 }, (_, i): [string, unknown] => [`ch${i}`, i]);
      await s.putWrites(config, writes.slice(0, 350), 'a');
      await s.putWrites(config, writes.slice(350), 'b');
      config = await s.put(config, checkpoint(), META, {});
      await s.put({ configurable: { thread_id: 'other' } }, checkpoint(), META, {});
      await s.deleteThread('long');
      expect(await s.getTuple({ configurable: { thread_id: 'long' } })).toBeUndefined();
      const left = await client.listKeys({ namespace: s.namespace, agentId: 'thread:long' });
      expect(left.keys).toEqual([]);
      expect((await everything(s)).map((t) => t.config.configurable?.thread_id as string)).toEqual([
        'other',
      ]);
    });

    it('two savers on one Redis (two replicas) see each other’s checkpoints', async () => {
      const namespace = uniqueNamespace('lg');
      const a = new StatehouseSaver(await connect(), { namespace });
      const b = new StatehouseSaver(await connect(), { namespace });
      const config = await a.put({ configurable: { thread_id: 't' } }, checkpoint({ x: 1 }), META, {
        x: 1,
      });
      expect((await b.getTuple({ configurable: { thread_id: 't' } }))!.config).toEqual(config);
    });

    it('puts racing on one thread from two savers: every checkpoint kept, the head is the greatest id', async () => {
      const namespace = uniqueNamespace('lg');
      const savers = [
        new StatehouseSaver(await connect(), { namespace }),
        new StatehouseSaver(await connect(), { namespace }),
      ];
      const checkpoints = Array.from({ length: 12 }, (_, i) => checkpoint({ n: i }));
      await Promise.all(
        checkpoints.map((cp, i) =>
          savers[i % 2]!.put({ configurable: { thread_id: 'race' } }, cp, META, { n: 1 }),
        ),
      );
      const listed = await collect(savers[0]!.list({ configurable: { thread_id: 'race' } }));
      const ids = checkpoints
        .map((cp) => cp.id)
        .sort()
        .reverse();
      expect(listed.map((t) => t.checkpoint.id)).toEqual(ids);
      for (const tuple of listed) {
        const own = checkpoints.find((cp) => cp.id === tuple.checkpoint.id)!;
        expect(tuple.checkpoint.channel_values).toEqual(own.channel_values);
      }
      const head = await savers[1]!.getTuple({ configurable: { thread_id: 'race' } });
      expect(head!.checkpoint.id).toBe(ids[0]);
    });
  });
}
