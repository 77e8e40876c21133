// `@langchain/langgraph/prebuilt` is exported through its package's `exports` only, which the
// repository's `node10` module resolution does not read; Node resolves it at run time.
declare module '@langchain/langgraph/prebuilt' {
  export { ToolNode } from '@langchain/langgraph/dist/prebuilt/tool_node';
}
