/**
 * The lowdb store's archive: finished records leave the hot file for append-only files under
 * `<dataDir>/archive/`, which are fsynced before the records leave, indexed at open, repaired when an
 * append was interrupted, and refused when damaged. Also the messages the operator gets when a data file
 * is damaged at start.
 */
import { appendFile, cp, mkdtemp, readFile, readdir, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveDamagedError, ArchiveMissingError } from '../../src/store/archive.js';
import { UnreadableFileError } from '../../src/store/durable-file.js';
import { LowdbStore, type LowdbStoreOptions } from '../../src/store/lowdb-store.js';
import { issueOrder, sampleDocument, sampleEvent } from './battery.js';

const SERIES = 'apidian:900123456:SETP';
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'puente-archive-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openStore(options: LowdbStoreOptions): Promise<LowdbStore> {
  const store = new LowdbStore({ archiveEveryMs: 0, ...options });
  cleanups.push(() => store.close());
  await store.open();
  return store;
}

/** A clock the test moves; starts at the real now, so deliveries received "now" line up with it. */
function movableClock() {
  let offset = 0;
  return {
    clock: () => new Date(Date.now() + offset),
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

const month = () => new Date().toISOString().slice(0, 7);

async function hotFile(dataDir: string): Promise<{ documents: object; events: object; batches: object; allocations: Record<string, unknown[]> }> {
  return JSON.parse(await readFile(join(dataDir, 'puente.json'), 'utf8'));
}

describe('LowdbStore archive', () => {
  it('moves finished records to monthly archive files and out of the hot file, keeping the last allocation of a series hot', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0 });
    const orders = [];
    for (let i = 0; i < 5; i++) orders.push(await issueOrder(store, SERIES));
    const { document: pending } = await store.createDocument(sampleDocument());

    const summary = await store.archiveNow();
    expect(summary).toEqual({ documents: 5, events: 5, batches: 5, allocations: 4, dedupeKeysDropped: 0 });
    expect((await readdir(store.archiveDir)).sort()).toEqual(
      ['allocations', 'batches', 'documents', 'events'].flatMap((kind) => [`${kind}-${month()}.jsonl`, `${kind}-${month()}.jsonl.idx`]),
    );
    const lines = (await readFile(join(store.archiveDir, `documents-${month()}.jsonl`), 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(orders.map((o) => o.document));

    // The default lists cover the hot set; `only` the archive.
    expect((await store.listDocuments()).map((d) => d.id)).toEqual([pending.id]);
    expect((await store.listDocuments({ archived: 'only' })).map((d) => d.id)).toEqual(orders.map((o) => o.document.id).reverse());
    expect(await store.listEvents()).toEqual([]);
    expect((await store.listEvents({ archived: 'only', limit: 2 })).map((e) => e.id)).toEqual([orders[4]!.event.id, orders[3]!.event.id]);

    await store.close();
    const hot = await hotFile(dataDir);
    expect(Object.keys(hot.documents)).toEqual([pending.id]);
    expect(hot.events).toEqual({});
    expect(hot.batches).toEqual({});
    expect(hot.allocations[SERIES]).toEqual([expect.objectContaining({ number: 5, documentId: orders[4]!.document.id })]);
  });

  it('rejects archive settings that are not durations or counts, naming the option', () => {
    expect(() => new LowdbStore({ dataDir: '/tmp/x', archiveAfterMs: -1 })).toThrow(/archiveAfterMs: must be a number of milliseconds ≥ 0, got -1/);
    expect(() => new LowdbStore({ dataDir: '/tmp/x', dedupeWindowMs: Number.NaN })).toThrow(/dedupeWindowMs: must be a number of milliseconds/);
    expect(() => new LowdbStore({ dataDir: '/tmp/x', archiveSliceRecords: 0 })).toThrow(/archiveSliceRecords: must be a positive integer, got 0/);
  });

  it('keeps issued documents hot until their retention has passed, and events and batches until their documents leave', async () => {
    const dataDir = await tempDataDir();
    const time = movableClock();
    const store = await openStore({ dataDir, clock: time.clock, archiveAfterMs: DAY });
    const order = await issueOrder(store, SERIES);
    // A second document of the same event, still in progress, holds the event back.
    const { document: note } = await store.createDocument(sampleDocument({ orderId: order.document.orderId, kind: 'credit_note', idempotencyKey: 'note-1' }));
    await store.updateEvent(order.event.id, { documentIds: [order.document.id, note.id] });

    time.advance(DAY - HOUR);
    expect(await store.archiveNow()).toMatchObject({ documents: 0, events: 0, batches: 0 });
    time.advance(2 * HOUR);
    expect(await store.archiveNow()).toMatchObject({ documents: 1, events: 0, batches: 1 });
    expect((await store.listEvents()).map((e) => e.id)).toEqual([order.event.id]);
  });

  it('survives a crash between the archive append and the removal from the hot set: found once, then archived again', async () => {
    const dataDir = await tempDataDir();
    const first = await openStore({ dataDir, archiveAfterMs: 0 });
    const orders = [await issueOrder(first, SERIES), await issueOrder(first, SERIES), await issueOrder(first, SERIES)];
    await first.close();
    // The state a crash leaves: the hot files from before the pass…
    const crashed = await tempDataDir();
    await cp(dataDir, crashed, { recursive: true, filter: (source) => !source.endsWith('puente.lock') });
    const second = await openStore({ dataDir, archiveAfterMs: 0 });
    await second.archiveNow();
    await second.close();
    // …and the archive lines the pass had fsynced.
    await cp(join(dataDir, 'archive'), join(crashed, 'archive'), { recursive: true });

    const store = await openStore({ dataDir: crashed, archiveAfterMs: 0 });
    const check = async (current: LowdbStore) => {
      for (const order of orders) {
        expect(await current.getDocument(order.document.id)).toEqual(order.document);
        expect(await current.listDocuments({ orderId: order.document.orderId })).toEqual([order.document]);
        expect(await current.listEvents({ orderId: order.event.orderId })).toEqual([order.event]);
      }
      expect((await current.listDocuments({ archived: 'include' })).map((d) => d.id)).toEqual(orders.map((o) => o.document.id).reverse());
      expect((await current.listAllocations(SERIES)).map((a) => a.number)).toEqual([1, 2, 3]);
    };
    await check(store);
    expect(await store.archiveNow()).toMatchObject({ documents: 3, events: 3, batches: 3, allocations: 2 });
    await check(store);
    await store.close();
    const reopened = await openStore({ dataDir: crashed, archiveAfterMs: 0 });
    await check(reopened);
    expect(Object.keys((await hotFile(crashed)).documents)).toEqual([]);
  });

  it('archives in slices, each appended to the archive and then dropped from the hot set in a commit of its own', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0, archiveSliceRecords: 10 });
    const docs = [];
    for (let i = 0; i < 25; i++) docs.push((await store.createDocument(sampleDocument({ status: 'skipped' }))).document);
    const linesBefore = (await readFile(store.logPath, 'utf8')).trimEnd().split('\n').length;

    expect(await store.archiveNow()).toMatchObject({ documents: 25 });
    const commits = (await readFile(store.logPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .slice(linesBefore)
      .map((line) => JSON.parse(line) as { archived?: { documents?: string[] } });
    expect(commits.map((c) => c.archived?.documents?.length)).toEqual([10, 10, 5]);
    expect(commits.flatMap((c) => c.archived?.documents ?? []).sort()).toEqual(docs.map((d) => d.id).sort());
    // Replaying those lines at the next start drops them from the hot set again.
    await store.close();
    const reopened = await openStore({ dataDir, archiveAfterMs: 0 });
    expect(await reopened.listDocuments()).toEqual([]);
    expect(await reopened.listDocuments({ archived: 'only', limit: 1000 })).toHaveLength(25);
  });

  it('lets close() stop a pass in progress; whatever it did not finish stays hot and is archived later', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0, archiveSliceRecords: 5 });
    const orders = [];
    for (let i = 0; i < 12; i++) orders.push(await issueOrder(store, SERIES));
    const pass = store.archiveNow();
    await store.close();
    const summary = await pass;
    expect(summary.documents).toBeLessThan(12);

    const reopened = await openStore({ dataDir, archiveAfterMs: 0 });
    for (const order of orders) expect(await reopened.getDocument(order.document.id)).toEqual(order.document);
    await reopened.archiveNow();
    expect(await reopened.listDocuments()).toEqual([]);
    expect((await reopened.listDocuments({ archived: 'only' })).map((d) => d.id).sort()).toEqual(orders.map((o) => o.document.id).sort());
  });

  it('rebuilds a missing or damaged index from the archive files at open', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0 });
    const orders = [await issueOrder(store, SERIES), await issueOrder(store, SERIES)];
    await store.archiveNow();
    await store.close();
    const archiveDir = join(dataDir, 'archive');
    const documentsIdx = join(archiveDir, `documents-${month()}.jsonl.idx`);
    const goodIdx = await readFile(documentsIdx, 'utf8');
    await unlink(join(archiveDir, `events-${month()}.jsonl.idx`));
    // A crash while the (unsynced) index was appended can leave garbage in it.
    await writeFile(documentsIdx, `${goodIdx.split('\n')[0]}\n\u0000\u0000\u0000{"o":`);

    const reopened = await openStore({ dataDir, archiveAfterMs: 0 });
    expect(reopened.warnings).toEqual([]);
    for (const order of orders) {
      expect(await reopened.getDocument(order.document.id)).toEqual(order.document);
      expect(await reopened.findDocumentByKey(order.document.idempotencyKey)).toEqual(order.document);
      expect(await reopened.getEvent(order.event.id)).toEqual(order.event);
      expect(await reopened.listEvents({ orderId: order.event.orderId })).toEqual([order.event]);
    }
    expect(await readFile(documentsIdx, 'utf8')).toBe(goodIdx);
    expect(await readFile(join(archiveDir, `events-${month()}.jsonl.idx`), 'utf8')).toMatch(/^\{"o":0,/);
  });

  it('cuts off an archive line whose append was interrupted, says so, and loses nothing', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0 });
    const order = await issueOrder(store, SERIES);
    await store.archiveNow();
    await store.close();
    const file = join(dataDir, 'archive', `documents-${month()}.jsonl`);
    const size = (await stat(file)).size;
    await appendFile(file, '{"id":"doc_half","idempotencyKey":"k","order');

    const reopened = await openStore({ dataDir, archiveAfterMs: 0 });
    expect(reopened.warnings).toEqual([
      `archive/documents-${month()}.jsonl ended with an incomplete line (the process stopped while archiving); it was cut off. Nothing is lost: the records on it had not left the hot set yet and are archived again.`,
    ]);
    expect((await stat(file)).size).toBe(size);
    expect(await reopened.getDocument(order.document.id)).toEqual(order.document);
    // Appends go on after the good lines.
    await issueOrder(reopened, SERIES);
    await reopened.archiveNow();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { status: string }).status)).toEqual(['issued', 'issued']);
  });

  it('refuses to open, changing nothing, when a completely written archive line is damaged', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0 });
    await issueOrder(store, SERIES);
    await issueOrder(store, SERIES);
    await store.archiveNow();
    await store.close();
    const file = join(dataDir, 'archive', `documents-${month()}.jsonl`);
    await unlink(`${file}.idx`);
    const [line1, line2] = (await readFile(file, 'utf8')).trimEnd().split('\n');
    // Same length, so the file is as long as the store synced it: the damage is inside a line.
    const damaged = `${line1!.replace('"issued"', '"iss\u0000ed"')}\n${line2}\n`;
    await writeFile(file, damaged);

    const error = await new LowdbStore({ dataDir, archiveEveryMs: 0 }).open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveDamagedError);
    expect((error as Error).message).toMatch(
      new RegExp(`line 1 of archive/documents-${month()}\\.jsonl is not valid JSON\\. Nothing was changed\\..*could issue a document twice.*Restore the archive directory from a backup`),
    );
    expect(await readFile(file, 'utf8')).toBe(damaged);
    await expect(readFile(join(dataDir, 'puente.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses to open, changing nothing, when an archive file the hot set relies on is missing or truncated', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0 });
    await issueOrder(store, SERIES);
    await issueOrder(store, SERIES);
    await store.archiveNow();
    await store.close();
    const documents = join(dataDir, 'archive', `documents-${month()}.jsonl`);
    const events = join(dataDir, 'archive', `events-${month()}.jsonl`);
    const kept = await readFile(documents);

    // Cut at a line end: every remaining line is whole, yet records are gone.
    await writeFile(documents, kept.subarray(0, kept.indexOf(10) + 1));
    const truncated = await new LowdbStore({ dataDir, archiveEveryMs: 0 }).open().catch((e: unknown) => e);
    expect(truncated).toBeInstanceOf(ArchiveMissingError);
    expect((truncated as Error).message).toMatch(
      new RegExp(`archive/documents-${month()}\\.jsonl is truncated: it has \\d+ bytes, but ${kept.length} had been written and synced to it before its records left the hot file\\. Nothing was changed\\. Restore the archive directory from a backup`),
    );

    await writeFile(documents, kept);
    await unlink(events);
    await expect(new LowdbStore({ dataDir, archiveEveryMs: 0 }).open()).rejects.toThrow(
      new RegExp(`archive/events-${month()}\\.jsonl is missing, but the store moved records there`),
    );
    await expect(readFile(join(dataDir, 'puente.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps the dedupe keys of archived events for the redelivery window, then forgets them', async () => {
    const dataDir = await tempDataDir();
    const time = movableClock();
    const options = { dataDir, clock: time.clock, archiveAfterMs: DAY, dedupeWindowMs: 72 * HOUR };
    const store = await openStore(options);
    const deliveries = [0, 1, 2].map(() => sampleEvent({ receivedAt: time.clock().toISOString() }));
    const events: string[] = [];
    for (const delivery of deliveries) {
      const { event } = await store.recordEvent(delivery);
      await store.updateEvent(event.id, { status: 'ignored' });
      events.push(event.id);
    }
    const [redelivered, late, afterRestart] = deliveries as [typeof deliveries[0], typeof deliveries[0], typeof deliveries[0]];
    time.advance(DAY + HOUR);
    expect(await store.archiveNow()).toMatchObject({ events: 3, dedupeKeysDropped: 0 });

    // Inside the window: a duplicate, counted on the archived event (which comes back to the hot set).
    time.advance(DAY);
    expect(await store.recordEvent(redelivered)).toMatchObject({ duplicate: true, event: { id: events[0], deliveries: 2 } });

    // 75 h after the deliveries: the window has passed, the keys are forgotten.
    time.advance(DAY + 2 * HOUR);
    expect(await store.archiveNow()).toMatchObject({ events: 1, dedupeKeysDropped: 3 });
    const again = await store.recordEvent(late);
    expect(again.duplicate).toBe(false);
    expect(again.event.id).not.toBe(events[1]);
    // The archived event itself is still there.
    expect(await store.getEvent(events[1]!)).toMatchObject({ id: events[1], status: 'ignored', deliveries: 1 });

    // Keys outside the window are not loaded at the next start either.
    await store.close();
    const reopened = await openStore(options);
    expect((await reopened.recordEvent(afterRestart)).duplicate).toBe(false);
    expect((await reopened.recordEvent(redelivered)).duplicate).toBe(false);
    expect(await reopened.getEvent(events[0]!)).toMatchObject({ id: events[0], deliveries: 2 });
  });
});

describe('LowdbStore damaged data files at start', () => {
  async function storeWithHistory(dataDir: string) {
    const first = await openStore({ dataDir });
    const order = await issueOrder(first, SERIES);
    await first.close();
    const second = await openStore({ dataDir });
    const later = await second.recordEvent(sampleEvent());
    await second.close();
    return { order, later: later.event };
  }

  it('on a truncated main file, says which file, what was wrong, which copy was used, and that the logs lost nothing', async () => {
    const dataDir = await tempDataDir();
    const { order, later } = await storeWithHistory(dataDir);
    const main = join(dataDir, 'puente.json');
    await truncate(main, Math.floor((await stat(main)).size / 3));
    const store = await openStore({ dataDir });
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toMatch(
      /^puente\.json is not valid JSON \(truncated or damaged\); recovered the previous copy from puente\.json\.bak\. The damaged file was kept as puente\.json\.corrupt-[^ ]+\. The change logs held every change made since that copy \(1 commit\(s\) replayed\), so nothing is lost\.$/,
    );
    expect(await store.getDocument(order.document.id)).toEqual(order.document);
    expect(await store.getEvent(later.id)).toEqual(later);
  });

  it('refuses to start, changing nothing, when the main file and its .bak are both damaged', async () => {
    const dataDir = await tempDataDir();
    await storeWithHistory(dataDir);
    const main = join(dataDir, 'puente.json');
    const bak = join(dataDir, 'puente.json.bak');
    await truncate(main, 40);
    await writeFile(bak, '\u0000'.repeat(64));
    const error = await new LowdbStore({ dataDir }).open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as Error).message).toMatch(
      /puente\.json is not valid JSON \(truncated or damaged\); puente\.json\.bak is not valid JSON \(truncated or damaged\)\. Nothing was changed\. Restore the data directory from a backup\. Do not start with an empty store/,
    );
    expect((await readFile(bak, 'utf8')).length).toBe(64);
    expect((await stat(main)).size).toBe(40);
  });

  it('refuses to start empty when the main file and its .bak are gone but the change log continues an older snapshot', async () => {
    const dataDir = await tempDataDir();
    await storeWithHistory(dataDir);
    await unlink(join(dataDir, 'puente.json'));
    await unlink(join(dataDir, 'puente.json.bak'));
    await expect(new LowdbStore({ dataDir }).open()).rejects.toThrow(
      /puente\.json and puente\.json\.bak are both missing, but puente\.(prev\.)?log\.ndjson continues from commit \d+ of a snapshot that is gone\. Nothing was changed\. Restore the data directory from a backup/,
    );
  });

  it('refuses to start empty when only the archive is left', async () => {
    const dataDir = await tempDataDir();
    const store = await openStore({ dataDir, archiveAfterMs: 0 });
    await issueOrder(store, SERIES);
    await store.archiveNow();
    await store.close();
    for (const name of await readdir(dataDir)) if (name.startsWith('puente.')) await rm(join(dataDir, name));
    await expect(new LowdbStore({ dataDir }).open()).rejects.toThrow(/both missing, but archive\/ holds 3 archive file\(s\), so this store had data.*fiscal numbers could be reused/);
  });
});
