/**
 * The archive: finished records (issued documents, their events and batches, old allocations) leave the
 * store's hot set for append-only JSON-lines files under `<dataDir>/archive/`, so the snapshot, the
 * compactions and the memory the hot set costs stay proportional to the work in progress, not to the
 * history.
 *
 * Files, one per kind and month of archiving (`documents-2026-11.jsonl`, `events-…`, `batches-…`,
 * `allocations-…`): one record per line, exactly its JSON, appended and fsynced before the store drops
 * the record from the hot set. A file is never edited: a record archived again (after an update brought
 * it back) gets a new line further on, and the last line of an id wins. Names sort by month, so reading
 * the files in name order reads the lines in the order they were written.
 *
 * Beside each data file, `<name>.idx` holds one line per record: where its line is (offset, length) and
 * the few fields queries filter on. It is only a cache: written without fsync, checked at open against
 * the data file, and completed (or rebuilt) from the data file when it lags or is damaged. Opening an
 * archive of 100 000 documents therefore reads the small index, not every document.
 *
 * What was synced to each file before records left the hot set is recorded by the hot set's own commits
 * (`archiveFiles` in the snapshot): at open, a file that is missing or shorter than that is damage and
 * refuses the open, while bytes after it can only be an append a crash interrupted, and are cut off.
 *
 * In memory the archive keeps that index (id → location and fields; business key → id; order → ids;
 * recent dedupe keys) and reads a record from disk only when it is asked for.
 */
import { constants as fsConstants } from 'node:fs';
import { appendFile, mkdir, open, readFile, readdir, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileDurably } from './durable-file.js';
import type { BatchRecord, DocumentRecord, EventRecord, NumberAllocation } from './store.js';

export const ARCHIVE_DIR_NAME = 'archive';

export type ArchiveKind = 'documents' | 'events' | 'batches' | 'allocations';
const FILE_PATTERN = /^(documents|events|batches|allocations)-(\d{4}-\d{2})\.jsonl$/;

/** Where a record's line is. */
export interface Location {
  file: string;
  offset: number;
  /** Bytes of the line, without its newline. */
  length: number;
}

/** What queries filter and sort on, kept in memory for every archived record. */
export interface ArchivedDocument {
  id: string;
  idempotencyKey: string;
  orderId: string;
  status: DocumentRecord['status'];
  connectionId: string;
  kind: DocumentRecord['kind'];
  createdAt: string;
  at: Location;
}

export interface ArchivedEvent {
  id: string;
  dedupeKey: string;
  orderId: string;
  status: EventRecord['status'];
  source: string;
  receivedAt: string;
  at: Location;
}

export interface ArchivedBatch {
  id: string;
  status: BatchRecord['status'];
  connectionId: string;
  createdAt: string;
  at: Location;
}

type Fields<T> = Omit<T, 'at'>;
type AnyFields = Fields<ArchivedDocument> | Fields<ArchivedEvent> | Fields<ArchivedBatch> | NumberAllocation;

/** What the store hands in: the record and its JSON text (the line). */
export interface ArchiveItem<R> {
  record: R;
  text: string;
}

/** An archive file that cannot be read safely. Nothing was changed on disk. */
export class ArchiveDamagedError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    reason: string,
  ) {
    super(
      `Cannot open the store: line ${line} of ${path} ${reason}. Nothing was changed. ` +
        'That line was completely written, so this is damage, not an interrupted write; skipping it could issue a document twice. ' +
        'Restore the archive directory from a backup.',
    );
    this.name = 'ArchiveDamagedError';
  }
}

/** An archive file the hot set relies on is gone or shorter than what was synced to it. Nothing was changed. */
export class ArchiveMissingError extends Error {
  constructor(
    readonly paths: string[],
    reason: string,
  ) {
    super(
      `Cannot open the store: ${paths.join(', ')} ${reason}. Nothing was changed. ` +
        'Restore the archive directory from a backup; starting without those records could issue their documents twice.',
    );
    this.name = 'ArchiveMissingError';
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldsOf(kind: ArchiveKind, record: Record<string, unknown>): AnyFields | string {
  const text = (key: string) => typeof record[key] === 'string';
  switch (kind) {
    case 'documents': {
      if (!['id', 'idempotencyKey', 'orderId', 'status', 'connectionId', 'kind', 'createdAt'].every(text)) return 'is not a document record';
      const d = record as unknown as DocumentRecord;
      return { id: d.id, idempotencyKey: d.idempotencyKey, orderId: d.orderId, status: d.status, connectionId: d.connectionId, kind: d.kind, createdAt: d.createdAt };
    }
    case 'events': {
      if (!['id', 'dedupeKey', 'orderId', 'status', 'source', 'receivedAt'].every(text)) return 'is not an event record';
      const e = record as unknown as EventRecord;
      return { id: e.id, dedupeKey: e.dedupeKey, orderId: e.orderId, status: e.status, source: e.source, receivedAt: e.receivedAt };
    }
    case 'batches': {
      if (!['id', 'status', 'connectionId', 'createdAt'].every(text)) return 'is not a batch record';
      const b = record as unknown as BatchRecord;
      return { id: b.id, status: b.status, connectionId: b.connectionId, createdAt: b.createdAt };
    }
    case 'allocations': {
      if (!(text('seriesKey') && text('documentId') && text('allocatedAt') && Number.isSafeInteger(record.number))) return 'is not a number allocation';
      const a = record as unknown as NumberAllocation;
      return { seriesKey: a.seriesKey, number: a.number, documentId: a.documentId, allocatedAt: a.allocatedAt };
    }
  }
}

const seriesDocKey = (seriesKey: string, documentId: string) => `${seriesKey}\u0000${documentId}`;

/**
 * orderId → ids. Nearly every order has one or two records, so a lone id is kept as a string and only
 * a second one makes a list: at 100 000 archived orders a Set each would cost memory and GC time at open.
 */
type IdsByOrder = Map<string, string | string[]>;

function addId(map: IdsByOrder, key: string, id: string): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, id);
  else if (typeof ids === 'string') {
    if (ids !== id) map.set(key, [ids, id]);
  } else if (!ids.includes(id)) ids.push(id);
}

function idsIn(map: IdsByOrder, key: string): readonly string[] {
  const ids = map.get(key);
  return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids;
}

/** One complete line of a data file. */
interface ScannedLine {
  offset: number;
  length: number;
  text: string;
}

const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads the lines of `path` from `from` to `size`, a chunk at a time. Returns the complete lines and
 * where the last one ends; bytes after the last newline are an append that never completed.
 */
async function scanLines(path: string, from: number, size: number, onLine: (line: ScannedLine) => void): Promise<number> {
  const handle = await open(path, 'r');
  try {
    let position = from;
    let carry = Buffer.alloc(0);
    let carryAt = from;
    while (position < size) {
      const buffer = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let newline = data.indexOf(10, start); newline >= 0; newline = data.indexOf(10, start)) {
        onLine({ offset: carryAt + start, length: newline - start, text: data.toString('utf8', start, newline) });
        start = newline + 1;
      }
      carry = Buffer.from(data.subarray(start));
      carryAt += start;
    }
    return carryAt;
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the data file itself was fsynced.
  } finally {
    await handle.close();
  }
}

export interface RecordArchiveOptions {
  clock: () => Date;
}

export class RecordArchive {
  readonly dir: string;
  readonly documents = new Map<string, ArchivedDocument>();
  readonly events = new Map<string, ArchivedEvent>();
  readonly batches = new Map<string, ArchivedBatch>();
  readonly documentIdByKey = new Map<string, string>();
  private readonly documentIdsByOrder: IdsByOrder = new Map();
  private readonly eventIdsByOrder: IdsByOrder = new Map();
  /** Dedupe keys of archived events still inside the redelivery window. */
  readonly eventByDedupeKey = new Map<string, { id: string; receivedAt: number }>();
  /** seriesKey → archived allocations, in the order they were archived. */
  readonly allocations = new Map<string, NumberAllocation[]>();
  readonly allocatedNumber = new Map<string, number>();

  private readonly sizes = new Map<string, number>();
  private readonly appendHandles = new Map<string, FileHandle>();
  private dedupeSince = -Infinity;
  /** The latest month of a file: a clock set back never makes a later line land in an earlier-named file. */
  private latestMonth = '';

  constructor(
    dataDir: string,
    private readonly options: RecordArchiveOptions,
  ) {
    this.dir = join(dataDir, ARCHIVE_DIR_NAME);
  }

  /**
   * Loads the index of every archive file. `expected` is what the hot set's commits say was archived:
   * file name → bytes that were fsynced there before records left the hot set. A file missing or shorter
   * than that lost records that exist nowhere else, and refuses the open. Returns sentences for the
   * operator (repairs made).
   */
  async open(dedupeSince: number, expected: Readonly<Record<string, number>> = {}): Promise<string[]> {
    this.dedupeSince = dedupeSince;
    // Created by the first append: a store that never archived has no archive directory.
    const names = (
      await readdir(this.dir).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return [] as string[];
        throw error;
      })
    )
      .filter((name) => FILE_PATTERN.test(name))
      .sort();
    const missing = Object.keys(expected).filter((name) => !names.includes(name)).sort();
    if (missing.length > 0) {
      throw new ArchiveMissingError(
        missing.map((name) => join(ARCHIVE_DIR_NAME, name)),
        `${missing.length === 1 ? 'is' : 'are'} missing, but the store moved records there (they are no longer in the hot file)`,
      );
    }
    const warnings: string[] = [];
    for (const name of names) {
      const [, kind, month] = FILE_PATTERN.exec(name)! as unknown as [string, ArchiveKind, string];
      if (month > this.latestMonth) this.latestMonth = month;
      await this.load(kind, name, expected[name] ?? 0, warnings);
    }
    return warnings;
  }

  async close(): Promise<void> {
    const handles = [...this.appendHandles.values()];
    this.appendHandles.clear();
    for (const handle of handles) await handle.close().catch(() => undefined);
  }

  /** Forgets dedupe keys of deliveries received before `since` (ms): past the longest redelivery window. */
  dropDedupeKeysBefore(since: number): number {
    this.dedupeSince = Math.max(this.dedupeSince, since);
    let dropped = 0;
    for (const [key, entry] of this.eventByDedupeKey) {
      if (entry.receivedAt < since) {
        this.eventByDedupeKey.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** The archived event with this dedupe key, while it is inside the window. */
  eventIdForDedupeKey(dedupeKey: string): string | undefined {
    const entry = this.eventByDedupeKey.get(dedupeKey);
    if (!entry) return undefined;
    if (entry.receivedAt < this.dedupeSince) {
      this.eventByDedupeKey.delete(dedupeKey);
      return undefined;
    }
    return entry.id;
  }

  /**
   * Appends the records to this month's file of their kind and fsyncs it; only then are they indexed
   * (and may the caller drop them from the hot set).
   */
  async append(kind: ArchiveKind, items: readonly ArchiveItem<object>[]): Promise<{ file: string; bytes: number } | undefined> {
    if (items.length === 0) return undefined;
    const month = this.options.clock().toISOString().slice(0, 7);
    if (month > this.latestMonth) this.latestMonth = month;
    const name = `${kind}-${this.latestMonth}.jsonl`;
    const path = join(this.dir, name);
    let handle = this.appendHandles.get(name);
    let created = false;
    if (!handle) {
      const size = await stat(path).then((s) => s.size, (error: unknown) => {
        if (errorCode(error) === 'ENOENT') return -1;
        throw error;
      });
      created = size < 0;
      if (created && (await mkdir(this.dir, { recursive: true })) !== undefined) await fsyncDirectory(dirname(this.dir));
      handle = await open(path, 'a', 0o600);
      this.appendHandles.set(name, handle);
      this.sizes.set(name, Math.max(size, 0));
    }
    let offset = this.sizes.get(name)!;
    const located: { fields: AnyFields; at: Location }[] = [];
    const lines: string[] = [];
    for (const item of items) {
      const length = Buffer.byteLength(item.text, 'utf8');
      const fields = fieldsOf(kind, item.record as Record<string, unknown>);
      if (typeof fields === 'string') throw new Error(`cannot archive a record that ${fields}`);
      located.push({ fields, at: { file: name, offset, length } });
      lines.push(item.text);
      offset += length + 1;
    }
    const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    let written = 0;
    try {
      while (written < bytes.length) written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
      await handle.datasync();
      if (created) await fsyncDirectory(this.dir);
    } catch (error) {
      // Part of the lines may be on disk; the records stay hot (they win), and the next append must not
      // glue onto a partial line: forget the handle, and cut the file back to where it was.
      this.appendHandles.delete(name);
      await handle.close().catch(() => undefined);
      await truncate(path, this.sizes.get(name)!).catch(() => undefined);
      throw error;
    }
    this.sizes.set(name, offset);
    // The index is a cache: not fsynced, checked and completed at open.
    const idx = located.map(({ fields, at }) => JSON.stringify({ o: at.offset, n: at.length, m: fields })).join('\n');
    await appendFile(join(this.dir, `${name}.idx`), `${idx}\n`, { mode: 0o600 }).catch(() => undefined);
    for (const { fields, at } of located) this.index(kind, fields, at);
    return { file: name, bytes: offset };
  }

  /** Reads one archived record back from its file. */
  async read<T extends { id?: string }>(at: Location, id: string): Promise<T> {
    const path = join(this.dir, at.file);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(at.length);
      const { bytesRead } = await handle.read(buffer, 0, at.length, at.offset);
      let record: unknown;
      try {
        record = bytesRead === at.length ? JSON.parse(buffer.toString('utf8')) : undefined;
      } catch {
        record = undefined;
      }
      if (!isObject(record) || record.id !== id) {
        throw new Error(
          `The archive index does not match ${at.file} for record ${id}. Stop Puente, delete ${at.file}.idx (it is rebuilt from ${at.file} at the next start) and start again.`,
        );
      }
      return record as T;
    } finally {
      await handle.close();
    }
  }

  /** Ids of the archived documents of an order. */
  documentIdsOf(orderId: string): readonly string[] {
    return idsIn(this.documentIdsByOrder, orderId);
  }

  /** Ids of the archived events of an order. */
  eventIdsOf(orderId: string): readonly string[] {
    return idsIn(this.eventIdsByOrder, orderId);
  }

  /** Every archived allocation of a series. */
  allocationsOf(seriesKey: string): NumberAllocation[] {
    return this.allocations.get(seriesKey) ?? [];
  }

  private index(kind: ArchiveKind, fields: AnyFields, at: Location): void {
    switch (kind) {
      case 'documents': {
        // `fields` is a fresh object (fieldsOf): it becomes the entry, without a copy.
        const d = Object.assign(fields as Fields<ArchivedDocument>, { at });
        this.documents.set(d.id, d);
        this.documentIdByKey.set(d.idempotencyKey, d.id);
        addId(this.documentIdsByOrder, d.orderId, d.id);
        return;
      }
      case 'events': {
        const e = Object.assign(fields as Fields<ArchivedEvent>, { at });
        this.events.set(e.id, e);
        addId(this.eventIdsByOrder, e.orderId, e.id);
        const receivedAt = Date.parse(e.receivedAt);
        if (!(receivedAt < this.dedupeSince)) this.eventByDedupeKey.set(e.dedupeKey, { id: e.id, receivedAt });
        return;
      }
      case 'batches': {
        const b = Object.assign(fields as Fields<ArchivedBatch>, { at });
        this.batches.set(b.id, b);
        return;
      }
      case 'allocations': {
        const a = fields as NumberAllocation;
        const key = seriesDocKey(a.seriesKey, a.documentId);
        if (this.allocatedNumber.has(key)) return;
        this.allocatedNumber.set(key, a.number);
        let list = this.allocations.get(a.seriesKey);
        if (!list) this.allocations.set(a.seriesKey, (list = []));
        list.push(a);
        return;
      }
    }
  }

  /**
   * Indexes one data file: the entries of its `.idx` that are consistent with the data file, then the
   * data lines after them. A final line without its newline (a crash during an append, before the
   * fsync the store waits for) is cut off: its records are still in the hot set.
   */
  private async load(kind: ArchiveKind, name: string, durableBytes: number, warnings: string[]): Promise<void> {
    const path = join(this.dir, name);
    const idxPath = `${path}.idx`;
    const size = (await stat(path)).size;
    if (size < durableBytes) {
      throw new ArchiveMissingError(
        [join(ARCHIVE_DIR_NAME, name)],
        `is truncated: it has ${size} bytes, but ${durableBytes} had been written and synced to it before its records left the hot file`,
      );
    }
    let idxText = '';
    try {
      idxText = await readFile(idxPath, 'utf8');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    const fromIdx: { fields: AnyFields; at: Location }[] = [];
    let covered = 0;
    let idxClean = true;
    const idxLines = idxText.split('\n');
    const idxTail = idxLines.pop();
    if (idxTail !== '' && idxTail !== undefined) idxClean = false;
    for (const line of idxLines) {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        idxClean = false;
        break;
      }
      const ok =
        isObject(entry) &&
        entry.o === covered &&
        Number.isSafeInteger(entry.n) &&
        (entry.n as number) >= 0 &&
        covered + (entry.n as number) + 1 <= size &&
        isObject(entry.m) &&
        typeof fieldsOf(kind, entry.m) !== 'string';
      if (!ok) {
        idxClean = false;
        break;
      }
      const { n, m } = entry as { n: number; m: Record<string, unknown> };
      fromIdx.push({ fields: fieldsOf(kind, m) as AnyFields, at: { file: name, offset: covered, length: n } });
      covered += n + 1;
    }
    if (fromIdx.length < idxLines.length) idxClean = false;

    const scanned: { fields: AnyFields; at: Location }[] = [];
    let lineNumber = fromIdx.length;
    const end = await scanLines(path, covered, size, (line) => {
      lineNumber += 1;
      let record: unknown;
      try {
        record = JSON.parse(line.text);
      } catch {
        throw new ArchiveDamagedError(join(ARCHIVE_DIR_NAME, name), lineNumber, 'is not valid JSON');
      }
      const fields = isObject(record) ? fieldsOf(kind, record) : 'is not a JSON object';
      if (typeof fields === 'string') throw new ArchiveDamagedError(join(ARCHIVE_DIR_NAME, name), lineNumber, fields);
      scanned.push({ fields, at: { file: name, offset: line.offset, length: line.length } });
    });
    if (end < durableBytes) {
      // Only bytes after what was synced can be an interrupted append; this is damage.
      throw new ArchiveDamagedError(join(ARCHIVE_DIR_NAME, name), lineNumber + 1, 'was cut short (no line end where synced data should be)');
    }
    if (end < size) {
      await truncate(path, end);
      warnings.push(
        `${join(ARCHIVE_DIR_NAME, name)} ended with an incomplete line (the process stopped while archiving); it was cut off. ` +
          'Nothing is lost: the records on it had not left the hot set yet and are archived again.',
      );
    }
    this.sizes.set(name, end);
    // Before indexing: an indexed entry gains its location, which is not part of an index line.
    const lines = (items: { fields: AnyFields; at: Location }[]) =>
      items.map(({ fields, at }) => `${JSON.stringify({ o: at.offset, n: at.length, m: fields })}\n`).join('');
    if (!idxClean) {
      // The cache was damaged (a crash while it was appended): rewrite it whole from what is now known.
      await writeFileDurably(idxPath, lines([...fromIdx, ...scanned]), { mode: 0o600 });
    } else if (scanned.length > 0) {
      await appendFile(idxPath, lines(scanned), { mode: 0o600 });
    }
    for (const { fields, at } of [...fromIdx, ...scanned]) this.index(kind, fields, at);
  }
}
