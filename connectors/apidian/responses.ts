/**
 * Parsers for APIDIAN's response bodies (reference §1.8). APIDIAN wraps DIAN's SOAP answer as JSON
 * (`ResponseDian`), where every value is a string and an XML element may arrive as a string, as
 * `{_value}`, as `{}` (empty) or, when repeated, as an array. The parsers accept all of these and
 * reduce them to small typed records; anything else about the body is ignored on purpose.
 */
import { z } from 'zod';

/** Thrown when a 2xx body does not have the shape the call promises. */
export class UnexpectedResponseError extends Error {
  constructor(what: string) {
    super(`APIDIAN answered with an unexpected body: ${what}`);
    this.name = 'UnexpectedResponseError';
  }
}

const Obj = z.looseObject({});
type Obj = Record<string, unknown>;

function asObject(value: unknown): Obj | undefined {
  const parsed = Obj.safeParse(value);
  return parsed.success && !Array.isArray(value) ? (parsed.data as Obj) : undefined;
}

/** Follows a path of keys through nested objects; undefined as soon as one is missing. */
function dig(value: unknown, path: readonly string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    const obj = asObject(current);
    if (!obj) return undefined;
    current = obj[key];
  }
  return current;
}

/** The text of an XML-as-JSON element: `"x"`, `{_value:"x"}`; `{}` and `{_attributes:{nil}}` are empty. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const obj = asObject(value);
  if (obj && '_value' in obj) return textOf(obj._value);
  if (obj && '_text' in obj) return textOf(obj._text);
  return undefined;
}

/** One element or a repeated element (array) as a list; absent or empty → []. */
function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * DIAN's `ErrorMessage`: `{}` when empty, `{string:"…"}` for one message, `{string:[…]}` for several.
 * A bare string or array is accepted too, because converters differ between APIDIAN versions.
 */
export function errorMessagesOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.trim() ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(errorMessagesOf);
  const obj = asObject(value);
  if (!obj) return [];
  if ('string' in obj) return errorMessagesOf(obj.string);
  const text = textOf(obj);
  return text && text.trim() ? [text] : [];
}

/** One DIAN answer about one document (`DianResponse`, `GetStatusResult`, `SendBillSyncResult`). */
export interface DianStatus {
  isValid: string | undefined;
  statusCode: string | undefined;
  statusDescription: string | undefined;
  statusMessage: string | undefined;
  errorMessages: string[];
  /** CUFE/CUDE of the document DIAN is talking about. */
  documentKey: string | undefined;
  fileName: string | undefined;
}

export function dianStatusOf(value: unknown): DianStatus | undefined {
  const obj = asObject(value);
  if (!obj) return undefined;
  const status: DianStatus = {
    isValid: textOf(obj.IsValid)?.trim().toLowerCase(),
    statusCode: textOf(obj.StatusCode)?.trim(),
    statusDescription: textOf(obj.StatusDescription),
    statusMessage: textOf(obj.StatusMessage),
    errorMessages: errorMessagesOf(obj.ErrorMessage),
    documentKey: textOf(obj.XmlDocumentKey)?.trim() || undefined,
    fileName: textOf(obj.XmlFileName)?.trim() || undefined,
  };
  const saysAnything =
    status.isValid !== undefined || status.statusCode !== undefined || status.documentKey !== undefined;
  return saysAnything ? status : undefined;
}

export type DianVerdict = 'valid' | 'invalid' | 'pending';

/**
 * DIAN's verdict on one document.
 * - valid:   IsValid "true" (StatusCode "00", "Procesado Correctamente").
 * - invalid: IsValid "false" with StatusCode "99" ("Validación contiene errores en campos mandatorios"),
 *            the only code DIAN uses for a final rejection of a document.
 * - pending: everything else — IsValid absent, StatusCode "98" (en proceso de validación), "66"/"90"
 *            (NSU/TrackId not found yet), or an empty answer. [NF] DIAN does not document every
 *            in-process answer, so anything that is not clearly final is treated as "ask again".
 */
export function dianVerdict(status: DianStatus): DianVerdict {
  if (status.isValid === 'true') return 'valid';
  if (status.isValid === 'false' && status.statusCode === '99') return 'invalid';
  return 'pending';
}

/** A rejection's messages, most useful first: the "Rechazo" rules, then anything DIAN said. */
export function rejectionMessages(status: DianStatus): string[] {
  const rejections = status.errorMessages.filter((m) => /rechazo/i.test(m));
  const others = status.errorMessages.filter((m) => !/rechazo/i.test(m));
  const texts = [status.statusDescription, status.statusMessage].filter(
    (t): t is string => typeof t === 'string' && t.trim() !== '',
  );
  return [...rejections, ...others, ...texts];
}

/** DIAN rule 90: the same CUFE/CUDE was already processed — i.e. an earlier send got through. */
export function isAlreadyProcessed(status: DianStatus): boolean {
  return status.errorMessages.some((m) => /regla:\s*90\b/i.test(m) || /procesado anteriormente/i.test(m));
}

// ─── add-to-batch ───────────────────────────────────────────────────────────────────────────────

export interface AddToBatchResult {
  /** CUFE (invoices) or CUDE (notes), as APIDIAN computed it while signing. */
  documentKey: string;
  message: string | undefined;
  urls: { xml?: string; pdf?: string };
  qr: string | undefined;
}

export function parseAddToBatch(body: unknown): AddToBatchResult {
  const obj = asObject(body);
  if (!obj) throw new UnexpectedResponseError('add-to-batch body is not a JSON object');
  const documentKey = textOf(obj.cufe) ?? textOf(obj.cude);
  if (!documentKey) throw new UnexpectedResponseError('add-to-batch answer carries neither cufe nor cude');
  return {
    documentKey,
    message: textOf(obj.message),
    urls: urlsOf(obj),
    qr: textOf(obj.QRStr),
  };
}

function urlsOf(obj: Obj): { xml?: string; pdf?: string } {
  const urls: { xml?: string; pdf?: string } = {};
  const xml = textOf(obj.urlinvoicexml);
  const pdf = textOf(obj.urlinvoicepdf);
  if (xml) urls.xml = xml;
  if (pdf) urls.pdf = pdf;
  return urls;
}

// ─── send-batch ─────────────────────────────────────────────────────────────────────────────────

export interface SendBatchResult {
  zipKey: string | undefined;
  /** ErrorMessageList entries that say something went wrong (Success "false", or plain strings). */
  errors: string[];
  message: string | undefined;
}

export function parseSendBatch(body: unknown): SendBatchResult {
  const obj = asObject(body);
  if (!obj) throw new UnexpectedResponseError('send-batch body is not a JSON object');
  const result = dig(obj.ResponseDian, ['Envelope', 'Body', 'SendBillAsyncResponse', 'SendBillAsyncResult']);
  const zipKey = textOf(dig(result, ['ZipKey']))?.trim() || undefined;
  return { zipKey, errors: errorMessageListOf(dig(result, ['ErrorMessageList'])), message: textOf(obj.message) };
}

/**
 * `ErrorMessageList` is `{}` when DIAN took the zip, or holds `XmlParamsResponseTrackId` entries
 * ({Success, ProcessedMessage, XmlFileName, …}) — one object or an array — or plain `string`s.
 */
function errorMessageListOf(value: unknown): string[] {
  const obj = asObject(value);
  if (!obj) return errorMessagesOf(value);
  const entries = listOf(obj.XmlParamsResponseTrackId).flatMap((entry) => {
    const e = asObject(entry);
    if (!e) return [];
    if (textOf(e.Success)?.trim().toLowerCase() === 'true') return [];
    const text = [textOf(e.XmlFileName), textOf(e.ProcessedMessage)].filter(Boolean).join(': ');
    return text ? [text] : [];
  });
  return [...entries, ...errorMessagesOf(obj.string)];
}

// ─── status ─────────────────────────────────────────────────────────────────────────────────────

/**
 * `status/zip/{zipKey}`: `GetStatusZipResult.DianResponse` is one object in the documented example;
 * for a zip with several documents DIAN answers one DianResponse each, which the XML→JSON conversion
 * turns into an array [NF]. Both are accepted. An empty list means DIAN has nothing to say yet.
 */
export function parseStatusZip(body: unknown): DianStatus[] {
  const obj = asObject(body);
  if (!obj) throw new UnexpectedResponseError('status/zip body is not a JSON object');
  const result = dig(obj.ResponseDian, ['Envelope', 'Body', 'GetStatusZipResponse', 'GetStatusZipResult']);
  if (result === undefined) throw new UnexpectedResponseError('status/zip answer has no GetStatusZipResult');
  const responses = asObject(result) ? (result as Obj).DianResponse : result;
  return listOf(responses).flatMap((entry) => {
    const status = dianStatusOf(entry);
    return status ? [status] : [];
  });
}

/** `status/document/{cufe}`: `GetStatusResponse.GetStatusResult`; undefined when DIAN said nothing. */
export function parseStatusDocument(body: unknown): DianStatus | undefined {
  const obj = asObject(body);
  if (!obj) throw new UnexpectedResponseError('status/document body is not a JSON object');
  const result = dig(obj.ResponseDian, ['Envelope', 'Body', 'GetStatusResponse', 'GetStatusResult']);
  if (result === undefined) throw new UnexpectedResponseError('status/document answer has no GetStatusResult');
  return dianStatusOf(result);
}

// ─── sync send ──────────────────────────────────────────────────────────────────────────────────

export interface SyncSendResult {
  documentKey: string | undefined;
  message: string | undefined;
  urls: { xml?: string; pdf?: string };
  qr: string | undefined;
  dian: DianStatus;
}

export function parseSyncSend(body: unknown): SyncSendResult {
  const obj = asObject(body);
  if (!obj) throw new UnexpectedResponseError('send body is not a JSON object');
  const result = dig(obj.ResponseDian, ['Envelope', 'Body', 'SendBillSyncResponse', 'SendBillSyncResult']);
  const dian = dianStatusOf(result);
  if (!dian) throw new UnexpectedResponseError('send answer has no SendBillSyncResult');
  return {
    documentKey: textOf(obj.cufe) ?? textOf(obj.cude) ?? dian.documentKey,
    message: textOf(obj.message),
    urls: urlsOf(obj),
    qr: textOf(obj.QRStr),
    dian,
  };
}

// ─── failures ───────────────────────────────────────────────────────────────────────────────────

/** `{success:false, message, error?, cufe?}` — APIDIAN's exception answers (HTTP 200 or the fork's 500). */
export interface FailureBody {
  message: string;
  error: string | undefined;
  /** Present on the "ya fue enviado anteriormente" duplicate answer. */
  documentKey: string | undefined;
}

export function parseFailureBody(body: unknown): FailureBody | undefined {
  const obj = asObject(body);
  if (!obj) return undefined;
  const success = obj.success;
  if (success !== false && success !== 'false') return undefined;
  return {
    message: textOf(obj.message) ?? '',
    error: typeof obj.error === 'string' ? obj.error : textOf(obj.error),
    documentKey: textOf(obj.cufe) ?? textOf(obj.cude),
  };
}

/** Laravel's 422 body: `{message, errors: {"customer.name": ["El campo … es obligatorio."]}}`. */
export interface ValidationBody {
  message: string | undefined;
  /** `field: message` for every message, in the order APIDIAN gave them. */
  messages: string[];
  firstField: string | undefined;
}

export function parseValidationBody(body: unknown): ValidationBody {
  const obj = asObject(body);
  const errors = asObject(obj?.errors);
  const messages: string[] = [];
  let firstField: string | undefined;
  for (const [field, value] of Object.entries(errors ?? {})) {
    firstField ??= field;
    const texts = listOf(value).map((v) => textOf(v)).filter((t): t is string => !!t);
    for (const text of texts.length ? texts : ['invalid']) messages.push(`${field}: ${text}`);
  }
  const message = textOf(obj?.message);
  if (!messages.length && message) messages.push(message);
  return { message, messages, firstField };
}
