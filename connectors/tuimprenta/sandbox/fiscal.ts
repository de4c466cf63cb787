/**
 * The imprenta's rules: what it checks before it numbers a document (422 for a malformed body, 402
 * for a fiscal rejection), how it numbers (number per series and document type, one control number
 * sequence per account), IGTF, and what `cancel` does (annul the same day, otherwise issue the credit
 * note for what remains, "as regulation requires").
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { isValidRif } from '../../../src/domain/identifiers.js';
import { Dec } from '../../../src/domain/money.js';
import { IGTF_RATE, TuimprentaInvoiceCreate, invoiceArithmetic, structuralIssues, type TuimprentaInvoiceRequest } from '../wire.js';
import type { ApiErrorShape, SandboxAccount, SandboxStore, StoredInvoice } from './state.js';

/** A request the API refuses, with the status and envelope it answers. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiErrorShape,
  ) {
    super(error.message);
    this.name = 'ApiFailure';
  }
}

export const invalidRequest = (message: string, field: string | null = null, code = 'parameter_invalid') =>
  new ApiFailure(422, { type: 'invalid_request_error', message, field, code });
export const fiscalRejection = (message: string, field: string | null, code: string) => new ApiFailure(402, { type: 'fiscal_error', message, field, code });
export const notFound = (message: string) => new ApiFailure(404, { type: 'not_found_error', message, field: null, code: 'resource_missing' });
export const conflict = (message: string, code: string, type = 'conflict_error') => new ApiFailure(409, { type, message, field: null, code });

/** Venezuela has no daylight saving time: legal time is UTC−4 all year. */
const CARACAS_OFFSET_MS = -4 * 3_600_000;
/** A document dated this far ahead of the imprenta's clock is refused. */
const FUTURE_TOLERANCE_MS = 10 * 60_000;

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export function caracasDate(instant: Date): string {
  return new Date(instant.getTime() + CARACAS_OFFSET_MS).toISOString().slice(0, 10);
}

function zodFailure(error: z.ZodError, body: unknown): ApiFailure {
  const issue = error.issues[0]!;
  const field = formatPath(issue.path);
  const present = valueAt(body, issue.path) !== undefined;
  return invalidRequest(present ? issue.message : `${field || 'body'} is required: ${issue.message}`, field || null, present ? 'parameter_invalid' : 'parameter_missing');
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

export interface CheckedDocument {
  wire: TuimprentaInvoiceRequest;
  related: StoredInvoice | undefined;
}

/** Everything checked before a number is spent; throws ApiFailure (422 / 402). */
export function checkDocument(store: SandboxStore, account: SandboxAccount, body: unknown, now: Date): CheckedDocument {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('the body must be a JSON object (an invoice)', null);
  const parsed = TuimprentaInvoiceCreate.safeParse(body);
  if (!parsed.success) throw zodFailure(parsed.error, body);
  const wire = parsed.data;
  const structural = structuralIssues(wire)[0];
  if (structural) throw invalidRequest(structural.message, structural.field, structural.code);

  const id = wire.customer.identification;
  if (id.type === 'rif' && !isValidRif(id.number, id.check_digit ?? '')) {
    throw fiscalRejection('the buyer’s RIF check digit is wrong; check the RIF with SENIAT', 'customer.identification.check_digit', 'invalid_rif');
  }
  if (Date.parse(wire.issued_at) > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw fiscalRejection('issued_at is in the future; a document is dated when it is issued', 'issued_at', 'issue_date_in_future');
  }
  const arithmetic = invoiceArithmetic(wire)[0];
  if (arithmetic) throw fiscalRejection(arithmetic.message, arithmetic.field, arithmetic.code);

  const related = wire.related_invoice ? checkRelated(store, account, wire) : undefined;
  return { wire, related };
}

function checkRelated(store: SandboxStore, account: SandboxAccount, wire: TuimprentaInvoiceRequest): StoredInvoice {
  const reference = wire.related_invoice!;
  const related = store.invoiceByControlNumber(account.id, reference.control_number);
  if (!related) {
    throw fiscalRejection(`no document of this account has control number ${reference.control_number}`, 'related_invoice.control_number', 'related_invoice_not_found');
  }
  if (related.document_type !== 'invoice') {
    throw fiscalRejection(`control number ${reference.control_number} is a ${related.document_type}; notes correct invoices`, 'related_invoice.control_number', 'related_document_not_invoice');
  }
  if (related.status === 'cancelled') {
    throw fiscalRejection(`invoice ${reference.control_number} is cancelled; it cannot be corrected any more`, 'related_invoice.control_number', 'related_invoice_cancelled');
  }
  if (reference.number !== undefined && Number(/(\d+)$/.exec(reference.number)?.[1]) !== Number(related.number)) {
    throw fiscalRejection(`control number ${reference.control_number} belongs to invoice ${related.number}, not ${reference.number}`, 'related_invoice.number', 'related_invoice_mismatch');
  }
  if (reference.issue_date !== related.issued_at.slice(0, 10)) {
    throw fiscalRejection(`invoice ${reference.control_number} was issued on ${related.issued_at.slice(0, 10)}, not ${reference.issue_date}`, 'related_invoice.issue_date', 'related_invoice_mismatch');
  }
  if (String(related.body.currency) !== wire.currency) {
    throw fiscalRejection(`the note is in ${wire.currency} but invoice ${reference.control_number} is in ${String(related.body.currency)}`, 'currency', 'currency_mismatch');
  }
  if (wire.document_type === 'credit_note') {
    const open = creditableAmount(store, related);
    if (new Dec(wire.totals.total).gt(open)) {
      throw fiscalRejection(`the credit note (${wire.totals.total}) exceeds what invoice ${reference.control_number} still has to credit (${open.toFixed(2)})`, 'totals.total', 'credit_exceeds_invoice');
    }
  }
  return related;
}

function totalOf(invoice: StoredInvoice): Dec {
  return new Dec(String((invoice.body.totals as { total: string }).total));
}

function notesOf(store: SandboxStore, invoice: StoredInvoice): StoredInvoice[] {
  return store.data.invoices.filter((note) => note.related_invoice_id === invoice.id);
}

/** Invoice plus its debit notes, less its credit notes. */
export function creditableAmount(store: SandboxStore, invoice: StoredInvoice): Dec {
  let open = totalOf(invoice);
  for (const note of notesOf(store, invoice)) open = note.document_type === 'credit_note' ? open.minus(totalOf(note)) : open.plus(totalOf(note));
  return open;
}

const pad8 = (n: number) => String(n).padStart(8, '0');

/** Numbers and stores a checked document; its control number now, or after `controlDelayMs`. */
export function createDocument(
  store: SandboxStore,
  account: SandboxAccount,
  checked: CheckedDocument,
  options: { now: Date; controlDelayMs: number; idempotencyKey: string | null; batchId: string | null },
): StoredInvoice {
  const { wire, related } = checked;
  const counter = `${wire.series}|${wire.document_type}`;
  const number = (account.lastNumbers[counter] ?? 0) + 1;
  account.lastNumbers[counter] = number;
  const igtfBase = new Dec(wire.payment.foreign_currency_amount ?? '0');
  const igtf = igtfBase.times(IGTF_RATE).div(100).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
  const grandTotal = new Dec(wire.totals.total).plus(igtf);
  const rate = wire.currency === 'VES' ? undefined : new Dec(wire.exchange_rate!);
  const ves = (amount: Dec) => amount.times(rate!).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2);
  const invoice: StoredInvoice = {
    id: newId('inv'),
    accountId: account.id,
    document_type: wire.document_type,
    series: wire.series,
    number: pad8(number),
    control_number: null,
    status: 'processing',
    issue_due_at: new Date(options.now.getTime() + options.controlDelayMs).toISOString(),
    created_at: options.now.toISOString(),
    issued_at: wire.issued_at,
    body: structuredClone(wire) as unknown as Record<string, unknown>,
    igtf: { base: igtfBase.toFixed(2), rate: new Dec(IGTF_RATE).toFixed(2), amount: igtf.toFixed(2) },
    grand_total: grandTotal.toFixed(2),
    totals_ves: rate ? { exchange_rate: wire.exchange_rate!, total: ves(new Dec(wire.totals.total)), igtf: ves(igtf), grand_total: ves(grandTotal) } : null,
    related_invoice_id: related?.id ?? null,
    cancellation: null,
    idempotency_key: options.idempotencyKey,
    batch_id: options.batchId,
  };
  store.data.invoices.push(invoice);
  if (options.controlDelayMs <= 0) assignControlNumber(account, invoice);
  return invoice;
}

/** The imprenta's act that makes the document fiscal (art. 30): one sequence, never reused. */
export function assignControlNumber(account: SandboxAccount, invoice: StoredInvoice): void {
  if (invoice.control_number) return;
  account.lastControlNumber += 1;
  invoice.control_number = `00-${pad8(account.lastControlNumber)}`;
  invoice.status = 'issued';
  invoice.issue_due_at = null;
}

export interface CancelOutcome {
  invoice: StoredInvoice;
  creditNote: StoredInvoice | undefined;
}

/**
 * `POST /v1/invoices/{id}/cancel`. An invoice issued today (Caracas time) that nothing has corrected
 * yet is annulled. Otherwise the imprenta issues the credit note for whatever the invoice still
 * carries (after earlier credit and debit notes): the invoice's own lines when nothing corrected it,
 * one line per IVA rate for the remainder when something did.
 */
export function cancelDocument(
  store: SandboxStore,
  account: SandboxAccount,
  invoice: StoredInvoice,
  options: { now: Date; reason: string | null },
): CancelOutcome {
  if (invoice.document_type !== 'invoice') {
    throw fiscalRejection(`a ${invoice.document_type} cannot be cancelled; correct it with another note`, null, 'document_not_cancellable');
  }
  if (invoice.status === 'cancelled') throw conflict('the invoice is already cancelled', 'invoice_already_cancelled');
  if (invoice.status === 'processing') throw conflict('the invoice has no control number yet; cancel it once it is issued', 'invoice_processing');
  const notes = notesOf(store, invoice);
  const sameDay = caracasDate(new Date(invoice.created_at)) === caracasDate(options.now);
  const base = { cancelled_at: options.now.toISOString(), reason: options.reason };
  if (sameDay && notes.length === 0) {
    invoice.status = 'cancelled';
    invoice.cancellation = { ...base, method: 'annulment', credit_note_id: null, credit_note_number: null, credit_note_control_number: null };
    return { invoice, creditNote: undefined };
  }
  if (!creditableAmount(store, invoice).gt(0)) {
    throw fiscalRejection('the invoice is fully credited already; there is nothing left to cancel', null, 'invoice_fully_credited');
  }
  const body = creditNoteBody(invoice, notes, options);
  const checked: CheckedDocument = { wire: TuimprentaInvoiceCreate.parse(body), related: invoice };
  const creditNote = createDocument(store, account, checked, { now: options.now, controlDelayMs: 0, idempotencyKey: null, batchId: null });
  invoice.status = 'cancelled';
  invoice.cancellation = {
    ...base,
    method: 'credit_note',
    credit_note_id: creditNote.id,
    credit_note_number: creditNote.number,
    credit_note_control_number: creditNote.control_number,
  };
  return { invoice, creditNote };
}

interface Item {
  code: string;
  description: string;
  quantity: string;
  unit_price: string;
  discount: string;
  amount: string;
  tax_rate: string;
  tax_amount: string;
}
interface Totals {
  allowance_total: string;
  charge_total: string;
}

function creditNoteBody(invoice: StoredInvoice, notes: StoredInvoice[], options: { now: Date; reason: string | null }): Record<string, unknown> {
  const original = invoice.body as Record<string, unknown> & { items: Item[]; totals: Totals & Record<string, string>; payment: Record<string, unknown> };
  let items: Item[];
  let allowance = new Dec(original.totals.allowance_total);
  let charge = new Dec(original.totals.charge_total);
  if (notes.length === 0) {
    items = original.items;
  } else {
    const byRate = new Map<string, { base: Dec; tax: Dec }>();
    const add = (doc: StoredInvoice, sign: 1 | -1) => {
      for (const item of (doc.body as { items: Item[] }).items) {
        const key = new Dec(item.tax_rate).toFixed(2);
        const entry = byRate.get(key) ?? { base: new Dec(0), tax: new Dec(0) };
        byRate.set(key, { base: entry.base.plus(new Dec(item.amount).times(sign)), tax: entry.tax.plus(new Dec(item.tax_amount).times(sign)) });
      }
    };
    add(invoice, 1);
    for (const note of notes) {
      const sign = note.document_type === 'credit_note' ? -1 : 1;
      add(note, sign);
      const totals = (note.body as { totals: Totals }).totals;
      allowance = allowance.plus(new Dec(totals.allowance_total).times(sign));
      charge = charge.plus(new Dec(totals.charge_total).times(sign));
    }
    items = [...byRate.entries()]
      .filter(([, sums]) => sums.base.gt(0) || sums.tax.gt(0))
      .map(([rate, sums]) => ({
        code: 'SALDO',
        description: `Saldo de la factura ${invoice.number} (IVA ${rate} %)`,
        quantity: '1',
        unit_price: sums.base.toFixed(2),
        discount: '0.00',
        amount: sums.base.toFixed(2),
        tax_rate: rate,
        tax_amount: sums.tax.toFixed(2),
      }));
    if (allowance.isNegative()) allowance = new Dec(0);
    if (charge.isNegative()) charge = new Dec(0);
  }
  const byRate = new Map<string, { base: Dec; tax: Dec }>();
  for (const item of items) {
    const key = new Dec(item.tax_rate).toFixed(2);
    const entry = byRate.get(key) ?? { base: new Dec(0), tax: new Dec(0) };
    byRate.set(key, { base: entry.base.plus(item.amount), tax: entry.tax.plus(item.tax_amount) });
  }
  const subtotal = items.reduce((sum, item) => sum.plus(item.amount), new Dec(0));
  const taxTotal = items.reduce((sum, item) => sum.plus(item.tax_amount), new Dec(0));
  const issuedAt = new Date(options.now.getTime() + CARACAS_OFFSET_MS).toISOString().slice(0, 19) + '-04:00';
  return {
    document_type: 'credit_note',
    series: invoice.series,
    issued_at: issuedAt,
    currency: original.currency,
    ...(original.exchange_rate ? { exchange_rate: original.exchange_rate } : {}),
    customer: original.customer,
    items,
    totals: {
      subtotal: subtotal.toFixed(2),
      tax_breakdown: [...byRate.entries()].map(([rate, sums]) => ({ rate, base: sums.base.toFixed(2), tax: sums.tax.toFixed(2) })),
      tax_total: taxTotal.toFixed(2),
      allowance_total: allowance.toFixed(2),
      charge_total: charge.toFixed(2),
      total: subtotal.plus(taxTotal).minus(allowance).plus(charge).toFixed(2),
    },
    payment: { condition: original.payment.condition, method: original.payment.method },
    related_invoice: { control_number: invoice.control_number, number: invoice.number, issue_date: invoice.issued_at.slice(0, 10) },
    reason: { code: 'annulment', description: options.reason ?? `Anulación de la factura ${invoice.number}` },
  };
}
