/** The store module: the Store contract, its lowdb implementation (snapshot + change log), and the pieces it is built from. */
export * from './store.js';
export {
  LowdbStore,
  StoreClosedError,
  StoreInputError,
  DEFAULT_STORE_FILE_NAME,
  DEFAULT_COMPACT_AFTER_BYTES,
  DEFAULT_COMPACT_AFTER_COMMITS,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type LowdbStoreOptions,
} from './lowdb-store.js';
export {
  writeFileDurably,
  readJsonWithFallback,
  backupPathFor,
  DurableJsonFile,
  UnreadableFileError,
  type TextFileWriter,
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
