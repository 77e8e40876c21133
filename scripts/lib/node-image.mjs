// Builds statehouse/node-local:<node version>, a FROM-scratch Node.js base image assembled from this
// machine's own node binary, npm, a shell and a few coreutils (with the shared libraries `ldd`
// lists) and its CA bundle, for machines that cannot pull `node:22-bookworm-slim` from a registry.
// The server's Dockerfile builds on it unchanged. See docker/node-local/Dockerfile, docker/README.md.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerCli } from './docker.mjs';
import { capture, log, which } from './exec.mjs';
import { sharedLibraries } from './redis-image.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCKERFILE = join(repoRoot, 'docker', 'node-local', 'Dockerfile');
export const NODE_IMAGE_REPOSITORY = 'statehouse/node-local';
const CONTENT_LABEL = 'statehouse.node-local.sha256';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** The shell and tools a Dockerfile's RUN steps may use (the official image has these and more). */
const TOOLS = [
  'dash',
  'env',
  'ls',
  'cat',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'ln',
  'chmod',
  'chown',
  'id',
  'sleep',
  'true',
  'false',
  'uname',
  'head',
  'tail',
];

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'node:x:1000:1000::/home/node:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'node:x:1000:', 'nogroup:x:65534:', ''].join('\n');
const NSSWITCH = ['passwd: files', 'group: files', 'hosts: files dns', ''].join('\n');

/** The tag of the local Node image for this machine's node: statehouse/node-local:20.20.2. */
export function localNodeImageTag() {
  return `${NODE_IMAGE_REPOSITORY}:${process.versions.node}`;
}

/**
 * Returns the tag of the local Node image, building it first when it is absent or was built from
 * different files (another node, npm, library or CA bundle: the label holds a hash of them all).
 */
export function ensureLocalNodeImage() {
  const docker = dockerCli();
  if (!docker) throw new Error('docker CLI not found');
  const tag = localNodeImageTag();
  const context = mkdtempSync(join(tmpdir(), 'statehouse-node-image-'));
  try {
    assembleContext(context);
    const sha256 = hashTree(context);
    const inspect = capture(docker, [
      'image',
      'inspect',
      '--format',
      `{{index .Config.Labels "${CONTENT_LABEL}"}}`,
      tag,
    ]);
    if (inspect.status === 0 && inspect.stdout.trim() === sha256) return tag;

    log(`building local Node image ${tag}…`);
    const started = Date.now();
    // The legacy builder needs no buildx plugin and no registry (FROM scratch pulls nothing).
    const build = capture(
      docker,
      [
        'build',
        '--quiet',
        '--build-arg',
        `NODE_VERSION=${process.versions.node}`,
        '--label',
        `${CONTENT_LABEL}=${sha256}`,
        '--tag',
        tag,
        context,
      ],
      { env: { ...process.env, DOCKER_BUILDKIT: '0' } },
    );
    if (build.status !== 0) {
      throw new Error(
        `docker build of ${tag} failed (exit ${build.status}):\n${build.stdout}${build.stderr}`,
      );
    }
    log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return tag;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Writes Dockerfile and rootfs/ into `context`. */
function assembleContext(context) {
  const rootfs = join(context, 'rootfs');
  const node = realpathSync(process.execPath);
  const binaries = [node];
  for (const tool of TOOLS) {
    const path = which(tool);
    if (!path) throw new Error(`${tool} not found on PATH (needed in the local Node image)`);
    binaries.push(realpathSync(path));
  }
  const files = new Set(binaries);
  for (const binary of binaries) for (const lib of sharedLibraries(binary)) files.add(lib);
  for (const file of files) {
    // The tools go to /usr/bin whatever their host path; libraries keep theirs (ldd's paths).
    const target = binaries.includes(file)
      ? join(rootfs, 'usr', 'bin', file === node ? 'node' : file.split('/').pop())
      : join(rootfs, file);
    copyFile(file, target);
  }
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  symlinkSync('/usr/bin/dash', join(rootfs, 'bin', 'sh'));

  // npm as installed next to node (<prefix>/bin/node -> <prefix>/lib/node_modules/npm).
  const npmDir = join(dirname(node), '..', 'lib', 'node_modules', 'npm');
  if (!existsSync(join(npmDir, 'bin', 'npm-cli.js'))) {
    throw new Error(`npm not found at ${npmDir} (it is copied into the local Node image)`);
  }
  cpSync(npmDir, join(rootfs, 'usr', 'lib', 'node_modules', 'npm'), {
    recursive: true,
    dereference: true,
    filter: (path) => !/\/(docs|man)$/.test(path),
  });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr', 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr', 'bin', 'npx'));

  if (!existsSync(CA_BUNDLE))
    throw new Error(`${CA_BUNDLE} missing (Debian package ca-certificates)`);
  copyFile(CA_BUNDLE, join(rootfs, CA_BUNDLE));
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc', 'passwd'), PASSWD);
  writeFileSync(join(rootfs, 'etc', 'group'), GROUP);
  writeFileSync(join(rootfs, 'etc', 'nsswitch.conf'), NSSWITCH);
  for (const dir of ['tmp', 'root', 'usr/local/bin'])
    mkdirSync(join(rootfs, dir), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  chmodSync(join(rootfs, 'root'), 0o700);
  copyFileSync(DOCKERFILE, join(context, 'Dockerfile'));
}

/** Copies a file, dereferencing symlinks (the image gets real files), keeping it executable. */
function copyFile(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  const real = realpathSync(from);
  copyFileSync(real, to);
  chmodSync(to, (statSync(real).mode & 0o777) | 0o444);
}

/** SHA-256 over every path, mode, symlink target and file content under `dir`, in sorted order. */
function hashTree(dir) {
  const hash = createHash('sha256');
  const walk = (current) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      const stat = lstatSync(path);
      hash.update(`${relative(dir, path)}\0${stat.mode}\0`);
      if (stat.isSymbolicLink()) hash.update(readlinkSync(path));
      else if (stat.isDirectory()) walk(path);
      else hash.update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex');
}
