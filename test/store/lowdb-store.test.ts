import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { UnreadableFileError, writeFileDurably, type TextFileWriter } from '../../src/store/durable-file.js';
import { LowdbStore, StoreClosedError, type LowdbStoreOptions } from '../../src/store/lowdb-store.js';
import { StoreLockedError } from '../../src/store/store.js';
import { sampleDocument, sampleEvent, storeConformanceBattery } from './battery.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const fixture = join(here, 'fixtures/open-store.ts');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'puente-store-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A store that the test's cleanup closes, whatever happens in the test. */
function trackedStore(options: LowdbStoreOptions): LowdbStore {
  const store = new LowdbStore(options);
  cleanups.push(() => store.close());
  return store;
}

async function openStore(options: LowdbStoreOptions): Promise<LowdbStore> {
  const store = trackedStore(options);
  await store.open();
  return store;
}

/** The default durable writer, with a `.bak`, as LowdbStore uses it. */
const durableWriter: TextFileWriter = (path, text) => writeFileDurably(path, text, { backupPath: `${path}.bak` });

storeConformanceBattery('LowdbStore', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'puente-battery-'));
  const instances: LowdbStore[] = [];
  const openInstance = async () => {
    const instance = new LowdbStore({ dataDir });
    instances.push(instance);
    await instance.open();
    return instance;
  };
  return {
    store: await openInstance(),
    reopen: openInstance,
    cleanup: async () => {
      for (const instance of instances) await instance.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('LowdbStore group commit', () => {
  it('writes many same-tick mutations in one file write', async () => {
    const dataDir = await tempDataDir();
    const written: string[] = [];
    const store = await openStore({
      dataDir,
      writer: async (path, text) => {
        written.push(text);
        await durableWriter(path, text);
      },
    });
    const results = await Promise.all(Array.from({ length: 50 }, () => store.createDocument(sampleDocument())));
    expect(written).toHaveLength(1);
    const onDisk = JSON.parse(await readFile(join(dataDir, 'puente.json'), 'utf8')) as { documents: object };
    expect(Object.keys(onDisk.documents).sort()).toEqual(results.map((r) => r.document.id).sort());
  });

  it('flushes everything changed during an in-flight write in the next single write, and resolves only after it', async () => {
    const dataDir = await tempDataDir();
    const written: string[] = [];
    let releaseFirst!: () => void;
    const firstWriteGate = new Promise<void>((resolveGate) => (releaseFirst = resolveGate));
    const store = await openStore({
      dataDir,
      writer: async (path, text) => {
        written.push(text);
        if (written.length === 1) await firstWriteGate;
        await durableWriter(path, text);
      },
    });

    const settled = new Set<number>();
    const first = store.createDocument(sampleDocument()).then((r) => (settled.add(0), r));
    while (written.length === 0) await new Promise((r) => setImmediate(r));

    const later = Array.from({ length: 30 }, (_, i) =>
      store.recordEvent(sampleEvent()).then((r) => (settled.add(i + 1), r)),
    );
    const read = store.getDocument('doc_unknown').then(() => settled.add(99));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(written).toHaveLength(1);
    expect(settled.size).toBe(0);

    releaseFirst();
    const [firstResult, ...laterResults] = await Promise.all([first, ...later]);
    await read;
    expect(written).toHaveLength(2);
    const second = JSON.parse(written[1]!) as { events: Record<string, unknown>; documents: Record<string, unknown> };
    expect(Object.keys(second.events).sort()).toEqual(laterResults.map((r) => r.event.id).sort());
    expect(second.documents).toHaveProperty(firstResult.document.id);
  });

  it('rejects the waiting calls with the cause when a write fails, and saves the change with the next write', async () => {
    const dataDir = await tempDataDir();
    let failNext = false;
    const store = await openStore({
      dataDir,
      writer: async (path, text) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        await durableWriter(path, text);
      },
    });
    failNext = true;
    const input = sampleDocument();
    await expect(store.createDocument(input)).rejects.toThrow(/not saved: ENOSPC: no space left on device/);

    // The retry finds the pending document and resolves once it is on disk.
    const retry = await store.createDocument(input);
    expect(retry.duplicate).toBe(true);
    await store.close();
    const reopened = await openStore({ dataDir });
    expect(await reopened.findDocumentByKey(input.idempotencyKey)).toMatchObject({ id: retry.document.id });
  });

  it('writes compact JSON', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    await store.recordEvent(sampleEvent());
    await store.createDocument(sampleDocument());
    const text = await readFile(join(dataDir, 'puente.json'), 'utf8');
    expect(text).not.toContain('\n');
    expect(text).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('uses the injected clock for timestamps and a custom file name', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, fileName: 'other.json', clock: () => new Date('2026-03-01T10:00:00.000Z') });
    const { document } = await store.createDocument(sampleDocument());
    expect(document.createdAt).toBe('2026-03-01T10:00:00.000Z');
    expect((await stat(join(dataDir, 'other.json'))).isFile()).toBe(true);
  });

  it('lets close() win over an open() still in progress, leaving the directory unlocked', async () => {
    const dataDir = await tempDataDir();
    const store = trackedStore({ dataDir });
    const opening = store.open();
    await store.close();
    await expect(opening).rejects.toThrow(/closed/);
    await expect(store.listEvents()).rejects.toThrow(/closed/);
    await expect(readFile(join(dataDir, 'puente.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses methods before open', async () => {
    const store = trackedStore({ dataDir: await tempDataDir() });
    await expect(store.listEvents()).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.listEvents()).rejects.toThrow(/call open\(\)/);
  });

  it('rejects input it cannot store with the field and the reason', async () => {
    const store = await openStore({ dataDir: await tempDataDir() });
    await expect(store.recordEvent(sampleEvent({ receivedAt: 'yesterday' }))).rejects.toThrow(/receivedAt: must be an ISO 8601/);
    await expect(store.recordEvent(sampleEvent({ payload: { big: 10n } }))).rejects.toThrow(/event: must be JSON-serialisable/);
    await expect(store.createDocument(sampleDocument({ idempotencyKey: ' ' }))).rejects.toThrow(/idempotencyKey/);
    await expect(store.allocateNumber('S', 'doc_x', -1)).rejects.toThrow(/firstNumber/);
    expect(await store.listEvents()).toEqual([]);
  });
});

describe('LowdbStore lock', () => {
  it('refuses a second store on the same directory in the same process until the first closes', async () => {
    const dataDir = await tempDataDir();
    const first = await openStore({ dataDir });
    const second = trackedStore({ dataDir });
    const error = await second.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error).toMatchObject({ holderPid: process.pid });

    await first.close();
    await expect(readFile(join(dataDir, 'puente.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    await second.open();
    expect(await readFile(join(dataDir, 'puente.lock'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses another process with a clear message naming this pid', async () => {
    const dataDir = await tempDataDir();
    await openStore({ dataDir });
    const child = startFixture(dataDir, 'try');
    const outcome = await firstLine(child);
    await once(child, 'exit');
    expect(outcome).toMatchObject({ ok: false, name: 'StoreLockedError', holderPid: process.pid });
    expect(outcome.message).toContain(`${dataDir} is in use by another Puente process (pid ${process.pid})`);
    expect(outcome.message).toContain('PUENTE_DATA_DIR');
  });

  it('is refused while another process holds the directory, and takes over once that process is killed', async () => {
    const dataDir = await tempDataDir();
    const holder = startFixture(dataDir, 'hold');
    cleanups.push(async () => {
      if (holder.exitCode === null && holder.signalCode === null) {
        holder.kill('SIGKILL');
        await once(holder, 'exit');
      }
    });
    expect(await firstLine(holder)).toMatchObject({ ok: true, pid: holder.pid });

    const store = trackedStore({ dataDir });
    await expect(store.open()).rejects.toMatchObject({ name: 'StoreLockedError', holderPid: holder.pid });

    holder.kill('SIGKILL'); // a crash: the lock file stays behind
    await once(holder, 'exit');
    expect(await readFile(join(dataDir, 'puente.lock'), 'utf8')).toBe(`${holder.pid}\n`);
    await store.open();
    expect(await readFile(join(dataDir, 'puente.lock'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over a stale lock whose pid has exited', async () => {
    const dataDir = await tempDataDir();
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeFile(join(dataDir, 'puente.lock'), `${gone.pid}\n`);
    const store = await openStore({ dataDir });
    expect(await readFile(join(dataDir, 'puente.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await store.recordEvent(sampleEvent());
    expect(await store.listEvents()).toHaveLength(1);
  });
});

describe('LowdbStore recovery', () => {
  async function storeWithTwoWrites(dataDir: string) {
    const store = new LowdbStore({ dataDir });
    await store.open();
    const kept = await store.createDocument(sampleDocument());
    const lost = await store.recordEvent(sampleEvent());
    await store.close();
    return { kept: kept.document, lost: lost.event };
  }

  it('falls back to the .bak copy when the main file is truncated, with a warning and the damaged file kept', async () => {
    const dataDir = await tempDataDir();
    const { kept, lost } = await storeWithTwoWrites(dataDir);
    const main = join(dataDir, 'puente.json');
    await truncate(main, Math.floor((await stat(main)).size / 2));

    const seen: string[] = [];
    const store = await openStore({ dataDir, onWarning: (m) => seen.push(m) });
    expect(seen).toHaveLength(1);
    expect(store.warnings).toEqual(seen);
    expect(seen[0]).toMatch(/puente\.json is not valid JSON.*recovered the previous copy from puente\.json\.bak/);
    // The warning never quotes file content (buyer data).
    expect(seen[0]).not.toMatch(/María|Pérez/);

    expect(await store.getDocument(kept.id)).toEqual(kept);
    expect(await store.getEvent(lost.id)).toBeUndefined();
    const files = await readdir(dataDir);
    const quarantined = files.find((f) => f.startsWith('puente.json.corrupt-'));
    expect(quarantined).toBeDefined();
    expect(seen[0]).toContain(quarantined);
    // A good main file is back in place immediately.
    const restored = JSON.parse(await readFile(main, 'utf8')) as { documents: object };
    expect(restored.documents).toHaveProperty(kept.id);
  });

  it('recovers from the .bak copy when the main file is missing (crash between the two renames)', async () => {
    const dataDir = await tempDataDir();
    const { kept } = await storeWithTwoWrites(dataDir);
    await unlink(join(dataDir, 'puente.json'));
    const store = await openStore({ dataDir });
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toMatch(/puente\.json does not exist; recovered/);
    expect(await store.getDocument(kept.id)).toEqual(kept);
  });

  it('refuses to open, changing nothing, when neither the file nor its backup is usable', async () => {
    const dataDir = await tempDataDir();
    const store = new LowdbStore({ dataDir });
    await store.open();
    await store.createDocument(sampleDocument());
    await store.close();
    const main = join(dataDir, 'puente.json');
    await writeFile(main, '{"schemaVersion":1,"events":');
    const error = await new LowdbStore({ dataDir }).open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as Error).message).toMatch(/puente\.json is not valid JSON.*puente\.json\.bak does not exist.*Nothing was changed/);
    expect(await readFile(main, 'utf8')).toBe('{"schemaVersion":1,"events":');
    // The failed open released its lock.
    await expect(readFile(join(dataDir, 'puente.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a file written by a newer format rather than overwrite it', async () => {
    const dataDir = await tempDataDir();
    const main = join(dataDir, 'puente.json');
    const newer = JSON.stringify({ schemaVersion: 2, events: {}, documents: {}, batches: {}, counters: {}, allocations: {} });
    await writeFile(main, newer);
    await expect(new LowdbStore({ dataDir }).open()).rejects.toThrow(/written by a newer Puente \(format 2/);
    expect(await readFile(main, 'utf8')).toBe(newer);
  });

  it('starts empty on a fresh directory, creating it', async () => {
    const dataDir = join(await tempDataDir(), 'nested', 'data');
    const store = await openStore({ dataDir });
    expect(store.warnings).toEqual([]);
    expect(await store.listDocuments()).toEqual([]);
    expect((await stat(dataDir)).isDirectory()).toBe(true);
  });
});

function startFixture(dataDir: string, mode: 'try' | 'hold'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', fixture, dataDir, mode], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function firstLine(child: ChildProcess): Promise<Record<string, unknown> & { message?: string }> {
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return JSON.parse(line) as Record<string, unknown>;
}
