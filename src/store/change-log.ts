/**
 * The append-only change log behind the lowdb store: one NDJSON line per group commit, fsynced before
 * the commit is acknowledged, so a commit costs the size of what changed rather than the size of the
 * database. The full JSON snapshot is rewritten only when the log is compacted.
 *
 * File layout (next to the snapshot `<stem>.json`):
 *   `<stem>.log.ndjson`       the current log: a header line `{"puenteLog":1,"after":C}` then commit lines
 *   `<stem>.prev.log.ndjson`  the log the previous compaction retired (commits up to the current log's `after`)
 *
 * Every commit line carries its commit number `c` (strictly increasing across files); the snapshot
 * records the last commit it contains, and replay skips lines at or below it. The previous log is kept
 * until the next compaction so that a snapshot write still in progress, or a fall back to the `.bak`
 * snapshot, can still be completed from the logs.
 *
 * A commit line counts only once its newline is on disk: a last line without one is the remains of a
 * crash during an append that was never acknowledged, and is ignored with a warning. A damaged line
 * followed by more lines cannot come from a crash and refuses the open.
 */
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { writeFileDurably } from './durable-file.js';

const LOG_FORMAT = 1;

/** One commit as stored: its number plus whatever the store put in it. */
export interface CommitLine {
  c: number;
  [field: string]: unknown;
}

/**
 * Wraps each durable append; for tests that count, delay or fail appends. Call `append()` to really
 * write (and fsync) the line; throw instead to simulate a failed write.
 */
export type LogAppendHook = (line: string, append: () => Promise<void>) => Promise<void>;

export interface LogSegment {
  path: string;
  /** The last commit before this log started (from its header); undefined when the header is missing. */
  after: number | undefined;
  commits: CommitLine[];
  /** A final line without its newline was found (and left out of `commits`). */
  torn: boolean;
  /** Size of the file in bytes. */
  bytes: number;
}

/** A change log that cannot be replayed safely. Nothing was changed on disk. */
export class ChangeLogDamagedError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    reason: string,
  ) {
    super(
      `Cannot open the store: line ${line} of ${basename(path)} ${reason}. Nothing was changed. ` +
        'Restore the data directory from a backup; moving the log away would lose every change made since the last snapshot.',
    );
    this.name = 'ChangeLogDamagedError';
  }
}

/** `puente.json` → `puente.log.ndjson`. */
export function changeLogPathFor(snapshotPath: string): string {
  return join(dirname(snapshotPath), `${stemOf(snapshotPath)}.log.ndjson`);
}

/** `puente.json` → `puente.prev.log.ndjson`. */
export function previousChangeLogPathFor(snapshotPath: string): string {
  return join(dirname(snapshotPath), `${stemOf(snapshotPath)}.prev.log.ndjson`);
}

function stemOf(path: string): string {
  const name = basename(path);
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function headerLine(after: number): string {
  return `${JSON.stringify({ puenteLog: LOG_FORMAT, after })}\n`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one log file's text. Messages never quote the content (it holds buyer data). */
export function parseLogSegment(path: string, text: string): LogSegment {
  const segment: LogSegment = { path, after: undefined, commits: [], torn: false, bytes: Buffer.byteLength(text, 'utf8') };
  if (text === '') return segment;
  const lines = text.split('\n');
  // After the last newline: '' for a clean file, otherwise a line whose append never completed.
  const tail = lines.pop()!;
  segment.torn = tail !== '';
  let previous = -Infinity;
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A crash cuts only the unterminated tail short; a line that got its newline was written whole.
      throw new ChangeLogDamagedError(path, lineNumber, 'is not valid JSON although it was completely written (damage, not an interrupted write)');
    }
    if (!isObject(value)) throw new ChangeLogDamagedError(path, lineNumber, 'is not a JSON object');
    if (index === 0) {
      if (value.puenteLog !== LOG_FORMAT || !Number.isSafeInteger(value.after)) {
        if (typeof value.puenteLog === 'number' && value.puenteLog > LOG_FORMAT) {
          throw new Error(`Cannot open the store: ${basename(path)} was written by a newer Puente (log format ${value.puenteLog}).`);
        }
        throw new ChangeLogDamagedError(path, lineNumber, 'is not a Puente change log header');
      }
      segment.after = value.after as number;
      previous = segment.after;
      return;
    }
    const c = value.c;
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c <= previous) {
      throw new ChangeLogDamagedError(path, lineNumber, 'has a missing or out-of-order commit number');
    }
    previous = c;
    segment.commits.push(value as CommitLine);
  });
  return segment;
}

async function readSegment(path: string): Promise<LogSegment | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new Error(`Cannot open the store: ${basename(path)} cannot be read (${errorCode(error) ?? 'error'}).`, { cause: error });
  }
  return parseLogSegment(path, text);
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

export interface ChangeLogOptions {
  onAppend?: LogAppendHook;
}

/** The store's change log files. One writer at a time: the store's lock and its commit loop ensure it. */
export class ChangeLog {
  readonly path: string;
  readonly previousPath: string;
  private handle: FileHandle | undefined;
  private bytes = 0;
  private commitCount = 0;

  constructor(
    snapshotPath: string,
    private readonly options: ChangeLogOptions = {},
  ) {
    this.path = changeLogPathFor(snapshotPath);
    this.previousPath = previousChangeLogPathFor(snapshotPath);
  }

  /** Bytes appended since the current log was started (its header included). */
  get size(): number {
    return this.bytes;
  }

  /** Commits appended since the current log was started. */
  get commits(): number {
    return this.commitCount;
  }

  /** The retired log then the current one, whichever exist, in commit order. */
  async read(): Promise<LogSegment[]> {
    const segments: LogSegment[] = [];
    for (const path of [this.previousPath, this.path]) {
      const segment = await readSegment(path);
      if (segment) segments.push(segment);
    }
    return segments;
  }

  /** Continues appending to an existing, clean current log (its commits are all in memory already). */
  async resume(existingBytes: number, existingCommits: number): Promise<void> {
    await this.closeHandle();
    this.handle = await open(this.path, 'a', 0o600);
    this.bytes = existingBytes;
    this.commitCount = existingCommits;
  }

  /**
   * Appends one commit line and fsyncs it. The caller acknowledges the commit only after this resolves.
   * On failure part of the line may be on disk; the caller must not append again before reset().
   */
  async append(line: string): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('the change log is not open');
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    const write = async () => {
      await writeAll(handle, bytes);
      await handle.datasync();
    };
    if (this.options.onAppend) await this.options.onAppend(line, write);
    else await write();
    this.bytes += bytes.length;
    this.commitCount += 1;
  }

  /**
   * Retires the current log as the previous one and starts an empty log after commit `after`. The
   * caller must only do this once the snapshot covers everything before the current log (else the
   * retired previous log, still needed, would be overwritten).
   *
   * Crash-safe: the rename is atomic, and the new log (header only) is written to a temp file, fsynced
   * and renamed in place, then the directory is fsynced — which also makes the rename durable.
   */
  async rotate(after: number): Promise<void> {
    await this.closeHandle();
    try {
      await rename(this.path, this.previousPath);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    await this.start(after);
  }

  /**
   * Replaces the current log by an empty one after commit `after` and removes the previous log. Only
   * once a durable snapshot holds every commit up to `after`: until the old files are gone they hold
   * nothing but commits the snapshot already has, which replay skips.
   */
  async reset(after: number): Promise<void> {
    await this.closeHandle();
    await this.start(after);
    try {
      await unlink(this.previousPath);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }

  async close(): Promise<void> {
    await this.closeHandle();
  }

  private async start(after: number): Promise<void> {
    const header = headerLine(after);
    await writeFileDurably(this.path, header);
    this.handle = await open(this.path, 'a', 0o600);
    this.bytes = Buffer.byteLength(header);
    this.commitCount = 0;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
