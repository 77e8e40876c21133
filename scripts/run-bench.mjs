#!/usr/bin/env node
// The body of `npm run bench` (after the build): compiles bench/ and runs it.
//
//   REDIS_URL set   -> the bench runs against that Redis (its own namespaces, no FLUSHALL).
//   otherwise       -> the bench starts a private redis-server (AOF, appendfsync always) in a temp
//                      dir; /usr/bin/redis-server is installed with apt-get when missing and root.
// Extra arguments go to the bench: `npm run bench -- --json`, `npm run bench -- --only tx64`.
// Node options (e.g. profiling) through BENCH_NODE_OPTIONS: `BENCH_NODE_OPTIONS=--cpu-prof npm run bench`.
// Exits with the bench's exit code (0 even when a target is missed; it is a measurement).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRedisServerBinary } from './lib/docker.mjs';
import { which } from './lib/exec.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tscBin = join(root, 'node_modules', '.bin', 'tsc');
const coreDist = join(root, 'libs', 'core', 'dist', 'index.js');
const benchMain = join(root, 'bench', 'dist', 'main.js');

function fail(message) {
  process.stderr.write(`[bench] ${message}\n`);
  process.exit(1);
}

function info(message) {
  process.stderr.write(`[bench] ${message}\n`); // stdout is reserved for the report (--json)
}

if (!existsSync(coreDist)) {
  fail(
    `${coreDist} is missing: build @statehouse/core first (npm run build, or npx tsc -b libs/core/tsconfig.lib.json && node scripts/copy-assets.mjs).`,
  );
}

if (!process.env.REDIS_URL && !which('redis-server')) {
  try {
    ensureRedisServerBinary();
  } catch (err) {
    fail(
      `no redis-server to start: ${err.message}\n[bench] Alternatively: REDIS_URL=redis://127.0.0.1:6379 npm run bench`,
    );
  }
}

info('compiling bench/ …');
const tsc = spawnSync(tscBin, ['-p', join(root, 'bench', 'tsconfig.json')], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (tsc.status !== 0) fail(`tsc -p bench/tsconfig.json failed (exit ${tsc.status ?? tsc.signal})`);

// The binary for startEmbeddedRedis (found on PATH or in the usual system dirs).
const env = { ...process.env };
if (!env.REDIS_URL && !env.BENCH_REDIS_SERVER)
  env.BENCH_REDIS_SERVER = which('redis-server') ?? 'redis-server';
const nodeOptions = (process.env.BENCH_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);

const child = spawn(
  process.execPath,
  [...nodeOptions, '--enable-source-maps', benchMain, ...process.argv.slice(2)],
  {
    cwd: root,
    env,
    stdio: 'inherit',
  },
);
const forward = (signal) => child.kill(signal);
process.on('SIGTERM', forward);
process.on('SIGINT', () => {}); // the bench gets Ctrl-C from the terminal and cleans up itself
child.on('error', (err) => fail(`could not run the bench: ${err.message}`));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
