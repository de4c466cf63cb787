/** The store module: the Store contract, its lowdb implementation, and the pieces it is built from. */
export * from './store.js';
export {
  LowdbStore,
  StoreClosedError,
  StoreInputError,
  DEFAULT_STORE_FILE_NAME,
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
export { acquireLock, isProcessAlive, LOCK_FILE_NAME, type StoreLock, type AcquireLockOptions } from './lock.js';
export { newId, idTime, createIdGenerator, ID_PATTERN, type IdGenerator, type IdGeneratorOptions } from './ids.js';
