import { emptyCheckpoint, uuid6, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import { ValidationError } from '@statehouse/core';
import { StatehouseSaver } from '@statehouse/langgraph';
import {
  closeClients,
  collect,
  connectClient,
  uniqueNamespace,
} from '../../core/test/support/statehouse';
import { describeSaverSuite } from './support/saver-suite';

afterAll(closeClients);

describeSaverSuite('the embedded engine', () => connectClient());

const META: CheckpointMetadata = { source: 'loop', step: 0, parents: {} };

function checkpoint(values: Record<string, unknown> = {}) {
  const cp = emptyCheckpoint();
  cp.id = uuid6(-1);
  cp.channel_values = values;
  cp.channel_versions = Object.fromEntries(Object.keys(values).map((k) => [k, 1]));
  return cp;
}

it('a value over the engine’s maxValueBytes: a ValidationError naming the channel, nothing written', async () => {
  const s = new StatehouseSaver(await connectClient({ maxValueBytes: 4096 }), {
    namespace: uniqueNamespace('lg'),
  });
  const big = checkpoint({ small: 'ok', messages: ['x'.repeat(10_000)] });
  const put = s.put({ configurable: { thread_id: 't' } }, big, META, { small: 1, messages: 1 });
  await expect(put).rejects.toBeInstanceOf(ValidationError);
  await expect(put).rejects.toMatchObject({ field: 'checkpoint.channel_values.messages' });
  await expect(put).rejects.toThrow(/at most 4096 bytes/);
  expect(await collect(s.list({}))).toEqual([]);
  const config = await s.put({ configurable: { thread_id: 't' } }, checkpoint(), META, {});
  const writes = s.putWrites(config, [['big', 'y'.repeat(10_000)]], 'task');
  await expect(writes).rejects.toMatchObject({ field: 'writes[0]' });
});
