/**
 * Parsers for Unidigital's answers (reference §2.2–2.7). Every answer except login is the envelope
 * `{result, errors, warnings, information, success, hasErrors}`. The clients the reference draws on
 * disagree on casing (`StrongId` / `strongId`) and on whether an id comes bare or inside an object,
 * so every reader here accepts both and keeps only what Puente uses.
 */
import { z } from 'zod';

export class UnexpectedResponseError extends Error {
  constructor(what: string) {
    super(`Unidigital answered with an unexpected body: ${what}`);
    this.name = 'UnexpectedResponseError';
  }
}

type Obj = Record<string, unknown>;
const Loose = z.looseObject({});

function asObject(value: unknown): Obj | undefined {
  if (Array.isArray(value)) return undefined;
  const parsed = Loose.safeParse(value);
  return parsed.success ? (parsed.data as Obj) : undefined;
}

/** A property by any casing of its first letter (`strongId` / `StrongId`). */
function prop(obj: Obj | undefined, name: string): unknown {
  if (!obj) return undefined;
  if (name in obj) return obj[name];
  const flipped = name[0] === name[0]!.toUpperCase() ? name[0]!.toLowerCase() + name.slice(1) : name[0]!.toUpperCase() + name.slice(1);
  return obj[flipped];
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

function strings(value: unknown): string[] {
  if (!Array.isArray(value)) return typeof value === 'string' && value.trim() ? [value] : [];
  return value.flatMap((v) => (typeof v === 'string' ? [v] : str(prop(asObject(v), 'message')) ?? []));
}

// ─── envelope ────────────────────────────────────────────────────────────────────────────────────

export interface EnvelopeError {
  code: string | undefined;
  message: string;
  extra: unknown;
}

export interface Envelope {
  result: unknown;
  errors: EnvelopeError[];
  information: string[];
  warnings: string[];
  hasErrors: boolean;
}

function errorsOf(value: unknown): EnvelopeError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    if (typeof entry === 'string') return entry.trim() ? [{ code: undefined, message: entry, extra: undefined }] : [];
    const obj = asObject(entry);
    if (!obj) return [];
    const message = str(prop(obj, 'message')) ?? str(prop(obj, 'errorMessage')) ?? '';
    return [{ code: str(prop(obj, 'code')), message, extra: prop(obj, 'extra') }];
  });
}

/** Reads the envelope; `undefined` when the body is not one (no hasErrors and no result). */
export function parseEnvelope(body: unknown): Envelope | undefined {
  const obj = asObject(body);
  if (!obj) return undefined;
  const hasErrorsValue = prop(obj, 'hasErrors');
  if (hasErrorsValue === undefined && !('result' in obj) && !('errors' in obj)) return undefined;
  const errors = errorsOf(prop(obj, 'errors'));
  return {
    result: prop(obj, 'result'),
    errors,
    information: strings(prop(obj, 'information')),
    warnings: strings(prop(obj, 'warnings')),
    hasErrors: hasErrorsValue === true || hasErrorsValue === 'true' || (hasErrorsValue === undefined && errors.length > 0),
  };
}

/** Every message of a failed envelope, code first when there is one. */
export function envelopeMessages(envelope: Pick<Envelope, 'errors' | 'information'>): string[] {
  const fromErrors = envelope.errors.map((e) => (e.code ? `${e.code}: ${e.message}` : e.message)).filter((m) => m.trim() !== '');
  return fromErrors.length ? fromErrors : envelope.information;
}

// ─── login ───────────────────────────────────────────────────────────────────────────────────────

export interface LoginResult {
  accessToken: string;
  /** Series the login answer listed; not to be trusted (§2.2), kept only for diagnostics. */
  seriesCount: number;
  environment: string | undefined;
}

/** `user/login` answers a direct object (not the envelope): `{userName, accessToken, …}`. */
export function parseLogin(body: unknown): LoginResult | undefined {
  const obj = asObject(body);
  const token = str(prop(obj, 'accessToken'));
  if (!obj || !token) return undefined;
  const series = prop(obj, 'series');
  return { accessToken: token, seriesCount: Array.isArray(series) ? series.length : 0, environment: str(prop(obj, 'environment')) };
}

// ─── series ──────────────────────────────────────────────────────────────────────────────────────

export interface SeriesCounter {
  /** strongId of the series. */
  serieStrongId: string | undefined;
  serieName: string | undefined;
  documentType: string;
  /** The last Number used for this series and document type. */
  counter: number;
}

/** `GET /series/counters`: `[{strongId, serie, documentType, counter}]`. */
export function parseCounters(result: unknown): SeriesCounter[] {
  const list = Array.isArray(result) ? result : listIn(result);
  if (!list) throw new UnexpectedResponseError('series/counters result is not a list');
  return list.flatMap((entry) => {
    const obj = asObject(entry);
    const documentType = str(prop(obj, 'documentType'));
    const counter = num(prop(obj, 'counter'));
    if (!obj || !documentType || counter === undefined) return [];
    return [{ serieStrongId: str(prop(obj, 'strongId')) ?? str(prop(obj, 'serieStrongId')), serieName: str(prop(obj, 'serie')), documentType, counter }];
  });
}

export interface SeriesInfo {
  strongId: string;
  name: string | undefined;
  useSystemReferenceAsKey: boolean | undefined;
}

/** `GET /series`: `[{strongId, name, lastControlNumberUsed, useSystemReferenceAsKey, calculatedByCompany}]`. */
export function parseSeries(result: unknown): SeriesInfo[] {
  const list = Array.isArray(result) ? result : listIn(result);
  if (!list) throw new UnexpectedResponseError('series result is not a list');
  return list.flatMap((entry) => {
    const obj = asObject(entry);
    const strongId = str(prop(obj, 'strongId'));
    if (!strongId) return [];
    const key = prop(obj, 'useSystemReferenceAsKey');
    return [{ strongId, name: str(prop(obj, 'name')), useSystemReferenceAsKey: typeof key === 'boolean' ? key : undefined }];
  });
}

// ─── batches ─────────────────────────────────────────────────────────────────────────────────────

/** `batch/open`: the vendor doc has `result.StrongId`; the ProfitUnidigital client reads a bare `result`. */
export function batchIdOf(result: unknown): string {
  if (typeof result === 'string' && result.trim()) return result.trim();
  const id = str(prop(asObject(result), 'StrongId')) ?? str(prop(asObject(result), 'Id'));
  if (id && id.trim()) return id.trim();
  throw new UnexpectedResponseError('batch/open result has neither StrongId nor a bare id');
}

export const BATCH_STATUS = { open: 1, closed: 2, approved: 3, cancelled: 5 } as const;

export interface BatchInfo {
  strongId: string | undefined;
  currentStatus: number | undefined;
}

export function parseBatch(result: unknown): BatchInfo {
  const obj = asObject(result);
  if (!obj) throw new UnexpectedResponseError('batch result is not an object');
  return { strongId: str(prop(obj, 'strongId')), currentStatus: num(prop(obj, 'currentStatus')) };
}

/** The existing open batch named by a BATCH_EXISTS error's `extra` ({strongId, date, serieStrongId}). */
export function existingBatchOf(errors: EnvelopeError[]): { strongId: string; date: string | undefined } | undefined {
  for (const error of errors) {
    const extra = typeof error.extra === 'string' ? safeJson(error.extra) : error.extra;
    const strongId = str(prop(asObject(extra), 'strongId'));
    if (error.code === 'BATCH_EXISTS' && strongId) return { strongId, date: str(prop(asObject(extra), 'date')) };
  }
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface CreatedDocument {
  strongId: string | undefined;
  number: number | undefined;
  systemReference: string | undefined;
}

export interface DocumentFailure {
  /** Index of the document in the `Docs` list sent, when the answer says (`internalPosition`). */
  position: number | undefined;
  number: number | undefined;
  documentType: string | undefined;
  messages: string[];
  code: string | undefined;
}

export interface CreateDocumentsResult {
  created: CreatedDocument[];
  failures: DocumentFailure[];
}

/**
 * `documents/create`: the created documents (a list in `result` or `result.Docs`) and, as Galac reads
 * it, per-document errors in `result.errors[]` (`{internalPosition, number, errors:[{errorMessage}], message, code}`).
 */
export function parseCreateDocuments(result: unknown): CreateDocumentsResult {
  const obj = asObject(result);
  const list = Array.isArray(result) ? result : (listIn(prop(obj, 'Docs')) ?? listIn(prop(obj, 'documents')) ?? (Array.isArray(prop(obj, 'result')) ? (prop(obj, 'result') as unknown[]) : []));
  const created = list.flatMap((entry) => {
    const doc = asObject(entry);
    if (!doc) return [];
    return [{ strongId: str(prop(doc, 'StrongId')), number: num(prop(doc, 'Number')), systemReference: str(prop(doc, 'SystemReference')) }];
  });
  return { created, failures: documentFailures(prop(obj, 'errors')) };
}

export function documentFailures(value: unknown): DocumentFailure[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const obj = asObject(entry);
    if (!obj) return [];
    const inner = prop(obj, 'errors');
    const innerMessages = Array.isArray(inner)
      ? inner.flatMap((e) => {
          const o = asObject(e);
          const message = str(prop(o, 'errorMessage')) ?? str(prop(o, 'message'));
          const what = str(prop(o, 'whatIsEval'));
          return message ? [what ? `${what}: ${message}` : message] : [];
        })
      : [];
    const message = str(prop(obj, 'message'));
    const messages = [...innerMessages, ...(message && !innerMessages.includes(message) ? [message] : [])];
    const position = num(prop(obj, 'internalPosition'));
    const number = num(prop(obj, 'number'));
    if (position === undefined && number === undefined) return [];
    return [{ position, number, documentType: str(prop(obj, 'documentType')), messages, code: str(prop(obj, 'code')) }];
  });
}

// ─── documents ───────────────────────────────────────────────────────────────────────────────────

export interface DocumentInfo {
  strongId: string | undefined;
  documentType: string | undefined;
  number: number | undefined;
  serieStrongId: string | undefined;
  /** 0 (or absent) until the imprenta assigns it. */
  controlNumber: number;
  /** "00-00000002"; "-1" until assigned. */
  controlNumberFormatted: string | undefined;
  /** "Approved" (waiting for its control number), "Assigned" (fiscal), others [NF]. */
  status: string | undefined;
  annulled: boolean;
  systemReference: string | undefined;
  batchStrongId: string | undefined;
  information: string[];
}

export function parseDocument(value: unknown): DocumentInfo | undefined {
  const obj = asObject(value);
  if (!obj) return undefined;
  const controlNumber = num(prop(obj, 'controlNumber')) ?? 0;
  const info: DocumentInfo = {
    strongId: str(prop(obj, 'strongId')),
    documentType: str(prop(obj, 'codeName')) ?? str(prop(obj, 'documentType')),
    number: num(prop(obj, 'number')),
    serieStrongId: str(prop(obj, 'serieStrongId')) ?? str(prop(obj, 'serie')),
    controlNumber,
    controlNumberFormatted: str(prop(obj, 'controlNumberFormatted')),
    status: str(prop(obj, 'status')),
    annulled: prop(obj, 'annulled') === true,
    systemReference: str(prop(obj, 'systemReference')),
    batchStrongId: str(prop(obj, 'batchStrongId')) ?? str(prop(obj, 'batch')),
    information: strings(prop(obj, 'information')),
  };
  return info.strongId || info.number !== undefined ? info : undefined;
}

/** A document is fiscal once it has a control number (§2.7: controlNumber ≠ 0 / status Assigned). */
export function hasControlNumber(doc: DocumentInfo): boolean {
  const formatted = doc.controlNumberFormatted?.trim();
  return doc.controlNumber > 0 || doc.status === 'Assigned' || (!!formatted && formatted !== '-1' && formatted !== '0');
}

export function parseDocumentList(result: unknown): { documents: DocumentInfo[]; totalCount: number | undefined } {
  const list = Array.isArray(result) ? result : listIn(result);
  if (!list) throw new UnexpectedResponseError('document list result is not a list');
  const total = num(prop(asObject(result), 'totalCount'));
  return { documents: list.flatMap((entry) => parseDocument(entry) ?? []), totalCount: total };
}

/** A list inside an object: `{result: […]}`, `{items: […]}`, `{documents: […]}`, `{data: […]}`. */
function listIn(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  const obj = asObject(value);
  for (const key of ['result', 'items', 'documents', 'data', 'Docs']) {
    const inner = prop(obj, key);
    if (Array.isArray(inner)) return inner;
  }
  return undefined;
}
