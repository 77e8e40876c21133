/** ANSI styles, applied only when `enabled` (a TTY without NO_COLOR, or FORCE_COLOR set). */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** The escape character that starts an ANSI sequence (SGR: ESC [ n m). */
export const ESC = '\u001b';
/** Erases from the cursor to the end of the line (a progress line redrawn shorter). */
export const CLEAR_TO_END = `${ESC}[K`;
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

/** Colour for this stream? The NO_COLOR and FORCE_COLOR conventions (no-color.org) win over isTTY. */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function style(enabled: boolean): Style {
  const paint =
    (name: keyof typeof CODES) =>
    (text: string): string =>
      enabled ? `${ESC}[${CODES[name][0]}m${text}${ESC}[${CODES[name][1]}m` : text;
  return {
    enabled,
    bold: paint('bold'),
    dim: paint('dim'),
    red: paint('red'),
    green: paint('green'),
    yellow: paint('yellow'),
    cyan: paint('cyan'),
  };
}

/** The width a terminal shows `text` in: without ANSI sequences, wide characters counted as 2. */
export function visibleWidth(text: string): number {
  let width = 0;
  for (const char of text.replace(SGR, '')) {
    const code = char.codePointAt(0)!;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

/** East Asian wide and fullwidth ranges, and emoji: two columns in a terminal. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
