import { ValidationError } from '@statehouse/contract';
import { MAX_VALUE_DEPTH, tooDeep } from '@statehouse/contract';

/**
 * JSON text from the wire (an HTTP body, a gRPC `value_json`), checked for what JSON.parse would
 * hide: nesting deeper than `maxDepth` (recursive code further on would overflow its stack), and
 * integer literals beyond ±(2^53−1), which JSON.parse rounds (9007199254740993 would be stored as
 * ...992). Both are refused with a ValidationError naming the path. One pass, no recursion; the
 * text need not be valid JSON (JSON.parse judges that afterwards).
 */
export function checkJsonText(text: string, field: string, maxDepth = MAX_VALUE_DEPTH): void {
  const levels: Level[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const top = levels[levels.length - 1]!;
        top.keyStart = i;
        top.keyEnd = end + 1;
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (levels.length === maxDepth) throw tooDeep(field, pathOf(text, field, levels), maxDepth);
      levels.push({ array: c === OPEN_ARRAY, index: 0, keyStart: -1, keyEnd: -1 });
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      levels.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const top = levels[levels.length - 1];
      if (top?.array) top.index++;
      else expectKey = top !== undefined;
    } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      let j = i + 1;
      let integer = true;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d >= DIGIT_0 && d <= DIGIT_9) continue;
        if (d === DOT || d === LOWER_E || d === UPPER_E || d === PLUS || d === MINUS) {
          integer = false;
          continue;
        }
        break;
      }
      // 15 digits always fit; only longer literals can be beyond 2^53 - 1.
      if (integer && j - i > 15) {
        const literal = text.slice(i, j);
        if (!Number.isSafeInteger(Number(literal))) {
          throw unsafeInteger(pathOf(text, field, levels), literal);
        }
      }
      i = j - 1;
    }
  }
}

/** checkJsonText, then JSON.parse; a ValidationError for text that is not JSON. */
export function parseJsonText(text: string, field: string, maxDepth = MAX_VALUE_DEPTH): unknown {
  checkJsonText(text, field, maxDepth);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      field,
      `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** An object or array open at this point of the text, and where in it the scan is. */
interface Level {
  readonly array: boolean;
  /** In an array: the index of the current element. */
  index: number;
  /** In an object: where the current key's text (quotes included) starts and ends. */
  keyStart: number;
  keyEnd: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** The index of the quote closing the string that opens at `start` (the text's end if none). */
function stringEnd(text: string, start: number): number {
  let quote = start;
  for (;;) {
    quote = text.indexOf('"', quote + 1);
    if (quote < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
}

/** The path of the current position (`value.items[2].name`), built only for an error. */
function pathOf(text: string, field: string, levels: readonly Level[]): string {
  let path = field;
  for (const level of levels) {
    if (level.array) {
      path += `[${level.index}]`;
    } else if (level.keyStart >= 0) {
      let key: string;
      try {
        key = JSON.parse(text.slice(level.keyStart, level.keyEnd)) as string;
      } catch {
        key = text.slice(level.keyStart + 1, level.keyEnd - 1);
      }
      path += `.${key}`;
    }
  }
  return path;
}

function unsafeInteger(path: string, literal: string): ValidationError {
  const shown = literal.length > 40 ? `${literal.slice(0, 20)}…${literal.slice(-10)}` : literal;
  return new ValidationError(
    path,
    `is the integer ${shown}, beyond ±9007199254740991 (2^53−1): a JSON number cannot hold it ` +
      `exactly here, it would be stored as ${Number(literal)}. Send it as a string ("${shown}"), ` +
      'or as a float (with a decimal point or an exponent) if rounding is acceptable',
  );
}
