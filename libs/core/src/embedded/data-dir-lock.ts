import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, type DataDirLockHolder } from './data-dir-locked.error';

/** The lock file's name inside a data directory. */
export const LOCK_FILE = 'statehouse.lock';

/**
 * An exclusive lock on a data directory: `<dataDir>/statehouse.lock`, created with O_EXCL and
 * holding (JSON) the pid of the process that owns the directory, its host, and once started its
 * redis-server's pid and port. A lock whose process and redis-server are both gone (a crash, a
 * SIGKILL) is stale and taken over; `onTakeover` hears about it. Released by `release()`.
 * Like PostgreSQL's postmaster.pid, liveness is a pid check, which assumes the directory is not
 * shared between hosts at the same time.
 */
export class DataDirLock {
  private released = false;

  private constructor(
    readonly file: string,
    private holder: DataDirLockHolder,
  ) {}

  static acquire(dataDir: string, onTakeover?: (stale: DataDirLockHolder) => void): DataDirLock {
    const file = join(dataDir, LOCK_FILE);
    const mine: DataDirLockHolder = {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
        return new DataDirLock(file, mine);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
      }
      const holder = readHolder(file);
      if (holder && holder.pid !== process.pid && alive(holder.pid)) {
        throw new DataDirLockedError(dataDir, file, holder);
      }
      if (holder?.redisPid !== undefined && alive(holder.redisPid)) {
        throw new DataDirLockedError(dataDir, file, holder, true);
      }
      // Stale (or unreadable: a crash between creating and writing it): take it over.
      onTakeover?.(holder ?? { pid: 0 });
      rmSync(file, { force: true });
    }
  }

  /** Adds details about the holder (its redis-server, its ports) for whoever finds the lock. */
  describe(details: Record<string, unknown>): void {
    if (this.released) return;
    this.holder = { ...this.holder, ...details };
    writeFileSync(this.file, `${JSON.stringify(this.holder)}\n`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const holder = readHolder(this.file);
    // Only our own lock: never one another process took over.
    if (holder?.pid === this.holder.pid && holder.startedAt === this.holder.startedAt) {
      rmSync(this.file, { force: true });
    }
  }
}

function readHolder(file: string): DataDirLockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as DataDirLockHolder;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, it is someone else's). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
