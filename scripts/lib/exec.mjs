// Small process helpers shared by the scripts under scripts/.
// Pure Node: these run before node_modules exists.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function log(message) {
  process.stdout.write(`[statehouse] ${message}\n`);
}

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Absolute path of an executable found on PATH (plus the sbin dirs), or null. */
export function which(command) {
  if (command.includes('/')) return isExecutable(command) ? command : null;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const extra of [
    '/usr/local/sbin',
    '/usr/sbin',
    '/sbin',
    '/usr/local/bin',
    '/usr/bin',
    '/bin',
  ]) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with inherited stdio; returns its exit status (null-safe). */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** Runs a command and captures its output. Never throws for a non-zero exit. */
export function capture(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  return {
    status: result.error ? -1 : (result.status ?? -1),
    stdout: result.stdout ?? '',
    stderr: result.error ? String(result.error.message) : (result.stderr ?? ''),
  };
}

let aptUpdated = false;

/** apt-get install -y PACKAGES (with one apt-get update per process). Root only. */
export function aptInstall(packages, why) {
  if (!isRoot()) {
    throw new Error(
      `${why}: please install the Debian/Ubuntu package(s) ${packages.join(' ')} ` +
        `(sudo apt-get install -y ${packages.join(' ')}); not running as root, so not installing them myself.`,
    );
  }
  if (!which('apt-get')) {
    throw new Error(
      `${why}: apt-get not found; install ${packages.join(' ')} with your package manager.`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log('apt-get update…');
    if (run('apt-get', ['update', '-q'], { env }) !== 0) throw new Error('apt-get update failed');
    aptUpdated = true;
  }
  log(`apt-get install -y ${packages.join(' ')}…`);
  if (run('apt-get', ['install', '-y', '-q', ...packages], { env }) !== 0) {
    throw new Error(`apt-get install -y ${packages.join(' ')} failed`);
  }
}
