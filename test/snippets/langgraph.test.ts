import { randomUUID } from 'node:crypto';
import { Annotation, Command, END, START, StateGraph, interrupt } from '@langchain/langgraph';
import { Statehouse } from '@statehouse/core';
import { StatehouseSaver, StatehouseStore } from '@statehouse/langgraph';

it('checkpoints a graph in Statehouse and resumes it after an interrupt', async () => {
  // The embedded engine; a StatehouseClient (@statehouse/client) on a server works the same.
  const statehouse = await Statehouse.connect({ redis: process.env.REDIS_URL!, namespace: 'blog' });
  const checkpointer = new StatehouseSaver(statehouse); // every checkpoint: one commit
  const store = new StatehouseStore(statehouse); // long-term memory, shared by every thread
  await store.put(['styles'], 'house', { tone: 'friendly' });

  const State = Annotation.Root({
    topic: Annotation<string>(),
    draft: Annotation<string>(),
    published: Annotation<boolean>(),
  });
  const graph = new StateGraph(State)
    .addNode('write', async (state, runtime) => {
      const style = await runtime.store?.get(['styles'], 'house');
      return { draft: `${state.topic}, in a ${style?.value.tone} tone` };
    })
    .addNode('review', () => ({ published: interrupt<string, boolean>('publish this draft?') }))
    .addEdge(START, 'write')
    .addEdge('write', 'review')
    .addEdge('review', END)
    .compile({ checkpointer, store });

  const thread = { configurable: { thread_id: randomUUID() } };
  await graph.invoke({ topic: 'Statehouse 1.0' }, thread); // runs until interrupt()
  const paused = await graph.getState(thread);
  expect(paused.next).toEqual(['review']);
  expect(paused.tasks[0]?.interrupts[0]?.value).toBe('publish this draft?');

  // Any replica on the same Redis resumes it: the thread's checkpoints are in Statehouse.
  const done = await graph.invoke(new Command({ resume: true }), thread);
  expect(done).toMatchObject({ draft: 'Statehouse 1.0, in a friendly tone', published: true });
  await statehouse.close();
});
