// `@langchain/langgraph/prebuilt` is reachable through its package's `exports` only, which this
// repository's `moduleResolution: node10` does not read; its declarations, by file.
declare module '@langchain/langgraph/prebuilt' {
  export { ToolNode } from '@langchain/langgraph/dist/prebuilt/tool_node';
}
