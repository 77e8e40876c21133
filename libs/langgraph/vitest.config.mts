// The official LangGraph checkpointer suite (validation/), run by `npm test` after jest.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true, // @langchain/langgraph-checkpoint-validation's validate() needs them
    include: ['validation/**/*.vitest.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
