// Writes libs/core/src/commands/includes/transitions.lua from the transaction machine, through the
// compiled engine (`npm run generate:transitions` builds first). The file is committed;
// transitions-include.spec.ts fails when it and the machine disagree.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { transitionsInclude, TRANSITIONS_INCLUDE_FILE } = require(
  join(root, 'libs/core/dist/commands/transitions-include.js'),
);
const target = join(root, 'libs/core/src/commands', TRANSITIONS_INCLUDE_FILE);
writeFileSync(target, transitionsInclude());
console.log(`wrote ${target}`);
