// The official LangGraph checkpointer suite (test/*.vitest.ts), run by `npm test` after jest.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true, // @langchain/langgraph-checkpoint-validation's validate() needs them
    include: ['test/**/*.vitest.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
