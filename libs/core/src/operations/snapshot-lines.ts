import { StringDecoder } from 'node:string_decoder';
import { ValidationError, type ImportSource } from '@statehouse/contract';

/**
 * The lines of an import's source, numbered from 1: a string item is a line (or several, split
 * at newlines; one trailing newline is dropped), a Uint8Array item a raw chunk of NDJSON whose
 * lines may span chunks. Blank lines are skipped (they still count in the numbering).
 */
export async function* sourceLines(
  source: ImportSource,
): AsyncGenerator<{ text: string; line: number }, void, undefined> {
  if (
    source === null ||
    typeof source !== 'object' ||
    (!(Symbol.asyncIterator in source) && !(Symbol.iterator in source))
  ) {
    throw new ValidationError('source', 'must be an iterable of NDJSON lines (strings) or chunks');
  }
  const decoder = new StringDecoder('utf8');
  let line = 0;
  let rest = '';
  for await (const item of source as AsyncIterable<string | Uint8Array>) {
    let text: string;
    if (typeof item === 'string') {
      text = rest + (item.endsWith('\n') ? item : `${item}\n`);
    } else if (item instanceof Uint8Array) {
      text = rest + decoder.write(Buffer.from(item.buffer, item.byteOffset, item.byteLength));
    } else {
      throw new ValidationError('source', 'must yield strings (lines) or Uint8Arrays (chunks)');
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      line++;
      const content = text.slice(start, end).replace(/\r$/, '');
      if (content.trim() !== '') yield { text: content, line };
      start = end + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.trim() !== '') yield { text: rest, line: line + 1 };
}
