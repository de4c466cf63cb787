/**
 * How the sandbox decides whether a document may be created (reference §2.5): the shape and required
 * fields, every amount rule of amounts.ts (without filling anything in: the imprenta computes
 * nothing), the series, the Number continuing from the counter, the affected invoice of a note, and
 * SystemReference as a unique key when the series says so.
 */
import type { z } from 'zod';
import { auditAmounts } from '../amounts.js';
import { DetailInput, DocumentInput, amountsOf, type DocumentInput as ParsedDocument } from '../wire.js';
import type { SandboxAccount } from './seed.js';
import type { SandboxStore } from './state.js';

/** One per-document error, in the shape Galac reads from `documents/create` (§2.3). */
export interface DocumentError {
  errorType: string;
  whatIsEval: string;
  errorMessage: string;
}

export type Judgement = { ok: true; document: ParsedDocument } | { ok: false; code: string; errors: DocumentError[] };

const HEADER_KEYS = new Set(Object.keys(DocumentInput.shape));
const DETAIL_KEYS = new Set(Object.keys(DetailInput.shape));

/** .NET ignores fields it does not bind; so does the sandbox (Puente's own schema is the strict one). */
function withoutUnknownFields(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (HEADER_KEYS.has(key)) out[key] = value;
  if (Array.isArray(out.Details)) {
    out.Details = out.Details.map((detail: unknown) =>
      typeof detail === 'object' && detail !== null && !Array.isArray(detail)
        ? Object.fromEntries(Object.entries(detail).filter(([key]) => DETAIL_KEYS.has(key)))
        : detail,
    );
  }
  return out;
}

function pathText(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

function zodErrors(error: z.ZodError): DocumentError[] {
  return error.issues.map((issue) => ({ errorType: 'Validation', whatIsEval: pathText(issue.path), errorMessage: issue.message }));
}

export interface JudgeContext {
  store: SandboxStore;
  account: SandboxAccount;
  /** Numbers already taken in this same request, per `${serie}|${type}`. */
  takenInRequest: Map<string, number>;
  /** References already used in this same request. */
  referencesInRequest: Set<string>;
}

/**
 * Judges one document. Its Number counts as taken within the request even when it fails for another
 * reason, so each document of a `Docs` list is judged on its own merits, as if the ones before it
 * had been accepted.
 */
export function judgeDocument(body: unknown, context: JudgeContext): Judgement {
  const claimed = claimNumber(body, context);
  const judgement = judge(body, context);
  if (!judgement.ok && claimed) context.takenInRequest.set(claimed.key, claimed.number);
  return judgement;
}

function claimNumber(body: unknown, context: JudgeContext): { key: string; number: number } | undefined {
  const doc = (body ?? {}) as Record<string, unknown>;
  const series = context.account.series.find((s) => typeof doc.SerieStrongId === 'string' && s.strongId.toLowerCase() === doc.SerieStrongId.toLowerCase());
  if (!series || typeof doc.DocumentType !== 'string' || typeof doc.Number !== 'number') return undefined;
  const key = `${series.strongId}|${doc.DocumentType}`;
  const counter = context.takenInRequest.get(key) ?? context.store.counter(context.account.userName, series.strongId, doc.DocumentType);
  return doc.Number === counter + 1 ? { key, number: doc.Number } : undefined;
}

function judge(body: unknown, context: JudgeContext): Judgement {
  const parsed = DocumentInput.safeParse(withoutUnknownFields(body));
  if (!parsed.success) return { ok: false, code: 'DocumentCantBeBuild', errors: zodErrors(parsed.error) };
  const doc = parsed.data;
  const { store, account } = context;

  if (!doc.SerieStrongId) return { ok: false, code: 'DocumentCantBeBuild', errors: [{ errorType: 'Validation', whatIsEval: 'SerieStrongId', errorMessage: "'Serie Strong Id' no debería estar vacío" }] };
  const serieId = doc.SerieStrongId;
  const series = account.series.find((s) => s.strongId.toLowerCase() === serieId.toLowerCase());
  if (!series) return { ok: false, code: 'SerieNotValid', errors: [{ errorType: 'Validation', whatIsEval: 'SerieStrongId', errorMessage: `La serie no es válida ${serieId}` }] };

  const problems = auditAmounts(amountsOf(doc));
  if (problems.length) {
    return {
      ok: false,
      code: problems[0]!.code,
      errors: problems.map((p) => ({ errorType: p.code, whatIsEval: pathText(p.path), errorMessage: p.message })),
    };
  }
  if (!/^([VEJGP]-?)?\d[\d-]*$/i.test(doc.FiscalRegistry.trim())) {
    return { ok: false, code: 'DocumentCantBeBuild', errors: [{ errorType: 'Validation', whatIsEval: 'FiscalRegistry', errorMessage: "'Fiscal Registry' no es válido" }] };
  }
  if (!doc.FiscalRegistryCode && !/^[VEJGP]/i.test(doc.FiscalRegistry.trim())) {
    return { ok: false, code: 'DocumentCantBeBuild', errors: [{ errorType: 'Validation', whatIsEval: 'FiscalRegistryCode', errorMessage: "'Fiscal Registry Code' no debería estar vacío" }] };
  }

  if (doc.DocumentType !== 'FA') {
    const affected = doc.AffectedDocumentNumber;
    const exists =
      affected !== undefined &&
      store.data.documents.some(
        (d) => d.userName === account.userName && d.serieStrongId === series.strongId && d.documentType === 'FA' && d.number === affected && d.status !== 'Cancelled',
      );
    if (!exists) {
      return {
        ok: false,
        code: 'AffectedDocumentNotFound',
        errors: [{ errorType: 'Validation', whatIsEval: 'AffectedDocumentNumber', errorMessage: affected === undefined ? "'Affected Document Number' no debería estar vacío" : `El documento afectado FA ${affected} no existe en la serie ${series.name}` }],
      };
    }
  }

  // [NF] "strictly ascending, continuing from GET /series/counters": the sandbox wants exactly the next number.
  const key = `${series.strongId}|${doc.DocumentType}`;
  const counter = context.takenInRequest.get(key) ?? store.counter(account.userName, series.strongId, doc.DocumentType);
  if (doc.Number !== counter + 1) {
    return {
      ok: false,
      code: 'NumberMustBeConsecutive',
      errors: [{ errorType: 'Validation', whatIsEval: 'Number', errorMessage: `El número ${doc.Number} no es el siguiente de la serie ${series.name} para ${doc.DocumentType}: se esperaba ${counter + 1}` }],
    };
  }

  const reference = doc.SystemReference?.trim();
  if (series.useSystemReferenceAsKey && reference) {
    const used =
      context.referencesInRequest.has(reference) ||
      store.data.documents.some((d) => d.userName === account.userName && d.systemReference === reference && d.status !== 'Cancelled');
    if (used) {
      return {
        ok: false,
        code: 'SystemReferenceAlreadyExists',
        errors: [{ errorType: 'Validation', whatIsEval: 'SystemReference', errorMessage: `Ya existe un documento con la referencia ${reference}` }],
      };
    }
  }
  context.takenInRequest.set(key, doc.Number);
  if (reference) context.referencesInRequest.add(reference);
  return { ok: true, document: doc };
}
