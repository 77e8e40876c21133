// Copies the Lua scripts next to the compiled JavaScript of each library (tsc copies only .ts output).
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
for (const lib of readdirSync(join(root, 'libs'))) {
  const from = join(root, 'libs', lib, 'src', 'commands');
  if (!existsSync(from)) continue;
  const to = join(root, 'libs', lib, 'dist', 'commands');
  // Drop scripts of earlier builds: a renamed script must not linger next to its successor.
  if (existsSync(to)) {
    for (const file of readdirSync(to)) if (file.endsWith('.lua')) rmSync(join(to, file));
  }
  cpSync(from, to, {
    recursive: true,
    filter: (path) => !path.endsWith('.ts'),
  });
}
