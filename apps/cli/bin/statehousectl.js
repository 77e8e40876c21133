#!/usr/bin/env node
// The `statehousectl` command (package.json "bin"). It exists before the build, so npm links it at
// install time (`npm ci`); the build (`npm run build`) writes the program it loads.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(
    'statehousectl is not built yet: run `npm run build` at the root of the repository.\n',
  );
  process.exit(1);
}
require(main);
