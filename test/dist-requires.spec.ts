import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// Fixtures, scripts and benchmarks that load built code (`require('../../dist/x/y')`) name a
// compiled file. A moved source leaves its old output in an existing dist/ until dist/ is removed,
// so a stale path works on a developer's machine and fails on a fresh clone. Every such path must
// name a source file that exists now.

const ROOT = join(__dirname, '..');
const SKIP = new Set(['node_modules', 'dist', '.git', 'data']);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return /\.(c|m)?js$/.test(entry.name) ? [path] : [];
  });
}

/** `<pkg>/dist/<rest>` → `<pkg>/src/<rest>`: the .ts file, or the folder's index.ts. */
function sourceOf(distPath: string): string | undefined {
  const source = distPath.replace(/([/\\])dist([/\\]|$)/, '$1src$2').replace(/\.js$/, '');
  return [`${source}.ts`, join(source, 'index.ts')].find((candidate) => existsSync(candidate));
}

const loaders = [
  ...['libs', 'apps'].flatMap((top) =>
    readdirSync(join(ROOT, top)).flatMap((pkg) => {
      const tests = join(ROOT, top, pkg, 'test');
      return existsSync(tests) ? filesUnder(tests) : [];
    }),
  ),
  ...['test', 'scripts', 'bench'].flatMap((dir) => filesUnder(join(ROOT, dir))),
];

/** Every path into a dist/ folder a file loads: relative requires, and join(root, '…/dist/…'). */
function distPaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const relativeRequires = [...text.matchAll(/require\('(\.{1,2}\/[^']*\bdist\b[^']*)'\)/g)].map(
    (m) => resolve(dirname(file), m[1]!),
  );
  const fromRoot = [...text.matchAll(/join\(root, '((?:libs|apps)\/[^']*\/dist\/[^']+)'\)/g)].map(
    (m) => join(ROOT, m[1]!),
  );
  return [...relativeRequires, ...fromRoot];
}

it('finds the loaders of built code (the check has something to check)', () => {
  expect(loaders.filter((file) => distPaths(file).length > 0).length).toBeGreaterThan(2);
});

it.each(loaders.map((file) => [relative(ROOT, file), file]))(
  '%s loads only built files whose source exists',
  (_, file) => {
    const missing = distPaths(file).filter((path) => sourceOf(path) === undefined);
    expect(missing.map((path) => relative(ROOT, path))).toEqual([]);
  },
);
