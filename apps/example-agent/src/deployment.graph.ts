// A LangGraph.js agent with no model: `plan` asks for a health check, LangGraph's ToolNode runs
// it, `approval` waits for a human with interrupt(), `deploy` acts on the decision. Its
// checkpointer decides where every step is kept (StatehouseSaver in this app).
import { AIMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import {
  Annotation,
  END,
  MessagesAnnotation,
  START,
  StateGraph,
  interrupt,
} from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { ToolNode } from '@langchain/langgraph/prebuilt';

export interface DeploymentDecision {
  readonly approved: boolean;
  readonly by: string;
}

export const DeploymentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  service: Annotation<string>(),
  decision: Annotation<DeploymentDecision | null>({
    reducer: (_, next) => next,
    default: () => null,
  }),
  outcome: Annotation<string | null>({ reducer: (_, next) => next, default: () => null }),
});

const healthCheck = tool(
  ({ service }: { service: string }) => `${service}: 3/3 instances healthy, error rate 0.1%`,
  {
    name: 'health_check',
    description: 'The health of the running instances of a service',
    schema: {
      type: 'object',
      properties: { service: { type: 'string' } },
      required: ['service'],
    },
  },
);

export function buildDeploymentGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(DeploymentState)
    .addNode('plan', (state) => ({
      messages: [
        new AIMessage({
          content: `checking ${state.service} before deploying it`,
          tool_calls: [{ id: 'health', name: 'health_check', args: { service: state.service } }],
        }),
      ],
    }))
    .addNode('tools', new ToolNode([healthCheck]))
    .addNode('approval', (state) => {
      const health = state.messages[state.messages.length - 1]?.text ?? '';
      const decision = interrupt<{ question: string }, DeploymentDecision>({
        question: `deploy ${state.service}? ${health}`,
      });
      return { decision };
    })
    .addNode('deploy', (state) => ({
      outcome: state.decision?.approved
        ? `deployed ${state.service}`
        : `not deployed: rejected by ${state.decision?.by ?? 'nobody'}`,
    }))
    .addEdge(START, 'plan')
    .addEdge('plan', 'tools')
    .addEdge('tools', 'approval')
    .addEdge('approval', 'deploy')
    .addEdge('deploy', END)
    .compile({ checkpointer });
}
