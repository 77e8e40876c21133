// Copies run-time assets next to the compiled JavaScript (tsc copies only .ts output): the Lua
// scripts of each library and the .proto files of each app.
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

// The Lua scripts of each app (apps/<app>/src/statehouse/commands), next to its compiled JavaScript.
for (const app of readdirSync(join(root, 'apps'))) {
  const from = join(root, 'apps', app, 'src', 'statehouse', 'commands');
  if (!existsSync(from)) continue;
  const to = join(root, 'apps', app, 'dist', 'statehouse', 'commands');
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

// The .proto files of each app, next to its compiled JavaScript (loaded at run time).
for (const app of readdirSync(join(root, 'apps'))) {
  const from = join(root, 'apps', app, 'src', 'grpc', 'proto');
  if (!existsSync(from)) continue;
  const to = join(root, 'apps', app, 'dist', 'grpc', 'proto');
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
