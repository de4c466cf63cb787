/** The store module: the Store contract, its lowdb implementation (snapshot + change log, incremental compaction, archive of finished records), and the pieces it is built from. */
export * from './store.js';
export {
  LowdbStore,
  StoreClosedError,
  StoreInputError,
  DEFAULT_STORE_FILE_NAME,
  DEFAULT_COMPACT_AFTER_BYTES,
  DEFAULT_COMPACT_AFTER_COMMITS,
  DEFAULT_ARCHIVE_AFTER_MS,
  DEFAULT_DEDUPE_WINDOW_MS,
  DEFAULT_ARCHIVE_EVERY_MS,
  DEFAULT_ARCHIVE_SLICE_RECORDS,
  captureStoreSnapshot,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type LowdbStoreOptions,
  type ArchiveSummary,
  type StoreData,
} from './lowdb-store.js';
export { RecordArchive, ArchiveDamagedError, ArchiveMissingError, ARCHIVE_DIR_NAME, type ArchiveKind, type Location as ArchiveLocation } from './archive.js';
export { snapshotChunks, DEFAULT_SLICE_MS, DEFAULT_CHUNK_CHARS, type SnapshotPart, type SnapshotSlicing } from './snapshot.js';
export {
  writeFileDurably,
  writeChunksDurably,
  readJsonWithFallback,
  backupPathFor,
  DurableJsonFile,
  UnreadableFileError,
  type TextFileWriter,
  type ChunkedFileWriter,
  type DurableWriteOptions,
  type RecoveredJson,
  type ReadJsonOptions,
  type ReadSource,
  type DurableJsonFileOptions,
} from './durable-file.js';
export {
  ChangeLog,
  ChangeLogDamagedError,
  parseLogSegment,
  changeLogPathFor,
  previousChangeLogPathFor,
  type CommitLine,
  type LogAppendHook,
  type LogSegment,
  type ChangeLogOptions,
} from './change-log.js';
export { acquireLock, isProcessAlive, LOCK_FILE_NAME, type StoreLock, type AcquireLockOptions } from './lock.js';
export { newId, idTime, createIdGenerator, ID_PATTERN, type IdGenerator, type IdGeneratorOptions } from './ids.js';
