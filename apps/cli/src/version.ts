import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** statehousectl's own version (its package.json), read once. */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;
