#!/usr/bin/env node
// `npm run docker:build`: the images docker/compose.yaml runs, built so that they work on this
// machine with or without a container registry.
//
//   base (node)  STATEHOUSE_NODE_IMAGE if set; else node:22-bookworm-slim if present or pullable;
//                else statehouse/node-local:<node version>, assembled from this machine's node
//                (scripts/lib/node-image.mjs). --local: always the assembled one.
//   Redis        STATEHOUSE_REDIS_IMAGE if set; else redis:7 if present or pullable; else
//                statehouse/redis-local:<version> from this machine's redis-server
//                (scripts/lib/redis-image.mjs). --local: always the assembled one.
//   server       docker/server/Dockerfile on that base, tagged statehouse/server:<version> and
//                statehouse/server:latest (--tag <image> instead).
//
// Starts a Docker engine if none answers (and leaves it running). Prints the three images as
// STATEHOUSE_*_IMAGE=<image> lines and records them in docker/.env (compose reads it; other lines
// there are kept), unless --no-env-file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerCli, ensureDocker, ensureRedisServerBinary } from './lib/docker.mjs';
import { capture, log, run } from './lib/exec.mjs';
import { ensureLocalNodeImage } from './lib/node-image.mjs';
import { ensureLocalRedisImage } from './lib/redis-image.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OFFICIAL_NODE_IMAGE = 'node:22-bookworm-slim';
const OFFICIAL_REDIS_IMAGE = 'redis:7';
const SERVER_REPOSITORY = 'statehouse/server';
const ENV_FILE = join(root, 'docker', '.env');
const USAGE = `Usage: npm run docker:build -- [--local] [--tag <image>] [--no-env-file]

  --local         build on images assembled from this machine's node and redis-server even if
                  the official ones could be pulled
  --tag <image>   tag the server image <image> (default ${SERVER_REPOSITORY}:<version> and :latest)
  --no-env-file   do not record the images in docker/.env
`;

function parseArgs(argv) {
  const options = { local: false, tag: undefined, envFile: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--local') options.local = true;
    else if (arg === '--no-env-file') options.envFile = false;
    else if (arg === '--tag' && argv[i + 1]) options.tag = argv[++i];
    else if (arg.startsWith('--tag=')) options.tag = arg.slice('--tag='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument "${arg}"\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

/** True when `image` is in the engine already or can be pulled (fails fast without a registry). */
function presentOrPullable(docker, image) {
  if (capture(docker, ['image', 'inspect', image]).status === 0) return true;
  log(`pulling ${image}…`);
  const pull = capture(docker, ['pull', '--quiet', image], { timeout: 300_000 });
  if (pull.status === 0) return true;
  log(`cannot pull ${image} (${(pull.stderr || pull.stdout).trim().split('\n').pop()})`);
  return false;
}

function nodeImage(docker, local) {
  if (process.env.STATEHOUSE_NODE_IMAGE) return process.env.STATEHOUSE_NODE_IMAGE;
  if (!local && presentOrPullable(docker, OFFICIAL_NODE_IMAGE)) return OFFICIAL_NODE_IMAGE;
  log("assembling a Node base image from this machine's node…");
  return ensureLocalNodeImage();
}

function redisImage(docker, local) {
  if (process.env.STATEHOUSE_REDIS_IMAGE) return process.env.STATEHOUSE_REDIS_IMAGE;
  if (!local && presentOrPullable(docker, OFFICIAL_REDIS_IMAGE)) return OFFICIAL_REDIS_IMAGE;
  ensureRedisServerBinary('it is packed into the local Redis image');
  return ensureLocalRedisImage();
}

function buildServerImage(docker, baseImage, tags) {
  const version = JSON.parse(
    readFileSync(join(root, 'apps', 'server', 'package.json'), 'utf8'),
  ).version;
  const gitSha = capture('git', ['rev-parse', 'HEAD'], { cwd: root }).stdout.trim() || 'unknown';
  const env = { ...process.env };
  // Without the buildx plugin the CLI has only the legacy builder; say so instead of warning.
  if (capture(docker, ['buildx', 'version']).status !== 0) env.DOCKER_BUILDKIT = '0';
  const serverTags = tags ?? [`${SERVER_REPOSITORY}:${version}`, `${SERVER_REPOSITORY}:latest`];
  log(`building ${serverTags.join(', ')} on ${baseImage}…`);
  const started = Date.now();
  const status = run(
    docker,
    [
      'build',
      '--file',
      join(root, 'docker', 'server', 'Dockerfile'),
      '--build-arg',
      `BASE_IMAGE=${baseImage}`,
      '--build-arg',
      `GIT_SHA=${gitSha}`,
      ...serverTags.flatMap((tag) => ['--tag', tag]),
      root,
    ],
    { env },
  );
  if (status !== 0) throw new Error(`docker build of the server image failed (exit ${status})`);
  log(`built ${serverTags[0]} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return serverTags[0];
}

/** Sets the given variables in docker/.env, keeping every other line. */
function recordInEnvFile(variables) {
  const lines = existsSync(ENV_FILE) ? readFileSync(ENV_FILE, 'utf8').split('\n') : [];
  const kept = lines.filter((line) => {
    const name = /^\s*([A-Z0-9_]+)=/.exec(line)?.[1];
    return !(name && name in variables);
  });
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  const added = Object.entries(variables).map(([name, value]) => `${name}=${value}`);
  writeFileSync(ENV_FILE, [...kept, ...added, ''].join('\n'));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  await ensureDocker();
  const docker = dockerCli();
  const base = nodeImage(docker, options.local);
  const redis = redisImage(docker, options.local);
  const server = buildServerImage(docker, base, options.tag ? [options.tag] : undefined);
  const variables = {
    STATEHOUSE_SERVER_IMAGE: server,
    STATEHOUSE_NODE_IMAGE: base,
    STATEHOUSE_REDIS_IMAGE: redis,
  };
  if (options.envFile) {
    recordInEnvFile(variables);
    log(`recorded the images in ${ENV_FILE} (docker-compose -f docker/compose.yaml reads it)`);
  }
  for (const [name, value] of Object.entries(variables)) process.stdout.write(`${name}=${value}\n`);
}

main().catch((error) => {
  process.stderr.write(`[statehouse] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
