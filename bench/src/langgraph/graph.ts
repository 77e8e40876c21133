// The LangGraph bench's graph: no model, no network. `plan` asks for two tool calls, LangGraph's
// ToolNode runs them (`quote`, `stock`), `review` reads their answers, `reply` writes the result.
// Four nodes, so four graph steps a run; with `durability: 'sync'` every step's checkpoint is
// committed before the next step starts (what a replica that may die mid-run needs).
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Annotation, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { ToolNode } from '@langchain/langgraph/prebuilt';

/** Nodes a run executes: plan, tools, review, reply. */
export const STEPS_PER_RUN = 4;

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  item: Annotation<string>(),
  total: Annotation<number | null>({ reducer: (_, next) => next, default: () => null }),
  result: Annotation<string | null>({ reducer: (_, next) => next, default: () => null }),
});

/** The deterministic price of an item: its character codes summed. */
const price = (item: string) => [...item].reduce((sum, c) => sum + c.charCodeAt(0), 0);
const schema = {
  type: 'object',
  properties: { item: { type: 'string' } },
  required: ['item'],
} as const;

const quote = tool(({ item }: { item: string }) => String(price(item)), {
  name: 'quote',
  description: 'The price of an item, in EUR',
  schema,
});
const stock = tool(({ item }: { item: string }) => String(item.length % 7), {
  name: 'stock',
  description: 'How many of an item are in stock',
  schema,
});

const text = (message: BaseMessage | undefined) =>
  typeof message?.content === 'string' ? message.content : '';

export function buildBenchGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode('plan', (state) => ({
      messages: [
        new AIMessage({
          content: `looking up ${state.item}`,
          tool_calls: [
            { id: 'quote', name: 'quote', args: { item: state.item } },
            { id: 'stock', name: 'stock', args: { item: state.item } },
          ],
        }),
      ],
    }))
    .addNode('tools', new ToolNode([quote, stock]))
    .addNode('review', (state) => {
      const [unit, count] = state.messages.slice(-2).map((m) => Number(text(m)));
      return { total: (unit ?? 0) * Math.max(1, count ?? 0) };
    })
    .addNode('reply', (state) => ({
      result: expectedResult(state.item),
      messages: [new AIMessage(`${state.item}: ${state.total} EUR`)],
    }))
    .addEdge(START, 'plan')
    .addEdge('plan', 'tools')
    .addEdge('tools', 'review')
    .addEdge('review', 'reply')
    .addEdge('reply', END)
    .compile({ checkpointer });
}

export type BenchGraph = ReturnType<typeof buildBenchGraph>;

export const graphInput = (item: string) => ({ item, messages: [new HumanMessage(item)] });

/** What `reply` leaves in `result` for an item: a run's answer, checked after every run. */
export function expectedResult(item: string): string {
  return `${item}: ${price(item) * Math.max(1, item.length % 7)} EUR`;
}
