import { colourWanted, style } from './style';

describe('colourWanted', () => {
  it('colours a terminal only, unless NO_COLOR or FORCE_COLOR say otherwise', () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({}, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });
});

describe('style', () => {
  it('wraps text in SGR codes only when enabled', () => {
    expect(style(true).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(style(false).red('x')).toBe('x');
  });
});
