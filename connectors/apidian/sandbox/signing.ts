/**
 * What APIDIAN does with a document body before DIAN sees it: the FormRequest (wire.ts plus the
 * resolution-dependent rules), then "signing" — choosing the resolution, computing the CUFE/CUDE
 * exactly as Puente's client does (cufe.ts), naming the files.
 */
import { TYPE_DOCUMENTS } from '../ids.js';
import { computeDocumentKey, cufeInputFromWire, formatAmount } from '../cufe.js';
import {
  apidianWireSchemas,
  laravelErrors,
  laravelMessage,
  monetaryTotalsOf,
  validationMessages,
  type ApidianDocumentKind,
  type ApidianWireDocument,
  type LaravelErrors,
} from '../wire.js';
import { dianXmlFileName, signedFileName } from './artifacts.js';
import type { SandboxCompany, SandboxResolution, SandboxStore, SignedDocument } from './state.js';

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function addError(errors: LaravelErrors, path: string, template: string): void {
  (errors[path] ??= []).push(laravelMessage(template, path));
}

/**
 * The resolution a document is numbered under, chosen like the FormRequests do: the only one of its
 * type; else the one with `resolution_number`; else the one with `prefix` too. Credit notes without
 * reference (with invoice_period) pick theirs by prefix.
 */
function selectResolution(
  company: SandboxCompany,
  kind: ApidianDocumentKind,
  doc: Record<string, unknown>,
  errors: LaravelErrors,
): SandboxResolution | undefined {
  const typeId = Number(doc.type_document_id);
  if (!Number.isInteger(typeId)) return undefined;
  const ofType = company.resolutions.filter((resolution) => resolution.type_document_id === typeId);
  let chosen: SandboxResolution | undefined;
  if (kind === 'credit_note' && !isBlank(doc.invoice_period)) {
    chosen = ofType.find((resolution) => resolution.prefix === String(doc.prefix ?? '').trim());
  } else if (ofType.length < 2) {
    chosen = ofType[0];
  } else {
    if (isBlank(doc.resolution_number) && kind !== 'credit_note') addError(errors, 'resolution_number', validationMessages.required);
    const byNumber = ofType.filter((resolution) => resolution.resolution === String(doc.resolution_number ?? '').trim());
    if (byNumber.length < 2) {
      chosen = byNumber[0];
    } else {
      if (isBlank(doc.prefix)) addError(errors, 'prefix', validationMessages.required);
      chosen = byNumber.find((resolution) => resolution.prefix === String(doc.prefix ?? '').trim());
    }
  }
  if (!chosen) {
    addError(errors, 'type_document_id', validationMessages.resolutionNotConfigured);
    return undefined;
  }
  const number = Number(doc.number);
  if (Number.isInteger(number) && (number < chosen.from || number > chosen.to)) {
    addError(errors, 'number', validationMessages.betweenNumeric(chosen.from, chosen.to));
  }
  // Only InvoiceRequest and InvoiceExportRequest bound the date by the resolution's validity.
  if ((kind === 'invoice' || kind === 'export_invoice') && typeof doc.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(doc.date.trim())) {
    const date = doc.date.trim();
    if (chosen.date_from && date < chosen.date_from) addError(errors, 'date', validationMessages.afterOrEqual(chosen.date_from));
    if (chosen.date_to && date > chosen.date_to) addError(errors, 'date', validationMessages.beforeOrEqual(chosen.date_to));
  }
  return chosen;
}

export type SigningOutcome =
  | { outcome: 'invalid'; errors: LaravelErrors }
  /** APIDIAN answers these with HTTP 200 `{success:false, message}`. */
  | { outcome: 'refused'; message: string }
  /** An exception inside the controller (rendered as 500). */
  | { outcome: 'exception'; message: string }
  | { outcome: 'signed'; document: SignedDocument; resolution: SandboxResolution };

export interface SigningContext {
  store: SandboxStore;
  company: SandboxCompany;
  kind: ApidianDocumentKind;
  body: unknown;
  via: 'sync' | 'batch';
  now: Date;
}

/** Validates and signs one document body; persists nothing except the file-name sequence. */
export function signDocument({ store, company, kind, body, via, now }: SigningContext): SigningOutcome {
  const parsed = apidianWireSchemas[kind].safeParse(body);
  const errors: LaravelErrors = parsed.success ? {} : laravelErrors(parsed.error);
  const doc = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const resolution = selectResolution(company, kind, doc, errors);
  if (Object.keys(errors).length > 0 || !resolution) return { outcome: 'invalid', errors };

  const wire = doc as ApidianWireDocument;
  // BatchController@addinvoice reads payment_form['payment_form_id'] directly: a list of payment
  // forms, fine for the sync route, makes it throw. Assumption: rendered like any exception.
  if (via === 'batch' && kind === 'invoice' && Array.isArray(doc.payment_form)) {
    return { outcome: 'exception', message: 'Undefined array key "payment_form_id"' };
  }

  const isInvoice = kind === 'invoice' || kind === 'export_invoice';
  if (isInvoice && !resolution.technical_key) {
    return { outcome: 'refused', message: 'La resolución no tiene clave técnica configurada.' };
  }
  if (!isInvoice && !company.software?.pin) {
    return { outcome: 'refused', message: 'El software no está configurado para esta empresa.' };
  }

  const input = cufeInputFromWire(
    kind,
    // APIDIAN numbers the document with the resolution's prefix, whatever `prefix` selected it.
    { ...wire, prefix: resolution.prefix } as ApidianWireDocument,
    {
      nit: company.nit,
      environment: company.environment,
      prefix: resolution.prefix,
      now,
      ...(resolution.technical_key ? { technicalKey: resolution.technical_key } : {}),
      ...(company.software?.pin ? { softwarePin: company.software.pin } : {}),
    },
  );
  const key = computeDocumentKey(input);
  const typeDocumentId = Number(doc.type_document_id);
  const number = Number(doc.number);
  const fiscalNumber = `${resolution.prefix}${number}`;
  const totals = monetaryTotalsOf(kind, wire);
  const document: SignedDocument = {
    kind,
    typeDocumentId,
    prefix: resolution.prefix,
    number,
    fiscalNumber,
    algorithm: input.algorithm,
    key,
    xmlFileName: xmlFileNameFor(store, company, typeDocumentId, fiscalNumber, input.issueDate),
    signedFileName: signedFileName(kind, fiscalNumber, 'xml'),
    issueDate: input.issueDate,
    issueTime: input.issueTime,
    customerId: input.customerId,
    totals: {
      lineExtensionAmount: formatAmount(totals.line_extension_amount),
      taxExclusiveAmount: formatAmount(totals.tax_exclusive_amount),
      taxInclusiveAmount: formatAmount(totals.tax_inclusive_amount),
      allowanceTotalAmount: formatAmount(totals.allowance_total_amount ?? 0),
      chargeTotalAmount: formatAmount(totals.charge_total_amount ?? 0),
      payableAmount: formatAmount(totals.payable_amount),
      ivaAmount: formatAmount(input.ivaAmount),
      incAmount: formatAmount(input.incAmount),
      icaAmount: formatAmount(input.icaAmount),
    },
    wire: body,
    signedAt: now.toISOString(),
  };
  return { outcome: 'signed', document, resolution };
}

/**
 * DIAN's file name for a document. A document signed again (resent, or re-added to a batch) keeps
 * its name; a new one takes the company's next sequence for that file prefix and year.
 */
function xmlFileNameFor(store: SandboxStore, company: SandboxCompany, typeDocumentId: number, fiscalNumber: string, issueDate: string): string {
  const same = (doc: SignedDocument) => doc.typeDocumentId === typeDocumentId && doc.fiscalNumber === fiscalNumber;
  const judged = store.data.documents.find((doc) => doc.companyNit === company.nit && same(doc));
  if (judged) return judged.xmlFileName;
  for (const batch of Object.values(store.data.batches)) {
    if (batch.companyNit !== company.nit) continue;
    const entry = batch.entries.find(same);
    if (entry) return entry.xmlFileName;
  }
  const year = Number(issueDate.slice(0, 4)) || new Date().getUTCFullYear();
  const filePrefix = TYPE_DOCUMENTS[typeDocumentId as keyof typeof TYPE_DOCUMENTS]?.filePrefix ?? 'fv';
  const counter = `${filePrefix}${year % 100}`;
  const sequence = (company.fileSequences[counter] ?? 0) + 1;
  company.fileSequences[counter] = sequence;
  return dianXmlFileName(typeDocumentId, company.nit, year, sequence);
}
