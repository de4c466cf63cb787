/**
 * The lowdb store's change log: a commit appends the changed records only, the snapshot is rewritten
 * only by compaction, and whatever a crash leaves on disk opens to every acknowledged change.
 *
 * A crash is simulated by copying the data files while the store is still open (or by editing them
 * into the state a crash at a given step would leave), then opening the copy.
 */
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeLogDamagedError, parseLogSegment } from '../../src/store/change-log.js';
import { writeFileDurably, type ChunkedFileWriter } from '../../src/store/durable-file.js';
import { LowdbStore, StoreInputError, type LowdbStoreOptions } from '../../src/store/lowdb-store.js';
import type { Store } from '../../src/store/store.js';
import { sampleBatch, sampleDocument, sampleEvent } from './battery.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'puente-log-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openStore(options: LowdbStoreOptions): Promise<LowdbStore> {
  const store = new LowdbStore(options);
  cleanups.push(() => store.close());
  await store.open();
  return store;
}

/** The data files exactly as a crash at this instant would leave them, in a new directory. */
async function crashCopy(dataDir: string): Promise<string> {
  const copy = await tempDataDir();
  for (const name of await readdir(dataDir)) {
    if (name === 'puente.lock' || name.endsWith('.tmp')) continue;
    await writeFile(join(copy, name), await readFile(join(dataDir, name)));
  }
  return copy;
}

async function readAll(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

/** A snapshot writer that counts writes, and can hold or fail the next one. */
function snapshotWriter() {
  // One entry per call, at the call (the snapshot is captured then); its text once it is serialised.
  const writes: string[] = [];
  const serialised: Promise<unknown>[] = [];
  const finished: Promise<void>[] = [];
  let hold: Promise<void> | undefined;
  let failNext = false;
  const writer: ChunkedFileWriter = async (path, chunks) => {
    let done!: () => void;
    finished.push(new Promise<void>((resolve) => (done = resolve)));
    try {
      const index = writes.push('') - 1;
      const reading = readAll(chunks);
      serialised.push(reading);
      const text = await reading;
      writes[index] = text;
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      const waitFor = hold;
      hold = undefined;
      if (waitFor) await waitFor;
      await writeFileDurably(path, text, { backupPath: `${path}.bak` });
    } finally {
      done();
    }
  };
  return {
    writer,
    writes,
    /** Resolves once every snapshot started so far has been serialised into `writes`. */
    async serialised(): Promise<void> {
      await Promise.all(serialised);
    },
    /** Resolves once every snapshot started so far is in place on disk (or has failed). */
    async finished(): Promise<void> {
      await Promise.all(finished);
    },
    holdNext(): () => void {
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      return release;
    },
    failNext() {
      failNext = true;
    },
  };
}

/** Everything a caller can see, for comparing two stores. */
async function stateOf(store: Store, seriesKeys: string[]) {
  return {
    events: await store.listEvents({ limit: 1000 }),
    documents: await store.listDocuments({ limit: 1000 }),
    batches: await store.listBatches({ limit: 1000 }),
    allocations: await Promise.all(seriesKeys.map((key) => store.listAllocations(key))),
  };
}

/** A varied history: new and duplicate deliveries, patches, numbering in two series, a batch. */
async function makeHistory(store: Store) {
  const delivery = sampleEvent();
  const { event } = await store.recordEvent(delivery);
  await store.recordEvent(delivery);
  await store.updateEvent(event.id, { status: 'processed' });
  const docs = await Promise.all(Array.from({ length: 6 }, () => store.createDocument(sampleDocument())));
  for (const [i, { document }] of docs.entries()) await store.allocateNumber(i % 2 ? 'A' : 'B', document.id, 100);
  await store.updateDocument(docs[0]!.document.id, { status: 'ready' });
  const batch = await store.createBatch(sampleBatch({ documentIds: [docs[0]!.document.id] }));
  await store.updateBatch(batch.id, { status: 'awaiting_result', receipt: { zipKey: 'z-1' } });
  return { delivery, event, docs, batch };
}

const logLines = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');

describe('LowdbStore change log: cost of a commit', () => {
  it('appends only the changed records: after 2,000 events of ~9 KB one more event adds < 20 KB and no snapshot write', async () => {
    const dataDir = await tempDataDir();
    const snapshots = snapshotWriter();
    const store = await openStore({ dataDir, writer: snapshots.writer });
    const bigPayload = (n: number) => ({ id: String(n), note: `order ${n} `.padEnd(9_000, 'x') });
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.recordEvent(sampleEvent({ payload: bigPayload(round * 200 + i) }))));
    }
    expect((await store.listEvents({ limit: 1000 })).length).toBe(1000);
    const writesBefore = snapshots.writes.length;
    const logBefore = (await stat(store.logPath)).size;
    expect(logBefore).toBeGreaterThan(2_000 * 9_000);

    const { event } = await store.recordEvent(sampleEvent({ payload: bigPayload(2_001) }));

    const grown = (await stat(store.logPath)).size - logBefore;
    expect(grown).toBeGreaterThan(9_000);
    expect(grown).toBeLessThan(20_000);
    expect(snapshots.writes.length).toBe(writesBefore);
    const last = JSON.parse((await logLines(store.logPath)).at(-1)!) as { events: { id: string }[] };
    expect(last.events.map((e) => e.id)).toEqual([event.id]);
  });

  it('by default waits to compact until the log is as large as the snapshot, so a compaction costs no more than the commits since', async () => {
    const dataDir = await tempDataDir();
    const snapshots = snapshotWriter();
    const store = await openStore({ dataDir, writer: snapshots.writer, compactAfterBytes: 10_000 });
    const writesAtOpen = snapshots.writes.length;
    const payload = { note: 'x'.repeat(2_000) };
    // ~2.4 KB per commit: the first compaction comes at the byte threshold, after 5 commits (~12 KB).
    for (let i = 0; i < 5; i++) await store.recordEvent(sampleEvent({ payload }));
    await store.recordEvent(sampleEvent({ payload }));
    expect(snapshots.writes.length - writesAtOpen).toBe(1);
    await snapshots.serialised();
    const firstSnapshot = snapshots.writes.at(-1)!.length;
    expect(firstSnapshot).toBeGreaterThan(10_000);
    // Now the 10 KB threshold alone would compact again after 5 commits; the snapshot is larger, so it waits.
    for (let i = 0; i < 4; i++) await store.recordEvent(sampleEvent({ payload }));
    expect(snapshots.writes.length - writesAtOpen).toBe(1);
    expect((await stat(store.logPath)).size).toBeGreaterThan(10_000);
    // The commit that fills the log starts a compaction, which renames the log away and starts a new one
    // in the background: a stat that lands in between finds no file, so wait for the new log to exist.
    const logSize = async (): Promise<number> => {
      for (;;) {
        const found = await stat(store.logPath).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        });
        if (found) return found.size;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    while ((await logSize()) < firstSnapshot) await store.recordEvent(sampleEvent({ payload }));
    await store.recordEvent(sampleEvent({ payload }));
    expect(snapshots.writes.length - writesAtOpen).toBe(2);
  });

  it('logs each new record exactly as it is returned, whether or not the input carries a field the store sets', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    const plain = await store.recordEvent(sampleEvent({ payload: { note: 'ñandú "quoted" \u2028' } }));
    const withStatus = await store.recordEvent(sampleEvent({ status: 'needs_attention' }));
    const { document } = await store.createDocument(sampleDocument());
    const batch = await store.createBatch(sampleBatch({ status: 'awaiting_result' }));
    const lines = (await logLines(store.logPath)).slice(1).map((line) => JSON.parse(line) as Record<string, unknown[]>);
    expect(lines.map((line) => line.events?.[0] ?? line.documents?.[0] ?? line.batches?.[0])).toEqual([plain.event, withStatus.event, document, batch]);
    expect(withStatus.event.status).toBe('needs_attention');
    // Key order too: the text is what JSON.stringify of the stored record gives.
    expect((await logLines(store.logPath))[1]).toBe(JSON.stringify({ c: 1, events: [plain.event] }));
  });

  it('refuses thresholds that are not positive integers', () => {
    expect(() => new LowdbStore({ dataDir: '/tmp/x', compactAfterBytes: 0 })).toThrow(StoreInputError);
    expect(() => new LowdbStore({ dataDir: '/tmp/x', compactAfterCommits: 1.5 })).toThrow(/compactAfterCommits: must be a positive integer/);
  });
});

describe('LowdbStore change log: reopening', () => {
  it('recovers everything from snapshot + log after a crash without any compaction, and carries on numbering', async () => {
    const dataDir = await tempDataDir();
    const snapshots = snapshotWriter();
    const store = await openStore({ dataDir, writer: snapshots.writer });
    const writesAtOpen = snapshots.writes.length;
    const { delivery, docs } = await makeHistory(store);
    expect(snapshots.writes.length).toBe(writesAtOpen);
    const before = await stateOf(store, ['A', 'B']);

    const reopened = await openStore({ dataDir: await crashCopy(dataDir) });
    expect(reopened.warnings).toEqual([]);
    expect(await stateOf(reopened, ['A', 'B'])).toEqual(before);
    expect(await reopened.recordEvent(delivery)).toMatchObject({ duplicate: true, event: { deliveries: 3 } });
    expect(await reopened.allocateNumber('A', docs[1]!.document.id, 100)).toBe(100);
    const next = await reopened.createDocument(sampleDocument());
    expect(await reopened.allocateNumber('A', next.document.id, 100)).toBe(103);
  });

  it('compacts when the log reaches its commit threshold, keeps commits small, and reopens to everything', async () => {
    const dataDir = await tempDataDir();
    const snapshots = snapshotWriter();
    const store = await openStore({ dataDir, writer: snapshots.writer, compactAfterCommits: 4, amortiseCompaction: false });
    const writesAtOpen = snapshots.writes.length;
    await makeHistory(store); // 13 commits: compactions after the 4th, 8th and 12th
    expect(snapshots.writes.length - writesAtOpen).toBe(3);
    expect(await logLines(store.logPath)).toHaveLength(2); // header + the 13th commit
    const before = await stateOf(store, ['A', 'B']);

    // The copy is not one instant: made while a snapshot is being renamed into place, it could miss it.
    await snapshots.finished();
    const afterCrash = await openStore({ dataDir: await crashCopy(dataDir) });
    expect(await stateOf(afterCrash, ['A', 'B'])).toEqual(before);

    await store.close();
    const snapshot = JSON.parse(await readFile(join(dataDir, 'puente.json'), 'utf8')) as { events: object; logCommit: number };
    expect(snapshot.logCommit).toBe(13);
    expect(await logLines(store.logPath)).toEqual([JSON.stringify({ puenteLog: 1, after: 13 })]);
    const reopened = await openStore({ dataDir });
    expect(reopened.warnings).toEqual([]);
    expect(await stateOf(reopened, ['A', 'B'])).toEqual(before);
  });

  it('compacts when the log reaches its byte threshold', async () => {
    const dataDir = await tempDataDir();
    const snapshots = snapshotWriter();
    const store = await openStore({ dataDir, writer: snapshots.writer, compactAfterBytes: 4_000, amortiseCompaction: false });
    const writesAtOpen = snapshots.writes.length;
    // ~1.9 KB per commit: the 3rd and the 6th fill the log; the 7th is appended after the second compaction.
    for (let i = 0; i < 7; i++) await store.recordEvent(sampleEvent({ payload: { note: 'x'.repeat(1_500) } }));
    expect(snapshots.writes.length - writesAtOpen).toBe(2);
    expect((await stat(store.logPath)).size).toBeLessThan(4_000);
  });

  it('acknowledges changes made during a compaction from the new log, before the snapshot write ends', async () => {
    const dataDir = await tempDataDir();
    const snapshots = snapshotWriter();
    const store = await openStore({ dataDir, writer: snapshots.writer, compactAfterCommits: 3, amortiseCompaction: false });
    const writesAtOpen = snapshots.writes.length;
    const release = snapshots.holdNext();
    const early = [];
    for (let i = 0; i < 3; i++) early.push((await store.recordEvent(sampleEvent())).event);
    // The third commit filled the log: the compaction has started its snapshot write, which is held.
    while (snapshots.writes.length === writesAtOpen) await new Promise((r) => setImmediate(r));
    await snapshots.serialised();
    const during = (await store.recordEvent(sampleEvent())).event;
    const inSnapshot = JSON.parse(snapshots.writes.at(-1)!) as { events: Record<string, unknown>; logCommit: number };
    expect(Object.keys(inSnapshot.events).sort()).toEqual(early.map((e) => e.id).sort());
    expect(inSnapshot.logCommit).toBe(3);
    const newLog = await logLines(store.logPath);
    expect(newLog).toHaveLength(2);
    expect(JSON.parse(newLog[1]!)).toMatchObject({ c: 4, events: [{ id: during.id }] });

    // A crash now: the old snapshot, the retired log and the new log together hold all four.
    const afterCrash = await openStore({ dataDir: await crashCopy(dataDir) });
    expect((await afterCrash.listEvents()).map((e) => e.id).sort()).toEqual([...early, during].map((e) => e.id).sort());

    release();
    await store.close();
    const reopened = await openStore({ dataDir });
    expect((await reopened.listEvents()).map((e) => e.id).sort()).toEqual([...early, during].map((e) => e.id).sort());
  });

  it('warns when a background snapshot write fails, loses nothing, and writes the snapshot at the next compaction', async () => {
    const dataDir = await tempDataDir();
    const snapshots = snapshotWriter();
    const warnings: string[] = [];
    const store = await openStore({ dataDir, writer: snapshots.writer, compactAfterCommits: 2, amortiseCompaction: false, onWarning: (m) => warnings.push(m) });
    snapshots.failNext();
    const first = [];
    for (let i = 0; i < 3; i++) first.push((await store.recordEvent(sampleEvent())).event);
    await new Promise((r) => setImmediate(r));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/snapshot could not be written \(.*ENOSPC.*\); the change log still holds every change/);

    const afterCrash = await openStore({ dataDir: await crashCopy(dataDir) });
    expect((await afterCrash.listEvents()).map((e) => e.id).sort()).toEqual(first.map((e) => e.id).sort());

    // The next compaction must write the snapshot before it may retire a log.
    const more = (await store.recordEvent(sampleEvent())).event;
    await store.recordEvent(sampleEvent());
    await snapshots.finished();
    const afterSecondCrash = await openStore({ dataDir: await crashCopy(dataDir) });
    expect((await afterSecondCrash.listEvents()).map((e) => e.id)).toContain(more.id);
    expect(await afterSecondCrash.listEvents()).toHaveLength(5);
    expect(warnings).toHaveLength(1);
  });
});

describe('LowdbStore change log: damage', () => {
  it('ignores an incomplete last line with a warning, keeps everything before it, and starts a clean log', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    const { docs } = await makeHistory(store);
    const before = await stateOf(store, ['A', 'B']);
    const copy = await crashCopy(dataDir);
    // A crash while appending the next commit: part of its line, no newline.
    await appendFile(join(copy, 'puente.log.ndjson'), '{"c":18,"documents":[{"id":"' + docs[0]!.document.id + '","status":"iss');

    const seen: string[] = [];
    const reopened = await openStore({ dataDir: copy, onWarning: (m) => seen.push(m) });
    expect(seen).toEqual([
      'puente.log.ndjson ends with an incomplete commit (the process stopped while writing it); it was never acknowledged and was ignored. Everything before it is intact.',
    ]);
    expect(await stateOf(reopened, ['A', 'B'])).toEqual(before);
    // The torn line is gone, so commits appended from now on are never buried behind it.
    await reopened.recordEvent(sampleEvent());
    await reopened.close();
    const again = await openStore({ dataDir: copy });
    expect(again.warnings).toEqual([]);
    expect(await again.listEvents()).toHaveLength(2);
  });

  it('refuses to open, changing nothing, when a line in the middle of the log is damaged', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    await makeHistory(store);
    const copy = await crashCopy(dataDir);
    const logPath = join(copy, 'puente.log.ndjson');
    const lines = (await readFile(logPath, 'utf8')).split('\n');
    lines[3] = lines[3]!.slice(0, 40) + '\u0000\u0000' + lines[3]!.slice(42);
    const damaged = lines.join('\n');
    await writeFile(logPath, damaged);
    const filesBefore = (await readdir(copy)).sort();

    const error = await new LowdbStore({ dataDir: copy }).open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangeLogDamagedError);
    expect((error as Error).message).toMatch(
      /line 4 of puente\.log\.ndjson is not valid JSON although it was completely written.*Nothing was changed\. Restore the data directory from a backup/,
    );
    expect((error as Error).message).not.toMatch(/María|Pérez|shopify:/);
    expect(await readFile(logPath, 'utf8')).toBe(damaged);
    expect((await readdir(copy)).sort()).toEqual(filesBefore);
    expect(filesBefore).not.toContain('puente.lock');
  });

  it('refuses a commit line of the wrong shape with its line number', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    await store.recordEvent(sampleEvent());
    const copy = await crashCopy(dataDir);
    await appendFile(join(copy, 'puente.log.ndjson'), '{"c":2,"events":[{"noId":true}]}\n');
    await expect(new LowdbStore({ dataDir: copy }).open()).rejects.toThrow(/line 3 of puente\.log\.ndjson has a damaged "events" list/);
  });
});

describe('LowdbStore change log: replay is idempotent', () => {
  /** A store with history, closed after a copy of its log was taken: the snapshot holds every commit in that log. */
  async function snapshotAndFullLog() {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir });
    const history = await makeHistory(store);
    const before = await stateOf(store, ['A', 'B']);
    const fullLog = await readFile(store.logPath);
    await store.close();
    return { dataDir, history, before, fullLog };
  }

  it('does not double-apply after a crash between the snapshot write and the log reset', async () => {
    const { dataDir, history, before, fullLog } = await snapshotAndFullLog();
    // As if the compaction stopped right after the snapshot was durable: the old log is still current.
    await writeFile(join(dataDir, 'puente.log.ndjson'), fullLog);
    await rm(join(dataDir, 'puente.prev.log.ndjson'));

    const reopened = await openStore({ dataDir });
    expect(reopened.warnings).toEqual([]);
    expect(await stateOf(reopened, ['A', 'B'])).toEqual(before);
    expect(await reopened.recordEvent(history.delivery)).toMatchObject({ event: { deliveries: 3 } });
    const next = await reopened.createDocument(sampleDocument());
    expect(await reopened.allocateNumber('B', next.document.id, 100)).toBe(103);
  });

  it('ends in the same state even when every line is re-applied over a snapshot that already has it', async () => {
    const { dataDir, before, fullLog } = await snapshotAndFullLog();
    await writeFile(join(dataDir, 'puente.log.ndjson'), fullLog);
    // Take away the snapshot's marker so replay cannot skip anything.
    const snapshotPath = join(dataDir, 'puente.json');
    const snapshot = JSON.parse(await readFile(snapshotPath, 'utf8')) as { logCommit?: number };
    delete snapshot.logCommit;
    await writeFile(snapshotPath, JSON.stringify(snapshot));

    const reopened = await openStore({ dataDir });
    expect(await stateOf(reopened, ['A', 'B'])).toEqual(before);
    expect((await reopened.listAllocations('A')).map((a) => a.number)).toEqual([100, 101, 102]);
  });

  it('reads a snapshot of the previous format (no change log) and upgrades it', async () => {
    const dataDir = await tempDataDir();
    const event = { ...sampleEvent(), id: 'evt_old', status: 'received', documentIds: [], deliveries: 1, updatedAt: '2026-01-01T00:00:00.000Z' };
    await writeFile(
      join(dataDir, 'puente.json'),
      JSON.stringify({ schemaVersion: 1, events: { evt_old: event }, documents: {}, batches: {}, counters: { S: 7 }, allocations: {} }),
    );
    const store = await openStore({ dataDir });
    expect(await store.getEvent('evt_old')).toEqual(event);
    const upgraded = JSON.parse(await readFile(join(dataDir, 'puente.json'), 'utf8')) as { schemaVersion: number; logCommit: number };
    expect(upgraded).toMatchObject({ schemaVersion: 2, logCommit: 0 });
    const { document } = await store.createDocument(sampleDocument());
    expect(await store.allocateNumber('S', document.id, 1)).toBe(8);
  });
});

describe('parseLogSegment', () => {
  const header = JSON.stringify({ puenteLog: 1, after: 5 });

  it('reads the header and commit lines, and flags an unterminated last line as torn', () => {
    const segment = parseLogSegment('/d/puente.log.ndjson', `${header}\n{"c":6}\n{"c":7}\n{"c":8,"ev`);
    expect(segment).toMatchObject({ after: 5, torn: true, commits: [{ c: 6 }, { c: 7 }] });
    expect(parseLogSegment('/d/x', `${header}\n{"c":6}\n`).torn).toBe(false);
    expect(parseLogSegment('/d/x', '')).toMatchObject({ after: undefined, commits: [], torn: false });
  });

  it('refuses out-of-order commit numbers, a missing header and a newer format', () => {
    expect(() => parseLogSegment('/d/x', `${header}\n{"c":7}\n{"c":7}\n`)).toThrow(/line 3 of x has a missing or out-of-order commit number/);
    expect(() => parseLogSegment('/d/x', `${header}\n{"c":5}\n`)).toThrow(/line 2 .*out-of-order/);
    expect(() => parseLogSegment('/d/x', '{"c":1}\n')).toThrow(/line 1 of x is not a Puente change log header/);
    expect(() => parseLogSegment('/d/x', '{"puenteLog":2,"after":0}\n')).toThrow(/newer Puente \(log format 2\)/);
  });
});
