#!/usr/bin/env node
// The body of `npm test` (after the build): provides Redis for the integration tests and runs jest.
//
//   always                -> the Debian tools some tests use: redis-server, python3-grpcio,
//                            protobuf-compiler and protobuf-compiler-grpc (apt-get as root).
//   REDIS_URL set         -> jest runs against that Redis; no Docker.
//   otherwise             -> make sure /usr/bin/redis-server and a Docker engine exist (apt-get as
//                            root; dockerd started in the background if none answers), build the
//                            local image statehouse/redis-local:<version> (docker/redis-local/),
//                            then run jest; its global setup starts a Redis container.
// Extra arguments are passed to jest: `npm test -- libs/core -t commit`.
// Without extra arguments, LangGraph's official checkpointer suite runs after jest (vitest,
// libs/langgraph/vitest.config.mts), on REDIS_URL or else on a redis-server of its own.
// Exits with jest's exit code (or the suite's, when jest passed); a Docker engine started here is
// stopped again.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerCli, ensureDocker, ensureRedisServerBinary, stopDocker } from './lib/docker.mjs';
import { capture, log } from './lib/exec.mjs';
import { ensureLocalRedisImage } from './lib/redis-image.mjs';
import { ensureTestTools } from './lib/test-tools.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jestBin = join(root, 'node_modules', '.bin', 'jest');
const vitestBin = join(root, 'node_modules', '.bin', 'vitest');
const TEST_CONTAINER_LABEL = 'statehouse.test'; // as in test/support/redis-container.ts

function fail(message) {
  process.stderr.write(`[statehouse] ${message}\n`);
  process.exit(1);
}

function runJest(args, env) {
  return runTool(jestBin, args, env);
}

/** LangGraph's checkpointer conformance suite against StatehouseSaver (only in a full run). */
async function runLangGraphSuite(jestArgs, env, jestCode) {
  if (jestArgs.length > 0) return jestCode;
  const t0 = Date.now();
  const code = await runTool(vitestBin, ['run', '--root', 'libs/langgraph'], env);
  log(`LangGraph checkpointer suite: exit ${code} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return jestCode || code;
}

function runTool(bin, args, env) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: root, env, stdio: 'inherit' });
    // Ctrl-C reaches jest through the terminal's process group; a plain SIGTERM to us is forwarded.
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', () => {}); // let jest handle it, then clean up below
    process.on('SIGTERM', forward);
    child.on('error', (err) => {
      process.stderr.write(`[statehouse] could not run ${bin}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : 15));
    });
  });
}

/** Removes containers of our test runs that survived (the reaper is disabled without a registry). */
function removeLeftoverContainers() {
  const docker = dockerCli();
  if (!docker) return;
  const { status, stdout } = capture(docker, [
    'ps',
    '-aq',
    '--filter',
    `label=${TEST_CONTAINER_LABEL}=true`,
  ]);
  const ids = status === 0 ? stdout.split('\n').filter(Boolean) : [];
  if (ids.length) capture(docker, ['rm', '-f', '-v', ...ids]);
}

async function main() {
  if (!existsSync(jestBin))
    fail(`${jestBin} not found; run \`node scripts/ensure-deps.mjs\` (or npm ci) first.`);
  const jestArgs = process.argv.slice(2);
  const env = { ...process.env };
  try {
    ensureTestTools();
  } catch (err) {
    fail(err.message);
  }

  if (env.REDIS_URL) {
    log(`using REDIS_URL=${env.REDIS_URL}`);
    process.exit(await runLangGraphSuite(jestArgs, env, await runJest(jestArgs, env)));
  }

  const t0 = Date.now();
  let docker;
  try {
    const userImage = env.STATEHOUSE_REDIS_IMAGE;
    if (!userImage) ensureRedisServerBinary();
    docker = await ensureDocker();
    env.STATEHOUSE_REDIS_IMAGE = userImage || ensureLocalRedisImage();
  } catch (err) {
    if (docker) await stopDocker(docker);
    fail(
      `could not provide Redis for the tests: ${err.message}\n` +
        '[statehouse] Alternatively run them against an existing Redis: REDIS_URL=redis://127.0.0.1:6379 npm test',
    );
  }
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'; // the reaper image cannot be pulled without a registry
  log(
    `Redis image ${env.STATEHOUSE_REDIS_IMAGE} (setup ${((Date.now() - t0) / 1000).toFixed(1)}s); running jest…`,
  );

  let code = 1;
  try {
    code = await runJest(jestArgs, env);
    code = await runLangGraphSuite(jestArgs, env, code); // no REDIS_URL: its own redis-server
  } finally {
    removeLeftoverContainers();
    await stopDocker(docker);
  }
  process.exit(code);
}

main().catch((err) => fail(err?.stack ?? String(err)));
