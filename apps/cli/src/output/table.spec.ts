import { displayName, fields, table } from './table';

describe('table', () => {
  it('aligns columns to their widest cell, wide characters counted as two', () => {
    expect(
      table(
        ['KEY', 'VERSION', 'VALUE'],
        [
          ['memory', '12', '{"a":1}'],
          ['日本', '1', '{}'],
        ],
      ),
    ).toEqual(['KEY     VERSION  VALUE', 'memory  12       {"a":1}', '日本    1        {}']);
  });

  it('keeps given widths for a listing printed page by page', () => {
    expect(table(['A', 'B'], [['x', 'y']], [4, 1])).toEqual(['A     B', 'x     y']);
  });
});

describe('fields', () => {
  it('aligns the labels', () => {
    expect(
      fields([
        ['id', 'x'],
        ['namespace', 'y'],
      ]),
    ).toEqual(['id         x', 'namespace  y']);
  });
});

describe('displayName', () => {
  it('quotes names a column would not show as one word', () => {
    expect(displayName('agent-1')).toBe('agent-1');
    expect(displayName('日本語')).toBe('日本語');
    expect(displayName('my agent')).toBe('"my agent"');
    expect(displayName('say "hi"')).toBe('"say \\"hi\\""');
    expect(displayName('')).toBe('""');
  });
});
