import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MARKS_INCLUDE, marksInclude, scriptDefinitions } from '../commands/scripts';
import { MARKS, RANGE_END } from './marks';

const SRC = join(__dirname, '..');
const COMMANDS = join(SRC, 'commands');
/** The one place where control bytes are written out. */
const MARKS_MODULE = join(__dirname, 'marks.ts');

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(ext))
    .map((file) => join(dir, file));
}

// Raw control bytes in a source file's lines, but for the tabs and carriage returns of its layout.
const RAW_CONTROL = /(?![\t\r])\p{Cc}/u;

/**
 * Control bytes written out in Lua: any numeric escape (a printable byte has no reason to be one),
 * the letter escapes of control bytes (`\n`, `\t`, ...), and bytes as numbers (`string.byte`,
 * `string.char`): scripts compare a field's first byte as a string, with a mark's name.
 */
const LUA_LITERALS = [
  /\\\d/,
  /\\x[0-9a-fA-F]/,
  /\\u\{/,
  /\\[abfnrtvz]/,
  /\bstring\.(?:byte|char)\b/,
];

/**
 * Control bytes written out in TypeScript: `\0`, hex and Unicode escapes below 0x20 (and DEL), and
 * bytes built from numbers. `\n` and `\t` stay allowed here: they are everyday text in messages.
 */
const TS_LITERALS = [
  /(?<!\\)(?:\\\\)*\\(?:0|x[01][0-9a-fA-F]|x7[fF]|u00[01][0-9a-fA-F]|u007[fF]|u\{0*[01]?[0-9a-fA-F]\})/,
  /\bfromCharCode\(\s*(?:[0-9]|[12][0-9]|3[01]|0x[01]?[0-9a-fA-F])\s*\)/,
  /\b(?:charCodeAt|codePointAt)\([^)]*\)\s*[!=]==?\s*(?:[0-9]|[12][0-9]|3[01]|0x[01]?[0-9a-fA-F])\b/,
  /\bBuffer\.from\(\[\s*(?:\d|0x)/,
];

function offences(text: string, patterns: RegExp[]): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => RAW_CONTROL.test(line) || patterns.some((p) => p.test(line)))
    .map(({ line, n }) => `${n}: ${line.trim()}`);
}

/** The engine's scripts, and the server's own (loaded by the same readScriptFolder). */
const SERVER_COMMANDS = join(
  SRC,
  '..',
  '..',
  '..',
  'apps',
  'server',
  'src',
  'statehouse',
  'commands',
);
const luaFiles = [...filesUnder(COMMANDS, '.lua'), ...filesUnder(SERVER_COMMANDS, '.lua')];
const tsFiles = filesUnder(SRC, '.ts').filter(
  (file) => file !== MARKS_MODULE && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts'),
);

describe('the marks', () => {
  it('keep the bytes stored today (changing one breaks every namespace already written)', () => {
    const bytes = Object.fromEntries(
      Object.entries(MARKS).map(([name, mark]) => [name, [...Buffer.from(mark, 'utf8')]]),
    );
    expect(bytes).toEqual({
      SEPARATOR: [0],
      REPLAY_SEPARATOR: [1],
      CONDITION_MARK: [1],
      MEMBERSHIP_MARK: [2],
      MEMBERSHIP_CONDITION_MARK: [3],
      APPEND_COUNTER_SEPARATOR: [3],
      APPEND_MARK: [4],
      EVER_SEPARATOR: [5],
      AGENT_MARK: [6],
      HORIZON_MARK: [7],
      APPENDED_KEY_SEPARATOR: [9],
      APPENDED_LINE_SEPARATOR: [10],
    });
    expect(RANGE_END).toBe(255);
  });

  it('are one byte each, never a byte a validated name may hold', () => {
    for (const mark of Object.values(MARKS)) {
      expect(Buffer.byteLength(mark, 'utf8')).toBe(1);
      expect(mark).toMatch(/^\p{Cc}$/u);
    }
  });

  it('reach Lua as locals of the same names and bytes, one per mark', () => {
    const locals = [...marksInclude().matchAll(/^local (\w+) = '((?:\\\d{3})+)'$/gm)].map(
      ([, name, escapes]) => [name, escapes!.split('\\').slice(1).map(Number)],
    );
    expect(Object.fromEntries(locals)).toEqual(
      Object.fromEntries(
        Object.entries(MARKS).map(([name, mark]) => [name, [...Buffer.from(mark, 'utf8')]]),
      ),
    );
    expect(locals).toHaveLength(Object.keys(MARKS).length);
  });
});

describe('no control byte is written out outside storage/marks.ts', () => {
  it('finds scripts and code to check', () => {
    expect(luaFiles.length).toBeGreaterThan(10);
    expect(tsFiles.length).toBeGreaterThan(30);
  });

  it.each(luaFiles.map((file) => [relative(SRC, file), file]))('%s', (_, file) => {
    expect(offences(readFileSync(file, 'utf8'), LUA_LITERALS)).toEqual([]);
  });

  it.each(tsFiles.map((file) => [relative(SRC, file), file]))('%s', (_, file) => {
    expect(offences(readFileSync(file, 'utf8'), TS_LITERALS)).toEqual([]);
  });

  // The checks themselves: each spelling of a mark that was ever in the tree is caught.
  it.each([
    "local replayTs = '\\1' .. string.format('%016d', commitTs)",
    "string.find(field, '\\0', 1, true)",
    'string.byte(field, 1) == 3',
    'local c = string.char(2)',
    "return table.concat(appended, '\\n')",
    "op.append .. '\\t' .. key",
    "local x = '\\x04'",
    `local raw = 'a${'\u0002'}'`,
  ])('catches Lua %j', (line) => {
    expect(offences(line, LUA_LITERALS)).toHaveLength(1);
  });

  it.each([
    "export const APPEND_MARK = '\\u0004';",
    'const record = `${agentId}\\u0000${key}`;',
    'if (field.charCodeAt(0) === 1) continue;',
    "const sep = '\\0';",
    "const sep = '\\x01';",
    "const sep = '\\u{5}';",
    'const mark = String.fromCharCode(3);',
    'Buffer.from([0xff])',
    `const raw = 'a${'\u0001'}'`,
  ])('catches TypeScript %j', (line) => {
    expect(offences(line, TS_LITERALS)).toHaveLength(1);
  });

  it.each([
    'local prefix = agent .. SEPARATOR -- agentId NUL key',
    'if string.sub(field, 1, 1) == CONDITION_MARK then',
    "string.format('%012d', n) .. '\\\\'",
  ])('lets Lua %j pass', (line) => {
    expect(offences(line, LUA_LITERALS)).toEqual([]);
  });

  it.each([
    "lines.join('\\n')",
    "const escaped = '\\\\0';",
    'if (c === 10) return;',
    'text.charCodeAt(i) === QUOTE',
  ])('lets TypeScript %j pass', (line) => {
    expect(offences(line, TS_LITERALS)).toEqual([]);
  });
});

describe('every script', () => {
  const used = new RegExp(`\\b(?:${Object.keys(MARKS).join('|')})\\b`);
  const code = (lua: string): string => lua.replace(/--\[\[[\s\S]*?\]\]|--[^\n]*/g, '');
  const prelude = marksInclude();

  it.each(scriptDefinitions().map(({ command, lua }) => [command, lua]))(
    '%s includes the marks before any use of one, and only if it uses one',
    (_, lua) => {
      const at = lua.indexOf(prelude);
      if (at < 0) {
        expect(code(lua)).not.toMatch(used);
      } else {
        expect(code(lua.slice(0, at))).not.toMatch(used);
        expect(code(lua.slice(at + prelude.length))).toMatch(used);
      }
    },
  );

  it(`finds the marks where a script says --- @include "${MARKS_INCLUDE}"`, () => {
    const withMarks = scriptDefinitions().filter(({ lua }) => lua.includes(prelude));
    expect(withMarks.map(({ command }) => command)).toContain('statehouseCommitTransactions');
  });
});
