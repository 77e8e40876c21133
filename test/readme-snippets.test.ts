import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Every code block of the README marked `<!-- snippet: <file> -->` is that file, verbatim, and the
// file is compiled and run by the test suite (test/snippets/): a README example that does not run
// is a defect.

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const MARKED = /<!-- snippet: (\S+) -->\n```(?:ts|typescript)\n([\s\S]*?)```/g;

it('shows each snippet exactly as the tested file', () => {
  const found = [...readme.matchAll(MARKED)];
  expect(found.map(([, file]) => file)).toEqual([
    'test/snippets/nestjs-module.ts',
    'test/snippets/testing-kit.test.ts',
    'apps/example-agent/test/readme.test.ts',
    'test/snippets/langgraph.test.ts',
  ]);
  for (const [, file, block] of found) {
    expect(block).toBe(readFileSync(join(root, file!), 'utf8'));
  }
});
