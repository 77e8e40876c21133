import {
  Annotation,
  Command,
  END,
  MemorySaver,
  START,
  Send,
  StateGraph,
  interrupt,
  type BaseCheckpointSaver,
} from '@langchain/langgraph';
import { StatehouseSaver } from '@statehouse/langgraph';
import { closeClients, connectClient } from '../../core/test/support/statehouse';

// Graphs LangGraph checkpoints in more than one namespace at once (a subgraph that interrupts,
// Send fan-out), run on StatehouseSaver and on LangGraph's MemorySaver: the same answers and
// the same history, whatever the durability mode.

afterAll(closeClients);

const State = Annotation.Root({
  items: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  n: Annotation<number>(),
});

function build(checkpointer: BaseCheckpointSaver) {
  const child = new StateGraph(State)
    .addNode('a', () => ({ items: ['child-a'] }))
    .addNode('ask', () => ({ items: [`answer:${interrupt<string, string>('child question')}`] }))
    .addEdge(START, 'a')
    .addEdge('a', 'ask')
    .addEdge('ask', END)
    .compile();
  return new StateGraph(State)
    .addNode('first', () => ({ items: ['first'] }))
    .addNode('child', child)
    .addNode('fan', (state) => ({ items: [`fan${state.n}`] }))
    .addConditionalEdges('first', () => [
      new Send('fan', { n: 1 }),
      new Send('fan', { n: 2 }),
      'child',
    ])
    .addEdge(START, 'first')
    .addEdge('child', END)
    .addEdge('fan', END)
    .compile({ checkpointer });
}

async function run(checkpointer: BaseCheckpointSaver, durability: 'sync' | 'async' | 'exit') {
  const graph = build(checkpointer);
  const config = { configurable: { thread_id: `t-${durability}` }, durability };
  await graph.invoke({ items: [] }, config);
  const paused = await graph.getState(config, { subgraphs: true });
  const done = await graph.invoke(new Command({ resume: 'yes' }), config);
  const history = [];
  for await (const snapshot of graph.getStateHistory(config)) {
    history.push({
      step: snapshot.metadata?.step,
      next: snapshot.next,
      items: (snapshot.values as typeof State.State).items,
    });
  }
  return {
    paused: paused.tasks.map((task) => [task.name, task.interrupts.map((i) => i.value as unknown)]),
    items: done.items,
    history,
  };
}

it.each(['sync', 'async', 'exit'] as const)(
  'a subgraph interrupt and a Send fan-out (durability %s): as with MemorySaver',
  async (durability) => {
    const saver = new StatehouseSaver(await connectClient());
    const ours = await run(saver, durability);
    expect(ours).toEqual(await run(new MemorySaver(), durability));
    expect(ours.items).toContain('answer:yes');
    expect(ours.paused).toContainEqual(['child', ['child question']]);
    // the subgraph checkpointed in its own checkpoint namespace, in the same thread
    const namespaces = new Set<string>();
    for await (const tuple of saver.list({ configurable: { thread_id: `t-${durability}` } })) {
      namespaces.add(tuple.config.configurable?.checkpoint_ns as string);
    }
    expect(namespaces.size).toBe(2);
  },
);
