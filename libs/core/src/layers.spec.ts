// The engine's layers, read from the import statements of its sources (an architecture test):
//
//   client/ ──▶ transaction/ ──▶ storage/ ──▶ commands/ ──▶ model/
//
// storage/ never imports from transaction/ or client/ (the back arrow a commit's path had), model/
// imports no other folder of the engine, and index.ts exports nothing from the transaction's
// internal backends.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = __dirname;

/** Every module a source file names: `import`/`export ... from`, `import()` and `require()`. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

/** The folder of libs/core/src a relative import of `file` lands in ('' for src itself). */
function folderOf(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = relative(SRC, resolve(dirname(file), specifier));
  return target.includes('/') ? target.split('/')[0]! : '';
}

function sourcesIn(folder: string): string[] {
  return readdirSync(join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => join(SRC, folder, file));
}

/** `file → specifier` for every import of the folder's sources that lands in a forbidden folder. */
function crossings(folder: string, forbidden: (target: string) => boolean): string[] {
  const found: string[] = [];
  for (const file of sourcesIn(folder)) {
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const target = folderOf(file, specifier);
      if (target !== null && forbidden(target)) {
        found.push(`${relative(SRC, file)} → ${specifier}`);
      }
    }
  }
  return found;
}

describe('the layers of @statehouse/core', () => {
  it('reads every kind of import statement', () => {
    const source = [
      "import { a } from '../transaction/transaction';",
      "import type { B } from '../client/statehouse';",
      "export { c } from '../transaction/c';",
      "import {\n  d,\n  e,\n} from '../model/d';",
      "import './side-effect';",
      "const f = require('../client/f');",
      "const g = await import('../transaction/g');",
      "const text = 'import nothing from here';",
    ].join('\n');
    expect(importsOf(source).sort()).toEqual(
      [
        '../transaction/transaction',
        '../client/statehouse',
        '../transaction/c',
        '../model/d',
        './side-effect',
        '../client/f',
        '../transaction/g',
      ].sort(),
    );
  });

  it('finds the folder an import lands in', () => {
    const file = join(SRC, 'storage', 'keys.ts');
    expect(folderOf(file, '../transaction/transaction')).toBe('transaction');
    expect(folderOf(file, './marks')).toBe('storage');
    expect(folderOf(file, '../index')).toBe('');
    expect(folderOf(file, '@statehouse/contract')).toBeNull();
  });

  it('storage/ imports nothing from transaction/ or client/', () => {
    expect(sourcesIn('storage').length).toBeGreaterThan(5);
    expect(
      crossings('storage', (target) => target === 'transaction' || target === 'client'),
    ).toEqual([]);
  });

  it('commands/ imports nothing from transaction/ or client/', () => {
    expect(
      crossings('commands', (target) => target === 'transaction' || target === 'client'),
    ).toEqual([]);
  });

  it('model/ imports no other folder of the engine', () => {
    expect(sourcesIn('model').length).toBeGreaterThan(1);
    expect(crossings('model', (target) => target !== 'model')).toEqual([]);
  });

  it('index.ts exports nothing from the internal transaction backends', () => {
    const exported = importsOf(readFileSync(join(SRC, 'index.ts'), 'utf8'));
    expect(exported).toContain('./transaction/transaction');
    expect(exported.filter((specifier) => specifier.includes('/backends/'))).toEqual([]);
  });
});
