// Which Node.js versions we declare, checked against what our packages really pull in: every
// runtime dependency must accept the supported LTS lines (22 and 24), and the only ones that refuse
// Node.js 20 (which still runs everything, past its end of life) are the documented exceptions.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { satisfies } from 'semver';

const root = join(__dirname, '..');
const PACKAGES = [
  'libs/core',
  'libs/client',
  'libs/nestjs',
  'libs/testing',
  'libs/langgraph',
  'apps/server',
  'apps/cli',
];
/** Pulled by @nestjs/common 12 for its file-upload validators, which Statehouse does not use. */
const NEEDS_NODE_22 = ['file-type'];

interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const read = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where Node finds `name` from `dir`: the nearest node_modules up the tree. */
function locate(name: string, dir: string): string | null {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (at === dirname(at)) return null;
  }
}

/** Every package our packages load at run time (dependencies, installed optional and peer ones). */
function runtimeClosure(): Map<string, Manifest> {
  const seen = new Map<string, Manifest>();
  const queue = PACKAGES.map((p) => join(root, p));
  while (queue.length) {
    const dir = queue.pop()!;
    const manifest = read(dir);
    const names = Object.keys({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    });
    for (const name of names) {
      const found = locate(name, dir);
      if (!found || seen.has(found)) continue; // an optional or peer dependency not installed
      seen.set(found, read(found));
      queue.push(found);
    }
  }
  return seen;
}

it('declares one Node.js range in every package, and the server image runs a supported Node.js', () => {
  for (const dir of [
    '.',
    'libs/core',
    'libs/client',
    'libs/nestjs',
    'libs/testing',
    'libs/langgraph',
  ]) {
    expect({ dir, engines: read(join(root, dir)).engines }).toEqual({
      dir,
      engines: { node: '>=20.18.1' },
    });
  }
  const dockerfile = readFileSync(join(root, 'docker/server/Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^ARG BASE_IMAGE=node:(22|24)-bookworm-slim$/m);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  expect(readme).toContain('Supported Node.js versions');
});

it('pulls in no runtime dependency that refuses Node.js 22 or 24, and only the known ones refuse 20', () => {
  const closure = [...runtimeClosure().values()];
  expect(closure.length).toBeGreaterThan(50); // the walk found the tree (NestJS, ioredis, BullMQ...)
  const refusing = (version: string): string[] =>
    closure
      .filter((m) => m.engines?.node && !satisfies(version, m.engines.node))
      .map((m) => `${m.name}@${m.version} (${m.engines!.node})`);
  expect(refusing('22.12.0')).toEqual([]);
  expect(refusing('24.0.0')).toEqual([]);
  const refusing20 = [...new Set(refusing('20.18.1').map((entry) => entry.split('@')[0]))];
  expect(refusing20.sort()).toEqual(NEEDS_NODE_22);
});
