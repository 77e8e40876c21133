// Copies the Lua scripts next to the compiled JavaScript of each library (tsc copies only .ts output).
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
for (const lib of readdirSync(join(root, 'libs'))) {
  const from = join(root, 'libs', lib, 'src', 'commands');
  if (!existsSync(from)) continue;
  cpSync(from, join(root, 'libs', lib, 'dist', 'commands'), {
    recursive: true,
    filter: (path) => !path.endsWith('.ts'),
  });
}
