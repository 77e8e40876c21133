// Builds statehouse/redis-local:<version>, a FROM-scratch image holding the host's Debian redis-server
// binary and the shared libraries it links, for machines that cannot pull `redis:7` from a registry.
// See docker/redis-local/README.md.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerCli } from './docker.mjs';
import { capture, log, which } from './exec.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCKERFILE = join(repoRoot, 'docker', 'redis-local', 'Dockerfile');
export const IMAGE_REPOSITORY = 'statehouse/redis-local';
const BINARY_LABEL = 'statehouse.redis-server.sha256';

/** "7.0.15" from `redis-server --version`. */
export function redisServerVersion(binary = '/usr/bin/redis-server') {
  const { status, stdout, stderr } = capture(binary, ['--version']);
  const match = /v=(\d+\.\d+\.\d+)/.exec(stdout);
  if (status !== 0 || !match)
    throw new Error(`cannot read the version of ${binary}: ${stdout}${stderr}`);
  return match[1];
}

/** Absolute paths of the shared libraries (and dynamic loader) that `ldd binary` lists. */
export function sharedLibraries(binary) {
  if (!which('ldd')) throw new Error('ldd not found (Debian package libc-bin)');
  const { status, stdout, stderr } = capture('ldd', [binary]);
  if (status !== 0) throw new Error(`ldd ${binary} failed: ${stderr || stdout}`);
  const libs = new Set();
  for (const line of stdout.split('\n')) {
    if (/not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`);
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)";
    // linux-vdso.so.1 has no path and is provided by the kernel.
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match) libs.add(match[1]);
  }
  if (libs.size === 0) throw new Error(`ldd ${binary} listed no libraries:\n${stdout}`);
  return [...libs];
}

/**
 * Returns the tag of the local Redis image, building it first when it is absent or was built from a
 * different redis-server binary.
 */
export function ensureLocalRedisImage(binary = '/usr/bin/redis-server') {
  const docker = dockerCli();
  if (!docker) throw new Error('docker CLI not found');
  const tag = `${IMAGE_REPOSITORY}:${redisServerVersion(binary)}`;
  const sha256 = createHash('sha256').update(readFileSync(binary)).digest('hex');

  const inspect = capture(docker, [
    'image',
    'inspect',
    '--format',
    `{{index .Config.Labels "${BINARY_LABEL}"}}`,
    tag,
  ]);
  if (inspect.status === 0 && inspect.stdout.trim() === sha256) return tag;

  log(`building local Redis image ${tag}…`);
  const started = Date.now();
  const context = mkdtempSync(join(tmpdir(), 'statehouse-redis-image-'));
  try {
    const rootfs = join(context, 'rootfs');
    for (const file of [binary, ...sharedLibraries(binary)]) {
      const target = join(rootfs, file); // same absolute path inside the image
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(realpathSync(file), target); // dereference symlinks: the image gets real files
      chmodSync(target, (statSync(realpathSync(file)).mode & 0o777) | 0o444);
    }
    mkdirSync(join(rootfs, 'data'), { recursive: true });
    mkdirSync(join(rootfs, 'tmp'), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync(DOCKERFILE, join(context, 'Dockerfile'));

    // The legacy builder needs no buildx plugin and no registry (FROM scratch pulls nothing).
    const build = capture(
      docker,
      ['build', '--quiet', '--label', `${BINARY_LABEL}=${sha256}`, '--tag', tag, context],
      {
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      },
    );
    if (build.status !== 0) {
      throw new Error(
        `docker build of ${tag} failed (exit ${build.status}):\n${build.stdout}${build.stderr}`,
      );
    }
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return tag;
}
