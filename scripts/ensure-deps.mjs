#!/usr/bin/env node
// Makes sure node_modules matches package-lock.json before build/test/bench.
// Pure Node (no npm dependencies): it runs before node_modules exists.
//
//   node_modules missing                                  -> npm ci
//   package-lock.json newer than node_modules/.package-lock.json
//     and their package entries differ                    -> npm ci
//   otherwise                                             -> no-op
// `npm ci` falling over falls back to `npm install`.
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, run } from './lib/exec.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockFile = join(root, 'package-lock.json');
const nodeModules = join(root, 'node_modules');
const hiddenLock = join(nodeModules, '.package-lock.json');

function reasonToInstall() {
  if (!existsSync(nodeModules)) return 'node_modules is missing';
  if (!existsSync(lockFile)) return null; // nothing to compare with; npm scripts will complain if needed
  if (!existsSync(hiddenLock)) return 'node_modules/.package-lock.json is missing';
  if (statSync(lockFile).mtimeMs <= statSync(hiddenLock).mtimeMs) return null;
  // The lockfile is newer (e.g. freshly checked out, or rewritten by `npm install`).
  // Before paying for a full `npm ci`, check whether it actually describes what is installed.
  if (sameInstall()) {
    const now = new Date();
    utimesSync(hiddenLock, now, now); // next check is a pure mtime comparison again
    return null;
  }
  return 'package-lock.json changed since the last install';
}

/** True when every installed package entry matches the lockfile, and every lockfile entry is installed
 * (optional platform-specific packages that npm skipped excepted). */
function sameInstall() {
  try {
    const wanted = JSON.parse(readFileSync(lockFile, 'utf8')).packages ?? {};
    const have = JSON.parse(readFileSync(hiddenLock, 'utf8')).packages ?? {};
    for (const [key, entry] of Object.entries(have)) {
      if (JSON.stringify(wanted[key]) !== JSON.stringify(entry)) return false;
    }
    for (const [key, entry] of Object.entries(wanted)) {
      if (key === '' || key in have) continue;
      if (!entry.optional) return false;
    }
    return true;
  } catch {
    return false;
  }
}

const reason = reasonToInstall();
if (reason === null) process.exit(0);

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let status;
try {
  log(`${reason}: running npm ci…`);
  status = run(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root });
  if (status !== 0) {
    log(`npm ci failed (exit ${status}); falling back to npm install…`);
    status = run(npm, ['install', '--no-audit', '--no-fund'], { cwd: root });
  }
} catch (err) {
  process.stderr.write(`[statehouse] ensure-deps: could not run npm: ${err.message}\n`);
  process.exit(1);
}
if (status !== 0) {
  process.stderr.write(
    `[statehouse] ensure-deps: could not install dependencies (npm ci and npm install both failed, exit ${status}).\n` +
      `[statehouse] Check network access to the npm registry and that package.json and package-lock.json agree.\n`,
  );
  process.exit(status || 1);
}
