import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, isProcessAlive, type StoreLock } from '../../src/store/lock.js';
import { StoreLockedError } from '../../src/store/store.js';

let dir: string;
const held: StoreLock[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'puente-lock-'));
});
afterEach(async () => {
  while (held.length) await held.pop()!.release();
  await rm(dir, { recursive: true, force: true });
});

async function take(options: Parameters<typeof acquireLock>[1] = {}): Promise<StoreLock> {
  const lock = await acquireLock(dir, options);
  held.push(lock);
  return lock;
}

const lockFile = () => join(dir, 'puente.lock');
const DEAD = 999_001;
const LIVE = 999_002;
const isAlive = (pid: number) => pid === LIVE;

describe('acquireLock', () => {
  it('creates puente.lock holding the pid and removes it on release', async () => {
    const lock = await take();
    expect(lock.path).toBe(lockFile());
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
    await expect(stat(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release(); // twice is harmless
  });

  it('refuses a second holder in the same process, also when both ask at once', async () => {
    const results = await Promise.allSettled([take(), take()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(StoreLockedError);
    expect(refused.reason).toMatchObject({ holderPid: process.pid });
  });

  it('refuses while the holding pid is alive', async () => {
    await writeFile(lockFile(), `${LIVE}\n`);
    await expect(take({ isAlive })).rejects.toMatchObject({ name: 'StoreLockedError', holderPid: LIVE });
    expect(await readFile(lockFile(), 'utf8')).toBe(`${LIVE}\n`);
  });

  it('takes over a lock whose pid is dead', async () => {
    await writeFile(lockFile(), `${DEAD}\n`);
    await take({ isAlive });
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over a lock naming its own pid that it did not take (pid reuse after a restart)', async () => {
    await writeFile(lockFile(), `${process.pid}\n`);
    await take();
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('waits out a lock file still being written, then treats an old empty one as abandoned', async () => {
    await writeFile(lockFile(), '');
    await expect(take()).rejects.toMatchObject({ name: 'StoreLockedError', holderPid: undefined });
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lockFile(), longAgo, longAgo);
    await take();
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses while another live process is taking over the stale lock, and ignores an abandoned takeover', async () => {
    await writeFile(lockFile(), `${DEAD}\n`);
    await writeFile(`${lockFile()}.takeover`, `${LIVE}\n`);
    await expect(take({ isAlive })).rejects.toBeInstanceOf(StoreLockedError);
    expect(await readFile(lockFile(), 'utf8')).toBe(`${DEAD}\n`);

    await writeFile(`${lockFile()}.takeover`, `${DEAD}\n`);
    await take({ isAlive });
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    await expect(stat(`${lockFile()}.takeover`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('does not delete a lock file that no longer names this process', async () => {
    const lock = await take();
    await writeFile(lockFile(), `${LIVE}\n`);
    await lock.release();
    expect(await readFile(lockFile(), 'utf8')).toBe(`${LIVE}\n`);
  });
});

describe('isProcessAlive', () => {
  it('knows this process is alive and a non-existent pid is not', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(2 ** 22 + 12345)).toBe(false);
  });
});
