/** Unidigital (Venezuela, imprenta digital): target connector, client, config, wire schemas. */
export { createUnidigitalTarget, controlNumberOf, type UnidigitalTarget, type UnidigitalTargetDeps, type UnidigitalReceipt } from './target.js';
export {
  UnidigitalClient,
  UnidigitalBatchExistsError,
  UnidigitalDocumentsRejectedError,
  retryAfterMsFrom,
  sha512Hex,
  type UnidigitalClientOptions,
  type UnidigitalLogger,
} from './client.js';
export { UnidigitalTargetConfig, parseUnidigitalTargetConfig, type UnidigitalTargetConfigInput } from './config.js';
export {
  DOCUMENT_TYPE,
  UNIDIGITAL_KINDS,
  unidigitalWireSchema,
  unidigitalWireSchemas,
  venezuelanDateTime,
  splitFiscalRegistry,
  describeIssues,
  type UnidigitalDocument,
  type UnidigitalDetail,
  type UnidigitalKind,
} from './wire.js';
export { auditAmounts, deriveAmounts, LEGAL_PERCENTS, TAX_CODE_PERCENT, type DocumentAmounts, type AmountProblem } from './amounts.js';
export { amountInLetters } from './amount-letters.js';
export { systemReferenceFor, isPuenteReference, PUENTE_REFERENCE_PREFIX } from './reference.js';
export { hasControlNumber, type DocumentInfo, type SeriesCounter } from './responses.js';
