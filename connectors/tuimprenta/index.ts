/** tuimprenta.digital (Venezuela): target connector, client, config, wire schemas, CSV and webhooks. */
export { createTuimprentaTarget, isFullAnnulment, type TuimprentaReceipt, type TuimprentaTarget, type TuimprentaTargetDeps } from './target.js';
export {
  TuimprentaClient,
  TuimprentaError,
  retryAfterMsFrom,
  type BatchInvoice,
  type CreatedInvoice,
  type ListInvoicesParams,
  type TuimprentaClientOptions,
  type TuimprentaLogger,
} from './client.js';
export {
  TuimprentaTargetConfig,
  parseTuimprentaTargetConfig,
  TUIMPRENTA_IDEMPOTENCY_RETENTION_HOURS,
  TUIMPRENTA_MAX_BATCH_DOCUMENTS,
  TUIMPRENTA_REQUESTS_PER_MINUTE,
  type TuimprentaTargetConfigInput,
} from './config.js';
export {
  TuimprentaInvoiceCreate,
  invoiceArithmetic,
  structuralIssues,
  tuimprentaWireSchemas,
  IGTF_RATE,
  TUIMPRENTA_TAX_RATES,
  type InvoiceIssue,
  type TuimprentaInvoiceRequest,
} from './wire.js';
export {
  INVOICE_CSV_COLUMNS,
  REQUIRED_INVOICE_CSV_COLUMNS,
  RESULT_CSV_COLUMNS,
  csvToInvoices,
  invoicesToCsv,
  parseCsv,
  formatCsv,
} from './csv.js';
export {
  PUENTE_KEY_METADATA,
  fiscalNumberOf,
  outcomeFromInvoice,
  type BatchResource,
  type BatchResult,
  type InvoiceResource,
} from './responses.js';
export {
  receiveTuimprentaWebhook,
  signWebhookPayload,
  SIGNATURE_HEADER,
  type TuimprentaEvent,
  type TuimprentaWebhookInput,
  type TuimprentaWebhookVerdict,
} from './webhook.js';
