// Docker engine and redis-server provisioning for the test runner.
//
// ensureDocker(): use a running engine if `docker info` answers; otherwise install Debian's docker.io
// (root only) when the binaries are missing, start `dockerd` in the background and wait for it.
// stopDocker(handle): stop the engine only if ensureDocker() started it.
// ensureRedisServerBinary(): install Debian's redis-server (its binary goes into the local Redis image).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall, capture, isRoot, log, which } from './exec.mjs';

const DOCKER_START_TIMEOUT_MS = 60_000;
const DOCKER_STOP_TIMEOUT_MS = 20_000;
export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Path of the docker CLI, or null. */
export function dockerCli() {
  return which('docker');
}

/** True when the docker CLI reaches an engine. */
export function dockerInfoOk() {
  const cli = dockerCli();
  if (!cli) return false;
  return capture(cli, ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 }).status === 0;
}

/**
 * Makes a Docker engine reachable.
 * @returns {Promise<{started: false} | {started: true, pid: number, logFile: string, child: import('node:child_process').ChildProcess}>}
 */
export async function ensureDocker() {
  if (dockerInfoOk()) return { started: false };

  if (process.env.DOCKER_HOST) {
    throw new Error(
      `DOCKER_HOST is set to ${process.env.DOCKER_HOST} but no Docker engine answers there; ` +
        'start that engine, unset DOCKER_HOST, or set REDIS_URL to an existing Redis.',
    );
  }

  if (!which('dockerd') || !dockerCli()) {
    aptInstall(['docker.io'], 'No Docker engine is running and dockerd is not installed');
    if (dockerInfoOk()) return { started: false }; // the package's own service may have started it
  }
  const dockerd = which('dockerd');
  if (!dockerd) throw new Error('dockerd is still missing after installing docker.io');
  if (!isRoot()) {
    throw new Error(
      'No Docker engine is running and starting dockerd needs root. Start Docker yourself ' +
        '(e.g. `sudo systemctl start docker`, or `sudo dockerd &`) or set REDIS_URL to an existing Redis.',
    );
  }

  // A dockerd that is still starting up (e.g. one that a package's init script just launched) owns
  // the pid file; a second one would refuse to start. Wait for it instead.
  const runningPid = readPid('/var/run/docker.pid');
  if (runningPid && isAlive(runningPid)) {
    log(`a dockerd (pid ${runningPid}) is already running; waiting for it to answer…`);
    const until = Date.now() + DOCKER_START_TIMEOUT_MS;
    while (Date.now() < until && isAlive(runningPid)) {
      if (dockerInfoOk()) return { started: false };
      await sleep(500);
    }
    throw new Error(
      `dockerd (pid ${runningPid}) is running but \`docker info\` does not answer; check its logs ` +
        'or stop it, or set REDIS_URL to an existing Redis.',
    );
  }

  const logFile = join(tmpdir(), 'statehouse-dockerd.log');
  log(`starting Docker engine… (log: ${logFile})`);
  const fd = openSync(logFile, 'w');
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.on('error', (err) => {
    exited = { code: null, signal: null, error: err };
  });
  child.unref();

  const deadline = Date.now() + DOCKER_START_TIMEOUT_MS;
  const startedAt = Date.now();
  while (Date.now() < deadline) {
    await sleep(250);
    if (exited) {
      throw new Error(
        `dockerd exited during startup (${exited.error?.message ?? `code ${exited.code}, signal ${exited.signal}`}).\n` +
          tailOf(logFile),
      );
    }
    if (dockerInfoOk()) {
      log(
        `Docker engine ready in ${((Date.now() - startedAt) / 1000).toFixed(1)}s (pid ${child.pid})`,
      );
      return { started: true, pid: child.pid, logFile, child };
    }
  }
  await stopDocker({ started: true, pid: child.pid, logFile, child });
  throw new Error(
    `dockerd did not answer \`docker info\` within ${DOCKER_START_TIMEOUT_MS / 1000}s.\n${tailOf(logFile)}`,
  );
}

/** Stops the engine started by ensureDocker(); a no-op for an engine that was already running. */
export async function stopDocker(handle) {
  if (!handle?.started) return;
  const { pid, child } = handle;
  const isGone = () => {
    if (child && (child.exitCode !== null || child.signalCode !== null)) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  if (isGone()) return;
  log('stopping Docker engine…');
  // dockerd runs its own containerd; wait for that one too, so nothing of ours outlives this call.
  const containerdPid = readPid('/var/run/docker/containerd/containerd.pid');
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + DOCKER_STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (isGone()) {
      while (containerdPid && isAlive(containerdPid) && Date.now() < deadline) await sleep(100);
      return;
    }
    await sleep(100);
  }
  log(
    `dockerd (pid ${pid}) did not stop within ${DOCKER_STOP_TIMEOUT_MS / 1000}s; sending SIGKILL`,
  );
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  for (let i = 0; i < 50 && !isGone(); i++) await sleep(100);
}

/** Installs Debian's redis-server if its binary is missing. Returns the binary's path. */
export function ensureRedisServerBinary(purpose = 'it is packed into the local Redis test image') {
  if (existsSync(REDIS_SERVER_PATH)) return REDIS_SERVER_PATH;
  // The package's maintainer script may start a redis service on 6379; nothing here depends on it.
  aptInstall(['redis-server'], `${REDIS_SERVER_PATH} is missing (${purpose})`);
  if (!existsSync(REDIS_SERVER_PATH))
    throw new Error(`${REDIS_SERVER_PATH} still missing after installing redis-server`);
  return REDIS_SERVER_PATH;
}

function readPid(file) {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tailOf(file, lines = 20) {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `last lines of ${file}:\n${text}`;
  } catch {
    return `(no log at ${file})`;
  }
}
