#!/usr/bin/env node
// Before `npm start`: npm packages (scripts/ensure-deps.mjs), and — when no Redis URL is configured
// (REDIS_URL, STATEHOUSE_REDIS_URL, STATEHOUSE_REDIS_CLUSTER_NODES) — the redis-server binary the server starts itself (apt-get as root).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRedisServerBinary } from './lib/docker.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const deps = spawnSync(process.execPath, [join(here, 'ensure-deps.mjs')], { stdio: 'inherit' });
if (deps.status !== 0) process.exit(deps.status ?? 1);
if (
  !process.env.REDIS_URL &&
  !process.env.STATEHOUSE_REDIS_URL &&
  !process.env.STATEHOUSE_REDIS_CLUSTER_NODES &&
  !process.argv.slice(2).some((a) => /^--redis-(url|cluster-nodes)/.test(a))
) {
  try {
    ensureRedisServerBinary('npm start runs its own Redis when REDIS_URL is not set');
  } catch (error) {
    process.stderr.write(
      `[statehouse] ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}
