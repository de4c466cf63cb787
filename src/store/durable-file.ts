/**
 * Durable whole-file writes and recovering reads.
 *
 * lowdb's own JSONFile (steno) renames a temp file over the target but never fsyncs, so after a power
 * cut the new name can point at blocks that never reached the disk. Here a write is: temp file in the
 * same directory → fsync it → move the current file to `<name>.bak` → rename the temp file over the
 * target → fsync the directory. Only then is the write reported done.
 *
 * The content can come as one string (writeFileDurably) or as chunks pulled one at a time while they
 * are written (writeChunksDurably): the store's snapshot is serialised lazily, in slices, so compaction
 * never holds the event loop for long.
 *
 * Keeping the previous file as `.bak` costs one rename (no copy) and the backup is itself a file that
 * was fsynced when it was written. A crash between the two renames leaves no main file but a good
 * `.bak`; readJsonWithFallback recovers from that just as from a corrupt main file.
 */
import { constants as fsConstants } from 'node:fs';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/** Writes `text` to `path` durably; must not resolve before the data survives a power cut. */
export type TextFileWriter = (path: string, text: string) => Promise<void>;

/**
 * Writes the text made of `chunks` to `path` durably, pulling the next chunk only once the previous
 * one is handled (the producer serialises lazily); must not resolve before the data survives a power
 * cut, and must leave the previous file in place when it fails.
 */
export type ChunkedFileWriter = (path: string, chunks: AsyncIterable<string>) => Promise<void>;

export interface DurableWriteOptions {
  /** Where the previous version of the file is moved before the new one takes its name. */
  backupPath?: string;
  /** Permission bits of a newly created file. Stores hold buyer data, so owner-only by default. */
  mode?: number;
}

export function backupPathFor(path: string): string {
  return `${path}.bak`;
}

function tempPathFor(path: string): string {
  // One writer per file (the store's lock and its write queue guarantee it), so a fixed name suffices
  // and a temp file left by a crash is simply overwritten next time.
  return join(dirname(path), `.${basename(path)}.tmp`);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, fsConstants.O_RDONLY);
  } catch (error) {
    // Windows cannot open a directory; NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems refuse fsync on a directory handle; there is nothing more we can do there.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Large files (the store's snapshot) are written in slices, each flushed before the next. On ext4
 * (data=ordered) an fsync of any file waits for every dirty block the journal commit carries, so a
 * 50 MB snapshot written in one go would hold up the change log's small fsyncs — and with them every
 * acknowledgement — until all of it reached the disk. Slices also let the event loop breathe between them.
 */
const WRITE_SLICE_BYTES = 4 * 1024 * 1024;

/** Cuts a whole file's content into write slices, without copying a short string. */
function* slicesOf(data: string | Uint8Array): Generator<string | Uint8Array> {
  if (typeof data === 'string' && data.length <= WRITE_SLICE_BYTES) {
    yield data;
    return;
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let offset = 0; offset < bytes.length; offset += WRITE_SLICE_BYTES) {
    yield bytes.subarray(offset, Math.min(offset + WRITE_SLICE_BYTES, bytes.length));
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
    written += bytesWritten;
  }
}

/**
 * Writes the chunks one after the other, flushing every WRITE_SLICE_BYTES so the change log's fsyncs
 * never wait behind a whole snapshot's dirty blocks.
 */
async function writeChunks(handle: FileHandle, chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): Promise<void> {
  let unflushed = 0;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (unflushed > 0 && unflushed + bytes.length > WRITE_SLICE_BYTES) {
      await handle.datasync();
      unflushed = 0;
    }
    await writeAll(handle, bytes);
    unflushed += bytes.length;
  }
}

/**
 * Replaces `path` with the concatenation of `chunks`, consumed one at a time as they are written, so
 * that either the old or the new content survives any crash. If producing or writing a chunk fails,
 * the temp file is removed and `path` (and its `.bak`) are untouched.
 */
export async function writeChunksDurably(
  path: string,
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: DurableWriteOptions = {},
): Promise<void> {
  const tempPath = tempPathFor(path);
  try {
    const handle = await open(tempPath, 'w', options.mode ?? 0o600);
    try {
      await writeChunks(handle, chunks);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.backupPath) {
      try {
        await rename(path, options.backupPath);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    }
    await rename(tempPath, path);
    await fsyncDirectory(dirname(path));
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not write ${path} durably: ${reason}`, { cause: error });
  }
}

/** Replaces `path` with `data` so that either the old or the new content survives any crash. */
export function writeFileDurably(path: string, data: string | Uint8Array, options: DurableWriteOptions = {}): Promise<void> {
  return writeChunksDurably(path, slicesOf(data), options);
}

export type ReadSource = 'main' | 'backup' | 'none';

export interface RecoveredJson<T> {
  /** undefined when neither the file nor its backup exists (a fresh data directory). */
  value: T | undefined;
  from: ReadSource;
  /** Sentences for the operator; set when the backup had to be used. */
  warnings: string[];
  /** When the backup was used: what was wrong with the main file, and where things are now. */
  recovery?: { reason: string; backup: string; quarantined?: string };
}

export interface ReadJsonOptions<T> {
  backupPath?: string;
  /**
   * Checks the parsed JSON and returns it typed, or throws an Error whose message says what is wrong.
   * The message is shown to the operator, so it must not quote file content (buyer data).
   */
  validate: (value: unknown) => T;
  /** Clock for the name of the quarantined file. */
  now?: () => Date;
}

/** The file could not be used and there was no usable backup either. Nothing was changed on disk. */
export class UnreadableFileError extends Error {
  constructor(
    readonly path: string,
    readonly reasons: string[],
    advice = 'Restore the file from a backup, or move it away to start with an empty store.',
  ) {
    super(`Cannot open ${path}: ${reasons.join('; ')}. Nothing was changed. ${advice}`);
    this.name = 'UnreadableFileError';
  }
}

type Attempt<T> = { ok: true; value: T } | { ok: false; missing: boolean; reason: string };

async function tryRead<T>(path: string, validate: (value: unknown) => T): Promise<Attempt<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { ok: false, missing: true, reason: `${basename(path)} does not exist` };
    return { ok: false, missing: false, reason: `${basename(path)} cannot be read (${errorCode(error) ?? 'error'})` };
  }
  if (text.trim() === '') return { ok: false, missing: false, reason: `${basename(path)} is empty` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the text around the error, which may be buyer data.
    return { ok: false, missing: false, reason: `${basename(path)} is not valid JSON (truncated or damaged)` };
  }
  try {
    return { ok: true, value: validate(parsed) };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, missing: false, reason: `${basename(path)} ${why}` };
  }
}

/**
 * Reads the JSON file at `path`; if it is missing, empty, damaged or fails validation, reads the backup
 * instead and says so in `warnings`. A damaged main file is renamed to `<name>.corrupt-<time>` so the
 * next write cannot push it over the good backup and an operator can still inspect it.
 */
export async function readJsonWithFallback<T>(path: string, options: ReadJsonOptions<T>): Promise<RecoveredJson<T>> {
  const main = await tryRead(path, options.validate);
  if (main.ok) return { value: main.value, from: 'main', warnings: [] };

  const backupPath = options.backupPath;
  const backup = backupPath ? await tryRead(backupPath, options.validate) : undefined;
  if (main.missing && (!backup || (!backup.ok && backup.missing))) {
    return { value: undefined, from: 'none', warnings: [] };
  }
  if (!backup || !backup.ok) {
    throw new UnreadableFileError(path, [main.reason, backup ? backup.reason : 'there is no backup file']);
  }

  let kept = '';
  const recovery: NonNullable<RecoveredJson<T>['recovery']> = { reason: main.reason, backup: basename(backupPath!) };
  if (!main.missing) {
    const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-');
    const quarantine = `${path}.corrupt-${stamp}`;
    await rename(path, quarantine);
    recovery.quarantined = basename(quarantine);
    kept = ` The damaged file was kept as ${basename(quarantine)}.`;
  }
  const warning =
    `${main.reason}; recovered the previous copy from ${basename(backupPath!)}. ` +
    `Changes from the last write before the damage may be missing; check the most recent orders.${kept}`;
  return { value: backup.value, from: 'backup', warnings: [warning], recovery };
}

export interface DurableJsonFileOptions<T> {
  validate: (value: unknown) => T;
  /** Replaces the file writer (tests count or fail writes through it). Defaults to writeFileDurably with a `.bak`. */
  writer?: TextFileWriter;
  now?: () => Date;
}

/**
 * A lowdb adapter: compact JSON (the whole database is stringified on every write, so no indentation),
 * durable writes, and a read that falls back to the `.bak` copy. `lastRead` tells the caller what happened.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly backupPath: string;
  lastRead: RecoveredJson<T> | undefined;
  /** Length (UTF-16 units, close to bytes for JSON) of the text handed to the last write. */
  lastWriteLength = 0;
  private readonly writer: TextFileWriter;

  constructor(
    readonly path: string,
    private readonly options: DurableJsonFileOptions<T>,
  ) {
    this.backupPath = backupPathFor(path);
    this.writer = options.writer ?? ((target, text) => writeFileDurably(target, text, { backupPath: backupPathFor(target) }));
  }

  async read(): Promise<T | null> {
    const readOptions: ReadJsonOptions<T> = { backupPath: this.backupPath, validate: this.options.validate };
    if (this.options.now) readOptions.now = this.options.now;
    this.lastRead = await readJsonWithFallback(this.path, readOptions);
    return this.lastRead.value ?? null;
  }

  write(data: T): Promise<void> {
    // Stringify now, synchronously: the snapshot must be exactly the state at the moment of the call.
    const text = JSON.stringify(data);
    this.lastWriteLength = text.length;
    return this.writer(this.path, text);
  }
}
