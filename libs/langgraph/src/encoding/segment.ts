// One vocabulary for putting user strings into Statehouse keys: a segment escapes the characters
// the layouts use as separators, so no thread id, checkpoint namespace, channel or store label can
// break out of its place in a key or collide with another's.
import { MAX_NAME_BYTES, ValidationError } from '@statehouse/contract';

/** `%` first (so escapes stay unambiguous), then `/` (segment separator) and `:` (store marker). */
export function encodeSegment(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('/', '%2F').replaceAll(':', '%3A');
}

export function decodeSegment(value: string): string {
  return value.replaceAll('%3A', ':').replaceAll('%2F', '/').replaceAll('%25', '%');
}

/** A composed key over Statehouse's 256-byte limit, blamed on the user input that made it long. */
export function checkKeyLength(key: string, field: string): string {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_NAME_BYTES) {
    throw new ValidationError(
      field,
      `is too long: its Statehouse key would be ${bytes} UTF-8 bytes, at most ${MAX_NAME_BYTES} are allowed`,
    );
  }
  return key;
}
