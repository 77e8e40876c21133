// Namespace names the official daemon accepts and our first rule ([A-Za-z0-9._-]{1,64}) refused:
// the shared fixture of the namespace tests (engine, key names, server).

/** Separators, spaces, non-ASCII, braces and '~' (which key names and ids give a meaning). */
export const ODD_NAMESPACES: readonly string[] = [
  'team:alpha',
  'prod/eu',
  'my namespace',
  '日本語',
  '🦜',
  'a{b',
  'a}b',
  '{x}',
  'a:{b}:c',
  '~',
  '~61',
  'a~b',
  '100%',
  '*',
];

/** At the edges of the length rule: over the old 64 characters, and exactly 256 UTF-8 bytes. */
export const LONG_NAMESPACES: readonly string[] = [
  'x'.repeat(65),
  'x'.repeat(256),
  '日'.repeat(85), // 255 bytes
  'é'.repeat(128), // 256 bytes
];
