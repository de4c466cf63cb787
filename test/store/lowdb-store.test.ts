import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { UnreadableFileError, writeFileDurably } from '../../src/store/durable-file.js';
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


storeConformanceBattery('LowdbStore', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'puente-battery-'));
  const instances: LowdbStore[] = [];
  const openInstance = async () => {
    // Retention 0: whatever is finished may be archived as soon as the battery asks.
    const instance = new LowdbStore({ dataDir, archiveAfterMs: 0, archiveEveryMs: 0 });
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
    archiveFinished: async () => {
      await instances[instances.length - 1]!.archiveNow();
    },
  };
});

/** Records each change-log line; passes it through to the real append unless the test says otherwise. */
function appendRecorder() {
  const lines: string[] = [];
  let failNext = false;
  let gate: Promise<void> | undefined;
  return {
    lines,
    failNextAppend() {
      failNext = true;
    },
    holdNextAppend(): () => void {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return release;
    },
    hook: async (line: string, append: () => Promise<void>) => {
      lines.push(line);
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      const waitFor = gate;
      gate = undefined;
      if (waitFor) await waitFor;
      await append();
    },
  };
}

describe('LowdbStore group commit', () => {
  it('commits many same-tick mutations as one change-log line, without rewriting the snapshot', async () => {
    const dataDir = await tempDataDir();
    const snapshots: string[] = [];
    const appends = appendRecorder();
    const store = await openStore({
      dataDir,
      writer: async (path, chunks) => {
        let text = '';
        for await (const chunk of chunks) text += chunk;
        snapshots.push(text);
        await writeFileDurably(path, text, { backupPath: `${path}.bak` });
      },
      onLogAppend: appends.hook,
    });
    const snapshotsAtOpen = snapshots.length;
    const results = await Promise.all(Array.from({ length: 50 }, () => store.createDocument(sampleDocument())));
    expect(appends.lines).toHaveLength(1);
    expect(snapshots).toHaveLength(snapshotsAtOpen);
    const line = JSON.parse(appends.lines[0]!) as { documents: { id: string }[] };
    expect(line.documents.map((d) => d.id).sort()).toEqual(results.map((r) => r.document.id).sort());
    const onDisk = (await readFile(store.logPath, 'utf8')).trimEnd().split('\n');
    expect(onDisk.at(-1)).toBe(appends.lines[0]);
  });

  it('commits everything changed during an in-flight append in the next single append, and resolves only after it', async () => {
    const dataDir = await tempDataDir();
    const appends = appendRecorder();
    const store = await openStore({ dataDir, onLogAppend: appends.hook });
    const releaseFirst = appends.holdNextAppend();

    const settled = new Set<number>();
    const first = store.createDocument(sampleDocument()).then((r) => (settled.add(0), r));
    while (appends.lines.length === 0) await new Promise((r) => setImmediate(r));

    const later = Array.from({ length: 30 }, (_, i) =>
      store.recordEvent(sampleEvent()).then((r) => (settled.add(i + 1), r)),
    );
    const read = store.getDocument('doc_unknown').then(() => settled.add(99));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(appends.lines).toHaveLength(1);
    expect(settled.size).toBe(0);

    releaseFirst();
    const [firstResult, ...laterResults] = await Promise.all([first, ...later]);
    await read;
    expect(appends.lines).toHaveLength(2);
    const firstLine = JSON.parse(appends.lines[0]!) as { documents: { id: string }[]; events?: unknown };
    expect(firstLine.documents.map((d) => d.id)).toEqual([firstResult.document.id]);
    expect(firstLine.events).toBeUndefined();
    const second = JSON.parse(appends.lines[1]!) as { events: { id: string }[]; documents?: unknown };
    expect(second.events.map((e) => e.id).sort()).toEqual(laterResults.map((r) => r.event.id).sort());
    expect(second.documents).toBeUndefined();
  });

  it('rejects the waiting calls with the cause when an append fails, and saves the change with the next write', async () => {
    const dataDir = await tempDataDir();
    const appends = appendRecorder();
    const store = await openStore({ dataDir, onLogAppend: appends.hook });
    appends.failNextAppend();
    const input = sampleDocument();
    await expect(store.createDocument(input)).rejects.toThrow(/not saved: ENOSPC: no space left on device/);

    // The retry finds the pending document and resolves once it is on disk.
    const retry = await store.createDocument(input);
    expect(retry.duplicate).toBe(true);
    // Crash now: what is on disk must hold the document.
    const copy = await copyDataFiles(dataDir);
    const reopened = await openStore({ dataDir: copy });
    expect(await reopened.findDocumentByKey(input.idempotencyKey)).toMatchObject({ id: retry.document.id });
  });

  it('writes compact JSON, one commit per log line', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    await store.recordEvent(sampleEvent());
    await store.createDocument(sampleDocument());
    const log = await readFile(store.logPath, 'utf8');
    const lines = log.trimEnd().split('\n');
    expect(lines).toHaveLength(3); // header + two commits
    for (const line of lines) expect(line).toBe(JSON.stringify(JSON.parse(line)));
    await store.close();
    const text = await readFile(join(dataDir, 'puente.json'), 'utf8');
    expect(text).not.toContain('\n');
    expect(text).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('writes a payload given as text as it is, rather than serialising the payload again', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    const payloadText = '{"id": "5678901234567890123", "note": "spaced as received"}';
    await store.recordEvent(sampleEvent({ payload: JSON.parse(payloadText) }), { handOver: true, payloadText });
    // Across lines it would break the log's one commit per line: then the payload is serialised.
    const spanning = '{"id": "7",\n"note": "two lines"}';
    await store.recordEvent(sampleEvent({ payload: JSON.parse(spanning) }), { handOver: true, payloadText: spanning });
    const lines = (await readFile(store.logPath, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`"payload":${payloadText}`);
    expect(lines[2]).toContain('"payload":{"id":"7","note":"two lines"}');
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
  /** Two sessions, so the snapshot has a `.bak` (after the first) and the retired log holds the second. */
  async function storeWithTwoSessions(dataDir: string) {
    const first = new LowdbStore({ dataDir });
    await first.open();
    const kept = await first.createDocument(sampleDocument());
    await first.close();
    const second = new LowdbStore({ dataDir });
    await second.open();
    const later = await second.recordEvent(sampleEvent());
    await second.close();
    return { kept: kept.document, later: later.event };
  }

  it('falls back to the .bak copy when the main file is truncated, completes it from the logs, warns and keeps the damaged file', async () => {
    const dataDir = await tempDataDir();
    const { kept, later } = await storeWithTwoSessions(dataDir);
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
    // The retired log still holds the second session, so nothing is lost.
    expect(await store.getEvent(later.id)).toEqual(later);
    const files = await readdir(dataDir);
    const quarantined = files.find((f) => f.startsWith('puente.json.corrupt-'));
    expect(quarantined).toBeDefined();
    expect(seen[0]).toContain(quarantined);
    // A good main file is back in place immediately.
    const restored = JSON.parse(await readFile(main, 'utf8')) as { documents: object; events: object };
    expect(restored.documents).toHaveProperty(kept.id);
    expect(restored.events).toHaveProperty(later.id);
  });

  it('warns that changes may be missing when the .bak copy is older than what the logs still hold', async () => {
    const dataDir = await tempDataDir();
    const { kept, later } = await storeWithTwoSessions(dataDir);
    await unlink(join(dataDir, 'puente.json'));
    await unlink(join(dataDir, 'puente.prev.log.ndjson'));
    const store = await openStore({ dataDir });
    expect(store.warnings).toHaveLength(2);
    expect(store.warnings[1]).toMatch(/Commits 2–2 are missing before puente\.log\.ndjson.*may be lost/);
    expect(await store.getDocument(kept.id)).toEqual(kept);
    expect(await store.getEvent(later.id)).toBeUndefined();
  });

  it('recovers from the .bak copy when the main file is missing (crash between the two renames)', async () => {
    const dataDir = await tempDataDir();
    const { kept, later } = await storeWithTwoSessions(dataDir);
    await unlink(join(dataDir, 'puente.json'));
    const store = await openStore({ dataDir });
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toMatch(/puente\.json does not exist; recovered/);
    expect(await store.getDocument(kept.id)).toEqual(kept);
    expect(await store.getEvent(later.id)).toEqual(later);
  });

  it('refuses to open, changing nothing, when neither the file nor its backup is usable', async () => {
    const dataDir = await tempDataDir();
    const store = new LowdbStore({ dataDir });
    await store.open();
    await store.createDocument(sampleDocument());
    await store.close();
    const main = join(dataDir, 'puente.json');
    await unlink(join(dataDir, 'puente.json.bak'));
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
    const newer = JSON.stringify({ schemaVersion: 3, events: {}, documents: {}, batches: {}, counters: {}, allocations: {} });
    await writeFile(main, newer);
    await expect(new LowdbStore({ dataDir }).open()).rejects.toThrow(/written by a newer Puente \(format 3/);
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

/** The data files as a crash would leave them at this instant, in a new directory (no lock file). */
async function copyDataFiles(dataDir: string): Promise<string> {
  const copy = await tempDataDir();
  for (const name of await readdir(dataDir)) {
    if (name === 'puente.lock') continue;
    await writeFile(join(copy, name), await readFile(join(dataDir, name)));
  }
  return copy;
}

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
