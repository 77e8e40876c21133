// The peers' server binaries: found on this machine, or installed from Debian's packages
// (`apt-get install -y postgresql etcd-server`) when missing and running as root. Nothing else in
// the repository needs them: only `npm run bench -- --only peers` calls this.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';

const POSTGRES_LIB = '/usr/lib/postgresql';
const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface PeerBinaries {
  /** Directory of initdb, pg_ctl and postgres; null with the reason in `missing`. */
  readonly postgresBin: string | null;
  readonly etcd: string | null;
  /** Why a peer is unavailable, one line each. */
  readonly missing: string[];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The newest /usr/lib/postgresql/<major>/bin holding initdb and pg_ctl (Debian's layout). */
function findPostgresBin(): string | null {
  let majors: string[];
  try {
    majors = readdirSync(POSTGRES_LIB).filter((name) => /^\d+$/.test(name));
  } catch {
    majors = [];
  }
  for (const major of majors.sort((a, b) => Number(b) - Number(a))) {
    const bin = join(POSTGRES_LIB, major, 'bin');
    if (isExecutable(join(bin, 'initdb')) && isExecutable(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

function findEtcd(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_DIRS];
  return dirs.map((dir) => join(dir, 'etcd')).find(isExecutable) ?? null;
}

/** apt-get update + install, output on stderr (stdout carries the report). Throws with why not. */
function aptInstall(packages: string[], log: (line: string) => void): void {
  if (process.getuid?.() !== 0)
    throw new Error(`not root: install ${packages.join(' ')} yourself (apt-get install -y …)`);
  if (!isExecutable('/usr/bin/apt-get')) throw new Error('no apt-get on this machine');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) =>
    spawnSync('apt-get', args, { env, stdio: ['ignore', 2, 2], timeout: 300_000 }).status === 0;
  log(`apt-get install -y ${packages.join(' ')}…`);
  if (run(['install', '-y', '-q', ...packages])) return;
  // The package lists may be stale or absent: refresh them once and try again.
  if (!run(['update', '-q'])) throw new Error('apt-get update failed');
  if (!run(['install', '-y', '-q', ...packages]))
    throw new Error(`apt-get install -y ${packages.join(' ')} failed`);
}

/**
 * Finds PostgreSQL and etcd (or only those named in `peers`), installing the Debian packages of
 * the missing ones if it can.
 */
export function ensurePeerBinaries(
  log: (line: string) => void,
  peers: ReadonlyArray<'postgres' | 'etcd'> = ['postgres', 'etcd'],
): PeerBinaries {
  const wanted: string[] = [];
  if (peers.includes('postgres') && !findPostgresBin()) wanted.push('postgresql');
  if (peers.includes('etcd') && !findEtcd()) wanted.push('etcd-server');
  let failure = '';
  if (wanted.length) {
    try {
      aptInstall(wanted, log);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
  }
  const postgresBin = findPostgresBin();
  const etcd = findEtcd();
  const missing: string[] = [];
  const why = failure ? `: ${failure}` : '';
  if (!postgresBin && peers.includes('postgres'))
    missing.push(`PostgreSQL not available (package postgresql)${why}`);
  if (!etcd && peers.includes('etcd'))
    missing.push(`etcd not available (package etcd-server)${why}`);
  return { postgresBin, etcd, missing };
}
