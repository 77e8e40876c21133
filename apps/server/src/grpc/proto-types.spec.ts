import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LOADER_OPTIONS } from './grpc-server';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'proto-types.mjs');
const GENERATED = ['apps/server/src/grpc/generated', 'libs/contract/src/generated'];

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return found;
}

describe('generated gRPC types (npm run proto:types)', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'proto-types-'));
    execFileSync(process.execPath, [SCRIPT, '--out', out], { cwd: ROOT });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each(GENERATED)('%s is what the .proto generates (else run npm run proto:types)', (dir) => {
    const committed = files(join(ROOT, dir));
    const fresh = files(join(out, dir));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [file, text] of fresh) {
      expect({ file, text: committed.get(file) }).toEqual({ file, text });
    }
  });

  it('assume the options the services are loaded with', () => {
    const generatedWith = JSON.parse(
      execFileSync(process.execPath, [SCRIPT, '--print-options'], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    const { includeDirs, ...options } = LOADER_OPTIONS;
    expect(includeDirs).toHaveLength(2);
    // `longs: Number` and `enums: String` are constructors here, names on the generator's command line.
    expect(
      Object.fromEntries(
        Object.entries(options).map(([name, value]) => [
          name,
          typeof value === 'function' ? value.name : value,
        ]),
      ),
    ).toEqual(generatedWith);
  });
});
