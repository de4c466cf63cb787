/**
 * One Puente process per data directory. lowdb rewrites the whole file, so two writers silently lose
 * each other's changes (lowdb issues #277, #333); a lock file, created exclusively and holding the
 * owner's pid, refuses the second process up front.
 *
 * A lock left by a process that died (crash, SIGKILL, power cut) is taken over: its pid is no longer
 * alive. Pids are reused — a container's main process is often pid 1 on every start — so a lock naming
 * our own pid that this process did not take is stale too.
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StoreLockedError } from './store.js';

export const LOCK_FILE_NAME = 'puente.lock';

/**
 * A process creates the lock file and writes its pid a moment later. A file still empty after this long
 * belongs to a process that died in between.
 */
const EMPTY_LOCK_GRACE_MS = 5_000;

/** Lock files held by this process, so a second store in the same process is refused too. */
const heldByThisProcess = new Set<string>();

export interface StoreLock {
  readonly path: string;
  readonly pid: number;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  fileName?: string;
  /** Whether a pid belongs to a running process; replaceable in tests. */
  isAlive?: (pid: number) => boolean;
  now?: () => number;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user — still alive.
    return errorCode(error) === 'EPERM';
  }
}

interface LockContent {
  pid: number | undefined;
  ageMs: number;
  missing: boolean;
}

async function readLock(path: string, now: number): Promise<LockContent> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = /^\s*(\d+)\s*$/.exec(text)?.[1];
    return { pid: pid ? Number(pid) : undefined, ageMs: now - info.mtimeMs, missing: false };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { pid: undefined, ageMs: 0, missing: true };
    throw error;
  }
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Removing a stale lock races with other starting processes: A and B both see the dead pid, A removes
 * it and takes a fresh lock, then B removes A's fresh lock. A second exclusive file serialises the
 * removal, and the lock is re-read under it so only the stale file is ever deleted.
 */
async function removeStaleLock(lockPath: string, stale: LockContent, options: Required<AcquireLockOptions>, dataDir: string) {
  const guardPath = `${lockPath}.takeover`;
  if (!(await createExclusive(guardPath, `${process.pid}\n`))) {
    const guard = await readLock(guardPath, options.now());
    const guardAbandoned =
      !guard.missing &&
      (guard.pid === undefined ? guard.ageMs > EMPTY_LOCK_GRACE_MS : !options.isAlive(guard.pid) || guard.pid === process.pid);
    if (!guardAbandoned) throw new StoreLockedError(dataDir, guard.pid);
    await unlink(guardPath).catch(() => undefined);
    if (!(await createExclusive(guardPath, `${process.pid}\n`))) throw new StoreLockedError(dataDir, undefined);
  }
  try {
    const current = await readLock(lockPath, options.now());
    if (!current.missing && current.pid === stale.pid) await unlink(lockPath);
  } finally {
    await unlink(guardPath).catch(() => undefined);
  }
}

/** Takes the data directory's lock or throws StoreLockedError naming the holder's pid. */
export async function acquireLock(dataDir: string, options: AcquireLockOptions = {}): Promise<StoreLock> {
  const settings: Required<AcquireLockOptions> = {
    fileName: options.fileName ?? LOCK_FILE_NAME,
    isAlive: options.isAlive ?? isProcessAlive,
    now: options.now ?? Date.now,
  };
  const lockPath = resolve(join(dataDir, settings.fileName));
  if (heldByThisProcess.has(lockPath)) throw new StoreLockedError(dataDir, process.pid);
  // Claim the name in-process first: two stores opening concurrently in one process must not both pass.
  heldByThisProcess.add(lockPath);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createExclusive(lockPath, `${process.pid}\n`)) {
        return makeLock(lockPath);
      }
      const holder = await readLock(lockPath, settings.now());
      if (holder.missing) continue;
      const stale =
        holder.pid === undefined
          ? holder.ageMs > EMPTY_LOCK_GRACE_MS
          : holder.pid === process.pid || !settings.isAlive(holder.pid);
      if (!stale) throw new StoreLockedError(dataDir, holder.pid);
      await removeStaleLock(lockPath, holder, settings, dataDir);
    }
    throw new StoreLockedError(dataDir, undefined);
  } catch (error) {
    heldByThisProcess.delete(lockPath);
    throw error;
  }
}

function makeLock(lockPath: string): StoreLock {
  let released = false;
  return {
    path: lockPath,
    pid: process.pid,
    async release() {
      if (released) return;
      released = true;
      try {
        // Only delete the file if it still names us; never remove another process's lock.
        const current = await readLock(lockPath, Date.now());
        if (!current.missing && current.pid === process.pid) await unlink(lockPath);
      } finally {
        heldByThisProcess.delete(lockPath);
      }
    },
  };
}
