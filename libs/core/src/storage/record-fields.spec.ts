import { ValidationError } from '@statehouse/contract';
import { validateName } from '@statehouse/contract';
import {
  agentIndexMember,
  agentPrefix,
  prefixRange,
  recordField,
  TS_DIGITS,
  versionField,
} from './record-fields';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const byteOrder = (a: string, b: string): number => Buffer.compare(utf8(a), utf8(b));

/** Redis ZRANGEBYLEX semantics: `[` inclusive, `(` exclusive, bytes compared with memcmp. */
function inLexRange(member: string, [min, max]: [Buffer, Buffer]): boolean {
  const bound = (limit: Buffer): { inclusive: boolean; value: Buffer } => {
    const mark = String.fromCharCode(limit[0]!);
    if (mark !== '[' && mark !== '(')
      throw new Error(`not a lex bound: ${limit.toString('latin1')}`);
    return { inclusive: mark === '[', value: limit.subarray(1) };
  };
  const lower = bound(min);
  const upper = bound(max);
  const bytes = utf8(member);
  const fromLower = Buffer.compare(bytes, lower.value);
  const toUpper = Buffer.compare(bytes, upper.value);
  return (
    (lower.inclusive ? fromLower >= 0 : fromLower > 0) &&
    (upper.inclusive ? toUpper <= 0 : toUpper < 0)
  );
}

// Names chosen to collide under a naive encoding (`agent:key`, `agent/key`, concatenation).
const NAMES = [
  'a',
  'b',
  'c',
  'ab',
  'bc',
  'a:b',
  'b:c',
  ':',
  '::',
  'a/b',
  'b/c',
  'a b',
  'b c',
  '{a}',
  '*',
  'é',
  '😀',
  '1',
  '12',
];

describe('recordField', () => {
  it('gives distinct fields to distinct (agentId, key) pairs', () => {
    const pairs = NAMES.flatMap((agentId) => NAMES.map((key) => [agentId, key] as const));
    const fields = new Set(pairs.map(([agentId, key]) => recordField(agentId, key)));
    expect(fields.size).toBe(pairs.length);
  });

  it.each([
    [
      ['a:b', 'c'],
      ['a', 'b:c'],
    ],
    [
      ['a/b', 'c'],
      ['a', 'b/c'],
    ],
    [
      ['ab', 'c'],
      ['a', 'bc'],
    ],
    [
      ['a b', 'c'],
      ['a', 'b c'],
    ],
  ])('does not confuse %j with %j', ([agentA, keyA], [agentB, keyB]) => {
    expect(recordField(agentA!, keyA!)).not.toBe(recordField(agentB!, keyB!));
  });

  it('cannot be forged with the separator, because names with control characters are rejected', () => {
    // ('a', 'b') vs ('a\u0000b', ...) would need a NUL in a name.
    expect(() => validateName('a\u0000b', 'agentId')).toThrow(ValidationError);
    expect(() => validateName('b\u0000c', 'key')).toThrow(ValidationError);
  });

  it('starts with the agent prefix and gives the key back after it', () => {
    for (const agentId of NAMES) {
      for (const key of NAMES) {
        const field = recordField(agentId, key);
        expect(field.startsWith(agentPrefix(agentId))).toBe(true);
        expect(field.slice(agentPrefix(agentId).length)).toBe(key);
      }
    }
  });

  it("never starts with another agent's prefix", () => {
    for (const agentId of NAMES) {
      for (const other of NAMES.filter((name) => name !== agentId)) {
        for (const key of NAMES) {
          expect(recordField(other, key).startsWith(agentPrefix(agentId))).toBe(false);
        }
      }
    }
  });

  it('orders the fields of one agent in UTF-8 byte order of their keys', () => {
    const keys = [
      'b',
      'B',
      'a',
      'A',
      'Z',
      'z',
      '0',
      '9',
      '10',
      'é',
      'e',
      'ab',
      '😀',
      '\uff5a',
      'step:2',
      'step:10',
      'step/1',
    ];
    for (const agentId of ['agent', 'a:b', '😀']) {
      const byField = [...keys].sort((x, y) =>
        byteOrder(recordField(agentId, x), recordField(agentId, y)),
      );
      const byKey = [...keys].sort(byteOrder);
      expect(byField).toEqual(byKey);
    }
  });

  it('puts keys in the order listKeys promises, which is not JavaScript string order', () => {
    const keys = ['😀', 'é', 'b', '\uff5a', 'A', 'ab', '10', 'a', '9', 'Z', '0', 'B', 'z'];
    const sorted = keys
      .map((key) => recordField('agent', key))
      .sort(byteOrder)
      .map((field) => field.slice(agentPrefix('agent').length));
    // U+FF5A (EF BD 9A) before U+1F600 (F0 9F 98 80), although its UTF-16 unit is larger than D83D.
    expect(sorted).toEqual([
      '0',
      '10',
      '9',
      'A',
      'B',
      'Z',
      'a',
      'ab',
      'b',
      'z',
      'é',
      '\uff5a',
      '😀',
    ]);
    expect([...keys].sort()).not.toEqual(sorted);
  });
});

describe('versionField', () => {
  it('gives distinct fields to distinct (agentId, key, version) triples', () => {
    const names = ['a', 'b', '1', '12', 'a:1', 'a1'];
    const triples = names.flatMap((agentId) =>
      names.flatMap((key) => [1, 2, 12, 21].map((version) => [agentId, key, version] as const)),
    );
    const fields = new Set(
      triples.map(([agentId, key, version]) => versionField(agentId, key, version)),
    );
    expect(fields.size).toBe(triples.length);
  });

  it('starts with the record field of its record', () => {
    expect(versionField('agent', 'step:1', 3).startsWith(recordField('agent', 'step:1'))).toBe(
      true,
    );
    expect(versionField('agent', 'step:1', 3)).not.toBe(versionField('agent', 'step:13', 3));
  });
});

describe('prefixRange', () => {
  const members = [
    ...[
      'step',
      'step:',
      'step:1',
      'step:10',
      'step:2',
      'step:😀',
      'step:é',
      'step:\uffff',
      'step;',
      'stepx',
      'Step:1',
    ].map((key) => recordField('ag', key)),
    recordField('a', 'g'),
    recordField('ag2', 'step:1'),
    recordField('ag:x', 'step:1'),
    recordField('agx', 'step:1'),
  ];

  it('ends its upper bound with the raw byte 0xFF, which valid UTF-8 never contains', () => {
    const [, max] = prefixRange(agentPrefix('ag') + 'step:');
    expect(max[max.length - 1]).toBe(0xff);
    expect(max.subarray(0, -1).toString('utf8')).toBe(`(${agentPrefix('ag')}step:`);
    for (const member of members) expect(utf8(member).includes(0xff)).toBe(false);
  });

  it('starts inclusive at the prefix, or exclusive after the given member', () => {
    expect(prefixRange('p')[0].toString('utf8')).toBe('[p');
    expect(prefixRange('p', 'p1')[0].toString('utf8')).toBe('(p1');
  });

  it('covers exactly the members that start with the prefix', () => {
    const prefix = agentPrefix('ag') + 'step:';
    const range = prefixRange(prefix);
    const inside = members.filter((member) => inLexRange(member, range));
    expect(inside.sort(byteOrder)).toEqual(
      ['step:', 'step:1', 'step:10', 'step:2', 'step:é', 'step:\uffff', 'step:😀'].map((key) =>
        recordField('ag', key),
      ),
    );
  });

  it('covers every record of exactly one agent with an empty key prefix', () => {
    const range = prefixRange(agentPrefix('ag'));
    const inside = members.filter((member) => inLexRange(member, range));
    expect(inside).toHaveLength(11);
    expect(inside.every((member) => member.startsWith(agentPrefix('ag')))).toBe(true);
  });

  it('continues strictly after the last member of the previous page', () => {
    const prefix = agentPrefix('ag') + 'step:';
    const range = prefixRange(prefix, recordField('ag', 'step:10'));
    const inside = members.filter((member) => inLexRange(member, range)).sort(byteOrder);
    expect(inside).toEqual(
      ['step:2', 'step:é', 'step:\uffff', 'step:😀'].map((key) => recordField('ag', key)),
    );
  });
});

describe('agentIndexMember', () => {
  it(`pads commitTs to ${TS_DIGITS} digits after the agent prefix`, () => {
    expect(TS_DIGITS).toBe(16);
    expect(agentIndexMember('agent', 7)).toBe('agent\u00010000000000000007');
    expect(agentIndexMember('agent', Number.MAX_SAFE_INTEGER)).toBe('agent\u00019007199254740991');
  });

  it('orders members of one agent lexicographically exactly as their commitTs numerically', () => {
    const timestamps = [100, 9, 1, 10, 2, 99, 1000, 11, 123_456_789, Number.MAX_SAFE_INTEGER, 20];
    const lexicographic = timestamps
      .map((ts) => agentIndexMember('agent', ts))
      .sort(byteOrder)
      .map((member) => Number(member.slice(agentPrefix('agent').length)));
    expect(lexicographic).toEqual([...timestamps].sort((a, b) => a - b));
  });

  it("keeps an agent's replay range free of other agents' events", () => {
    const agents = ['a', 'ab', 'a b', 'a:', '😀'];
    const index = agents.flatMap((agentId) => [1, 5, 12, 20, 300].map((ts) => ({ agentId, ts })));
    const range: [Buffer, Buffer] = [
      utf8(`[${agentIndexMember('a', 5)}`),
      utf8(`[${agentIndexMember('a', 20)}`),
    ];
    const inside = index.filter(({ agentId, ts }) =>
      inLexRange(agentIndexMember(agentId, ts), range),
    );
    expect(inside).toEqual([
      { agentId: 'a', ts: 5 },
      { agentId: 'a', ts: 12 },
      { agentId: 'a', ts: 20 },
    ]);
  });
});
