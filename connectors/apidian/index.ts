/** APIDIAN (Colombia, DIAN UBL 2.1): target connector, its client, config and response parsers. */
export { createApidianTarget, type ApidianTarget, type ApidianTargetDeps, type ApidianReceipt } from './target.js';
export {
  ApidianClient,
  ApidianAlreadySentError,
  KIND_ROUTE,
  retryAfterMsFrom,
  type ApidianClientOptions,
  type ApidianLogger,
  type CurrentNumber,
  type SyncSendOutcome,
} from './client.js';
export {
  ApidianTargetConfig,
  parseApidianTargetConfig,
  type ApidianTargetConfigInput,
} from './config.js';
export {
  dianVerdict,
  errorMessagesOf,
  isAlreadyProcessed,
  parseAddToBatch,
  parseSendBatch,
  parseStatusDocument,
  parseStatusZip,
  parseSyncSend,
  rejectionMessages,
  type AddToBatchResult,
  type DianStatus,
  type DianVerdict,
  type SendBatchResult,
  type SyncSendResult,
} from './responses.js';
