/**
 * Compaction without freezing the server: the snapshot captures references at commit C and is
 * serialised in slices while the event loop keeps turning; records are copy-on-write, so what was
 * captured at C is written as it was at C. Behaviour only — how often the loop turns, what the file
 * holds, what a reopen finds — never how long anything took.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeChunksDurably, writeFileDurably, type ChunkedFileWriter } from '../../src/store/durable-file.js';
import { LowdbStore, StoreInputError, type LowdbStoreOptions } from '../../src/store/lowdb-store.js';
import type { EventRecord } from '../../src/store/store.js';
import { sampleBatch, sampleDocument, sampleEvent } from './battery.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'puente-snap-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openStore(options: LowdbStoreOptions): Promise<LowdbStore> {
  const store = new LowdbStore(options);
  cleanups.push(() => store.close());
  await store.open();
  return store;
}

/** The data files as a crash at this instant would leave them (a half-written temp file included). */
async function crashCopy(dataDir: string): Promise<string> {
  const copy = await tempDataDir();
  for (const name of await readdir(dataDir)) {
    if (name === 'puente.lock') continue;
    await writeFile(join(copy, name), await readFile(join(dataDir, name)));
  }
  return copy;
}

/** Counts turns of the event loop: one setImmediate after another, until stopped. */
function loopProbe() {
  let turns = 0;
  let running = true;
  const tick = () => {
    turns += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  cleanups.push(async () => {
    running = false;
  });
  return { turns: () => turns };
}

/**
 * Serialises the snapshot into memory, with no I/O of its own (so the only turns the loop gets while it
 * runs are those the serialiser gives), records how many turns passed, then writes it durably.
 */
function inMemoryThenDurable(probe: { turns: () => number }) {
  const turnsDuring: number[] = [];
  const texts: string[] = [];
  const writer: ChunkedFileWriter = async (path, chunks) => {
    const start = probe.turns();
    let text = '';
    for await (const chunk of chunks) text += chunk;
    turnsDuring.push(probe.turns() - start);
    texts.push(text);
    await writeFileDurably(path, text, { backupPath: `${path}.bak` });
  };
  return { writer, turnsDuring, texts };
}

/** ~9 KB like a Shopify order, with varied content so nothing about it is trivially cheap to stringify. */
const orderPayload = (n: number) => ({
  id: String(5_900_000_000_000 + n),
  line_items: Array.from({ length: 100 }, (_, i) => ({ sku: `SKU-${n}-${i}`, title: `Camiseta talla ${i} — ñ`, price: `${n % 97}.${i}0`, qty: i % 4 })),
});

async function fill(store: LowdbStore, count: number): Promise<EventRecord[]> {
  const recorded: EventRecord[] = [];
  for (let start = 0; start < count; start += 100) {
    const round = await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, i) => store.recordEvent(sampleEvent({ payload: orderPayload(start + i) }))),
    );
    recorded.push(...round.map((r) => r.event));
  }
  return recorded;
}

describe('LowdbStore incremental snapshot: the event loop keeps turning', () => {
  it('gives the loop a turn after every record while a compaction serialises, when the slice is 0 ms', async () => {
    const dataDir = await tempDataDir();
    const probe = loopProbe();
    const snapshots = inMemoryThenDurable(probe);
    const store = await openStore({ dataDir, writer: snapshots.writer, snapshotSliceMs: 0 });
    await fill(store, 300);
    await store.close();
    // 300 events, then one turn each for the empty documents/batches maps and the rest: at least 300.
    expect(snapshots.turnsDuring.at(-1)).toBeGreaterThanOrEqual(300);
    expect(Object.keys((JSON.parse(snapshots.texts.at(-1)!) as { events: object }).events)).toHaveLength(300);
  });

  it('with the default slicing, lets the loop turn repeatedly while a large store (> 10 MB) is serialised', async () => {
    const dataDir = await tempDataDir();
    const filled = await openStore({ dataDir });
    await fill(filled, 1_500);
    await filled.close();
    const probe = loopProbe();
    const snapshots = inMemoryThenDurable(probe);
    // Reopened: the records come from the file, so the store has no JSON text of them yet and the
    // compaction at close stringifies every one (records committed by this process reuse the text of
    // their commit line instead).
    const store = await openStore({ dataDir, writer: snapshots.writer });
    await store.recordEvent(sampleEvent()); // something to compact at close
    await store.close();
    // A synchronous JSON.stringify of the whole store would leave this at 0.
    expect(snapshots.turnsDuring.at(-1)).toBeGreaterThanOrEqual(2);
    expect(snapshots.texts.at(-1)!.length).toBeGreaterThan(10_000_000);
  }, 20_000);

  it('refuses a negative slice', () => {
    expect(() => new LowdbStore({ dataDir: '/tmp/x', snapshotSliceMs: -1 })).toThrow(StoreInputError);
  });
});

describe('LowdbStore incremental snapshot: copy-on-write', () => {
  it('writes every record as it was at the captured commit, although all of them change while the snapshot is written', async () => {
    const dataDir = await tempDataDir();
    let startWrite!: () => void;
    const writeAllowed = new Promise<void>((r) => (startWrite = r));
    let snapshotStarted = false;
    const texts: string[] = [];
    const writer: ChunkedFileWriter = async (path, chunks) => {
      snapshotStarted = true;
      // Nothing is stringified before the first chunk is asked for: hold here, let the store change.
      await writeAllowed;
      let text = '';
      for await (const chunk of chunks) text += chunk;
      texts.push(text);
      await writeFileDurably(path, text, { backupPath: `${path}.bak` });
    };
    // The open writes the first snapshot with nothing to hold back.
    const opening = new LowdbStore({ dataDir, writer, compactAfterCommits: 6, amortiseCompaction: false });
    cleanups.push(() => opening.close());
    startWrite();
    await opening.open();
    await opening.close();

    let releaseHeld!: () => void;
    const held = new Promise<void>((r) => (releaseHeld = r));
    snapshotStarted = false;
    const heldWriter: ChunkedFileWriter = async (path, chunks) => {
      snapshotStarted = true;
      await held;
      await writer(path, chunks);
    };
    const store = await openStore({ dataDir, writer: heldWriter, compactAfterCommits: 6, amortiseCompaction: false });
    const delivery = sampleEvent();
    const { event } = await store.recordEvent(delivery); // 1
    const { document: doc1 } = await store.createDocument(sampleDocument()); // 2
    const { document: doc2 } = await store.createDocument(sampleDocument()); // 3
    await store.allocateNumber('A', doc1.id, 100); // 4
    const batch = await store.createBatch(sampleBatch({ documentIds: [doc1.id] })); // 5
    const numbered = await store.updateDocument(doc1.id, { status: 'ready', batchId: 'bat_pending' }); // 6: the log is full
    while (!snapshotStarted) await new Promise((r) => setImmediate(r));
    const atC = { event: (await store.getEvent(event.id))!, doc1: numbered, doc2: (await store.getDocument(doc2.id))!, batch };

    // Every kind of change, to every record the snapshot captured, while its write waits.
    await store.updateEvent(event.id, { status: 'processed', documentIds: [doc1.id] });
    await store.recordEvent(delivery);
    await store.updateDocument(doc1.id, { status: 'issued', batchId: undefined });
    await store.allocateNumber('A', doc2.id, 100);
    await store.updateBatch(batch.id, { status: 'awaiting_result', receipt: { zipKey: 'z-1' } });
    const { document: later } = await store.createDocument(sampleDocument());
    const current = { event: (await store.getEvent(event.id))!, doc1: (await store.getDocument(doc1.id))! };
    expect(current.event).toMatchObject({ status: 'processed', deliveries: 2 });
    expect(current.doc1).not.toHaveProperty('batchId');

    releaseHeld();
    startWrite();
    while (texts.length < 2) await new Promise((r) => setImmediate(r));
    const snapshot = JSON.parse(texts.at(-1)!) as {
      logCommit: number;
      events: Record<string, unknown>;
      documents: Record<string, unknown>;
      batches: Record<string, unknown>;
      counters: Record<string, number>;
      allocations: Record<string, { documentId: string }[]>;
    };
    expect(snapshot.logCommit).toBe(6);
    expect(snapshot.events[event.id]).toEqual(atC.event);
    expect(snapshot.documents[doc1.id]).toEqual(atC.doc1);
    expect(snapshot.documents[doc2.id]).toEqual(atC.doc2);
    expect(snapshot.documents[doc2.id]).not.toHaveProperty('number');
    expect(snapshot.documents).not.toHaveProperty(later.id);
    expect(snapshot.batches[batch.id]).toEqual(atC.batch);
    expect(snapshot.counters).toEqual({ A: 100 });
    expect(snapshot.allocations.A!.map((a) => a.documentId)).toEqual([doc1.id]);

    // And nothing is lost: the log holds what changed after C.
    await store.close();
    const reopened = await openStore({ dataDir });
    expect(await reopened.getEvent(event.id)).toEqual(current.event);
    expect(await reopened.getDocument(doc1.id)).toEqual(current.doc1);
    expect((await reopened.getDocument(doc2.id))!.number).toBe('101');
    expect((await reopened.listAllocations('A')).map((a) => a.number)).toEqual([100, 101]);
    expect(await reopened.getDocument(later.id)).toMatchObject({ id: later.id });
  });
});

describe('LowdbStore incremental snapshot: reopening', () => {
  it('reopens to everything after a compaction written in slices, during which commits went on', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, compactAfterCommits: 10, amortiseCompaction: false, snapshotSliceMs: 0 });
    // Rounds of concurrent deliveries: compactions start while later rounds are being committed.
    const recorded = await fill(store, 600);
    const copy = await crashCopy(dataDir);
    await store.close();
    for (const dir of [dataDir, copy]) {
      const reopened = await openStore({ dataDir: dir });
      expect(reopened.warnings).toEqual([]);
      expect(await reopened.listEvents({ limit: 1000 })).toHaveLength(600);
      for (const event of [recorded[0]!, recorded[299]!, recorded[599]!]) expect(await reopened.getEvent(event.id)).toEqual(event);
      await reopened.close();
    }
    const onDisk = JSON.parse(await readFile(join(dataDir, 'puente.json'), 'utf8')) as { events: object };
    expect(Object.keys(onDisk.events)).toHaveLength(600);
  }, 20_000);
});

describe('LowdbStore incremental snapshot: a crash in the middle of the snapshot', () => {
  /** The real durable writer, over a chunk stream that stops after `k` chunks until `stop` is called. */
  function stallingWriter(k: number) {
    let stop!: (error: Error) => void;
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    stopped.catch(() => undefined);
    let chunksWritten = 0;
    let stalled = false;
    const writer: ChunkedFileWriter = (path, chunks) => {
      async function* firstK() {
        for await (const chunk of chunks) {
          if (chunksWritten === k) {
            stalled = true;
            await stopped;
          }
          chunksWritten += 1;
          yield chunk;
        }
      }
      return writeChunksDurably(path, firstK(), { backupPath: `${path}.bak` });
    };
    return { writer, stop, isStalled: () => stalled, chunksWritten: () => chunksWritten };
  }

  it('leaves the old snapshot and the logs, which reopen to every acknowledged change', async () => {
    const dataDir = await tempDataDir();
    const first = await openStore({ dataDir });
    const before = await fill(first, 200);
    await first.close();
    const oldSnapshot = await readFile(join(dataDir, 'puente.json'), 'utf8');

    const stalling = stallingWriter(2);
    const warnings: string[] = [];
    const store = await openStore({ dataDir, writer: stalling.writer, compactAfterCommits: 3, amortiseCompaction: false, onWarning: (m) => warnings.push(m) });
    const during = await fill(store, 300); // 3 commits of 100: the third starts a compaction
    while (!stalling.isStalled()) await new Promise((r) => setImmediate(r));
    const after = (await store.recordEvent(sampleEvent())).event;

    // Killed now: two chunks (≈ 1 MB) of the new snapshot sit in the temp file, nothing was renamed.
    const copy = await crashCopy(dataDir);
    expect(await readdir(copy)).toContain('.puente.json.tmp');
    expect((await readFile(join(copy, '.puente.json.tmp'), 'utf8')).length).toBeGreaterThan(0);
    expect(await readFile(join(copy, 'puente.json'), 'utf8')).toBe(oldSnapshot);
    const reopened = await openStore({ dataDir: copy });
    const all = [...before, ...during, after];
    const found = await Promise.all(all.map((e) => reopened.getEvent(e.id)));
    expect(found).toEqual(all);

    // Had the writer failed instead: a warning, the temp file removed, the old snapshot still in place.
    stalling.stop(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
    while (warnings.length === 0) await new Promise((r) => setImmediate(r));
    expect(warnings[0]).toMatch(/snapshot could not be written \(.*EIO.*\); the change log still holds every change/);
    expect(await readdir(dataDir)).not.toContain('.puente.json.tmp');
    expect(await readFile(join(dataDir, 'puente.json'), 'utf8')).toBe(oldSnapshot);
    const afterFailure = await openStore({ dataDir: await crashCopy(dataDir) });
    expect(await Promise.all(all.map((e) => afterFailure.getEvent(e.id)))).toEqual(all);
  }, 20_000);
});
