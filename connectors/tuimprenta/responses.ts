/**
 * tuimprenta.digital's answers: the invoice and batch resources, list pages, batch results and the
 * error envelope `{error:{type,message,field,code}}`. Parsers are lenient about fields Puente does
 * not read (the API may add some) and strict about the ones it does.
 */
import { z } from 'zod';
import type { DocumentOutcome } from '../../src/connector.js';

/** The metadata entry Puente adds to every document it sends: its idempotency key, echoed on the invoice. */
export const PUENTE_KEY_METADATA = 'puente_idempotency_key';

export const INVOICE_STATUSES = ['processing', 'issued', 'cancelled'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const BATCH_STATUSES = ['queued', 'processing', 'completed', 'failed', 'partial'] as const;
export type BatchStatusName = (typeof BATCH_STATUSES)[number];
export const FINAL_BATCH_STATUSES: ReadonlySet<BatchStatusName> = new Set(['completed', 'failed', 'partial']);

export const ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'fiscal_error',
  'not_found_error',
  'idempotency_error',
  'conflict_error',
  'rate_limit_error',
  'api_error',
] as const;

export const ApiErrorBody = z.looseObject({
  error: z.looseObject({
    type: z.string(),
    message: z.string(),
    field: z.string().nullable().optional(),
    code: z.string().nullable().optional(),
  }),
});
export type ApiError = z.infer<typeof ApiErrorBody>['error'];

export const Cancellation = z.looseObject({
  cancelled_at: z.string(),
  /** `annulment`: the invoice is void. `credit_note`: the imprenta issued a note for what remained. */
  method: z.enum(['annulment', 'credit_note']),
  credit_note_id: z.string().nullable(),
  credit_note_number: z.string().nullable().optional(),
  credit_note_control_number: z.string().nullable().optional(),
});

export const InvoiceResource = z.looseObject({
  id: z.string().min(1),
  object: z.literal('invoice'),
  document_type: z.enum(['invoice', 'credit_note', 'debit_note']),
  series: z.string(),
  number: z.string().nullable(),
  control_number: z.string().nullable(),
  status: z.enum(INVOICE_STATUSES),
  issued_at: z.string(),
  created_at: z.string(),
  currency: z.string(),
  grand_total: z.string(),
  metadata: z.record(z.string(), z.string()).default({}),
  related_invoice: z.looseObject({ id: z.string(), control_number: z.string().nullable() }).nullable().optional(),
  cancellation: Cancellation.nullable().optional(),
  pdf_url: z.string().nullable().optional(),
  xml_url: z.string().nullable().optional(),
  verification_url: z.string().nullable().optional(),
});
export type InvoiceResource = z.infer<typeof InvoiceResource>;

export const InvoiceList = z.looseObject({
  object: z.literal('list'),
  data: z.array(InvoiceResource),
  next_cursor: z.string().nullable(),
  prev_cursor: z.string().nullable(),
});
export type InvoiceList = z.infer<typeof InvoiceList>;

export const BatchResource = z.looseObject({
  id: z.string().min(1),
  object: z.literal('batch'),
  status: z.enum(BATCH_STATUSES),
  counts: z.looseObject({ total: z.number(), processed: z.number(), succeeded: z.number(), failed: z.number() }),
  callback_url: z.string().nullable().optional(),
  created_at: z.string(),
  completed_at: z.string().nullable().optional(),
});
export type BatchResource = z.infer<typeof BatchResource>;

export const BatchResultRow = z.looseObject({
  row: z.number(),
  idempotency_key: z.string().nullable(),
  status: z.enum(['succeeded', 'failed']),
  invoice: InvoiceResource.nullable(),
  error: ApiErrorBody.shape.error.nullable(),
});
export type BatchResultRow = z.infer<typeof BatchResultRow>;

export const BatchResult = z.looseObject({
  object: z.literal('list'),
  batch_id: z.string(),
  data: z.array(BatchResultRow),
});
export type BatchResult = z.infer<typeof BatchResult>;

export const PingResource = z.looseObject({ ok: z.literal(true) });

/** Raised when a 2xx body is not what the API documents. */
export class UnexpectedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

export function parseWith<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.map(String).join('.') || '(body)';
  throw new UnexpectedResponseError(`tuimprenta ${what}: unexpected answer (${where}: ${issue?.message ?? 'invalid'})`);
}

export function parseErrorBody(body: unknown): ApiError | undefined {
  const parsed = ApiErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}

const TYPE_PREFIX: Record<InvoiceResource['document_type'], string> = { invoice: '', credit_note: 'NC-', debit_note: 'ND-' };

/** How Puente writes a tuimprenta document's number: series and number, notes marked (A-00000017, NC-A-00000003). */
export function fiscalNumberOf(invoice: Pick<InvoiceResource, 'document_type' | 'series' | 'number'>): string {
  return `${TYPE_PREFIX[invoice.document_type]}${invoice.series}-${invoice.number ?? ''}`;
}

/**
 * A tuimprenta document as a per-document outcome: issued once the imprenta assigned its control
 * number (which is then the `uuid`), pending while it is processing. A document cancelled later was
 * still issued: its cancellation is a separate legal act.
 */
export function outcomeFromInvoice(documentId: string, invoice: InvoiceResource): DocumentOutcome {
  if (invoice.status === 'processing' || !invoice.control_number || !invoice.number) {
    return { documentId, outcome: 'pending' };
  }
  const links: { pdf?: string; xml?: string; qr?: string } = {};
  if (invoice.pdf_url) links.pdf = invoice.pdf_url;
  if (invoice.xml_url) links.xml = invoice.xml_url;
  if (invoice.verification_url) links.qr = invoice.verification_url;
  return {
    documentId,
    outcome: 'issued',
    fiscalNumber: fiscalNumberOf(invoice),
    uuid: invoice.control_number,
    ...(Object.keys(links).length ? { links } : {}),
  };
}
