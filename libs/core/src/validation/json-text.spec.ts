import { ValidationError } from '@statehouse/contract';
import { checkJsonText, parseJsonText } from './json-text';
import { MAX_VALUE_DEPTH } from '@statehouse/contract';

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parseJsonText', () => {
  it('parses what JSON.parse parses, keeping __proto__ as an ordinary key', () => {
    const text = '{"a":[1,-2.5e3,"x\\"y",true,null,{"b":{}}],"__proto__":{"p":1},"s":"[[[{"}';
    const value = parseJsonText(text, 'value') as Record<string, unknown>;
    expect(value).toEqual(JSON.parse(text));
    expect(Object.keys(value)).toContain('__proto__');
  });

  it('refuses integer literals beyond 2^53 - 1 and names their path; floats and safe integers pass', () => {
    const big = refusal(() => parseJsonText('{"a":{"list":[0,{"id":9007199254740993}]}}', 'value'));
    expect(big.field).toBe('value.a.list[1].id');
    expect(big.rule).toContain('9007199254740993');
    expect(big.rule).toContain('as a string');
    expect(refusal(() => parseJsonText('{"n":-9007199254740992}', 'body')).field).toBe('body.n');
    expect(parseJsonText('{"n":9007199254740991,"m":-9007199254740991}', 'v')).toEqual({
      n: Number.MAX_SAFE_INTEGER,
      m: -Number.MAX_SAFE_INTEGER,
    });
    expect(parseJsonText('{"f":9007199254740993.0,"e":1e300,"s":"9007199254740993"}', 'v')).toEqual(
      { f: 9007199254740992, e: 1e300, s: '9007199254740993' },
    );
    // a key that looks like a number, and escaped quotes in keys, are not numbers
    expect(refusal(() => parseJsonText('{"k\\"1":12345678901234567890}', 'v')).field).toBe('v.k"1');
  });

  it(`refuses nesting beyond ${MAX_VALUE_DEPTH} levels, however deep, without recursion`, () => {
    const deep = (n: number) => `${'{"a":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}`;
    expect(() => parseJsonText(deep(MAX_VALUE_DEPTH), 'value_json')).not.toThrow();
    const error = refusal(() => parseJsonText(deep(MAX_VALUE_DEPTH + 1), 'value_json'));
    expect(error.field).toBe('value_json');
    expect(error.rule).toContain(`at most ${MAX_VALUE_DEPTH} levels deep`);
    expect(refusal(() => parseJsonText('['.repeat(1_000_000), 'value_json')).field).toBe(
      'value_json',
    );
    expect(() => checkJsonText(deep(40), 'body', 40)).not.toThrow();
  });

  it('answers text that is not JSON with a ValidationError', () => {
    expect(refusal(() => parseJsonText('{"a":', 'value_json')).rule).toContain('not valid JSON');
  });
});
