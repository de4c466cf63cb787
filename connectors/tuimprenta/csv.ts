/**
 * The CSV form of a batch (`POST /v1/batches` as multipart, field `file`) and of its result
 * (`GET /v1/batches/{id}/result` as text/csv). tuimprenta documents that the columns exist, not
 * which ones (reference §3.1, [NF]); these are Puente's, listed in the README.
 *
 * One row per invoice line. The invoice-level columns repeat on every line of the same invoice, and
 * the lines of one invoice are consecutive rows sharing `invoice_ref`. Totals are not columns: the
 * imprenta adds the lines up itself (in JSON they are sent and checked instead).
 * Text is RFC 4180: comma-separated, fields with commas, quotes or line breaks in double quotes,
 * quotes doubled, CRLF between records, UTF-8.
 */
import { Dec } from '../../src/domain/money.js';
import type { TuimprentaInvoiceRequest } from './wire.js';

export const INVOICE_CSV_COLUMNS = [
  'invoice_ref',
  'idempotency_key',
  'document_type',
  'series',
  'issued_at',
  'currency',
  'exchange_rate',
  'customer_name',
  'customer_id_type',
  'customer_id_number',
  'customer_id_check_digit',
  'customer_address',
  'customer_city',
  'customer_state',
  'customer_postal_code',
  'customer_country_code',
  'customer_email',
  'customer_phone',
  'payment_condition',
  'payment_method',
  'payment_due_date',
  'foreign_currency_amount',
  'related_control_number',
  'related_number',
  'related_issue_date',
  'reason_code',
  'reason_description',
  'notes',
  'allowance_total',
  'charge_total',
  'item_code',
  'item_description',
  'item_quantity',
  'item_unit_price',
  'item_discount',
  'item_amount',
  'item_tax_rate',
  'item_tax_amount',
] as const;
export type InvoiceCsvColumn = (typeof INVOICE_CSV_COLUMNS)[number];

/** Columns a CSV batch must have; the others may be left out of the header. */
export const REQUIRED_INVOICE_CSV_COLUMNS: readonly InvoiceCsvColumn[] = [
  'invoice_ref',
  'document_type',
  'series',
  'issued_at',
  'currency',
  'customer_name',
  'customer_id_type',
  'customer_id_number',
  'customer_address',
  'customer_country_code',
  'payment_condition',
  'payment_method',
  'item_code',
  'item_description',
  'item_quantity',
  'item_unit_price',
  'item_amount',
  'item_tax_rate',
  'item_tax_amount',
];

export const RESULT_CSV_COLUMNS = [
  'row',
  'idempotency_key',
  'status',
  'invoice_id',
  'document_type',
  'series',
  'number',
  'control_number',
  'total',
  'error_type',
  'error_code',
  'error_field',
  'error_message',
] as const;

// ─── RFC 4180 ──────────────────────────────────────────────────────────────────────────────────

export class CsvSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

/** Records of a CSV text, each with the line it starts on. A UTF-8 BOM and a final newline are ignored. */
export function parseCsv(input: string): { line: number; fields: string[] }[] {
  const textIn = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  for (let i = 0; i < textIn.length; i++) {
    const c = textIn[i]!;
    if (quoted) {
      if (c === '"') {
        if (textIn[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          const next = textIn[i + 1];
          if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') {
            throw new CsvSyntaxError(line, 'a closing quote must be followed by a comma or the end of the line');
          }
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (fieldStarted && field !== '') throw new CsvSyntaxError(line, 'a quote may only open a field; double it ("") inside quoted text');
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && textIn[i + 1] === '\n') i++;
      fields.push(field);
      if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      recordLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new CsvSyntaxError(recordLine, 'a quoted field is never closed');
  if (fieldStarted || field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ line: recordLine, fields });
  }
  return records;
}

function quote(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}

// ─── invoices ⇄ rows ───────────────────────────────────────────────────────────────────────────

export interface CsvInvoice {
  invoice: TuimprentaInvoiceRequest;
  idempotencyKey?: string;
}

/** Writes invoices as a batch CSV (all columns). `invoice_ref` is the position in the list, from 1. */
export function invoicesToCsv(invoices: readonly CsvInvoice[]): string {
  const rows: string[][] = [[...INVOICE_CSV_COLUMNS]];
  invoices.forEach(({ invoice, idempotencyKey }, index) => {
    const c = invoice.customer;
    const shared: Partial<Record<InvoiceCsvColumn, string | undefined>> = {
      invoice_ref: String(index + 1),
      idempotency_key: idempotencyKey,
      document_type: invoice.document_type,
      series: invoice.series,
      issued_at: invoice.issued_at,
      currency: invoice.currency,
      exchange_rate: invoice.exchange_rate,
      customer_name: c.name,
      customer_id_type: c.identification.type,
      customer_id_number: c.identification.number,
      customer_id_check_digit: c.identification.check_digit,
      customer_address: c.address.line,
      customer_city: c.address.city,
      customer_state: c.address.state,
      customer_postal_code: c.address.postal_code,
      customer_country_code: c.address.country_code,
      customer_email: c.email,
      customer_phone: c.phone,
      payment_condition: invoice.payment.condition,
      payment_method: invoice.payment.method,
      payment_due_date: invoice.payment.due_date,
      foreign_currency_amount: invoice.payment.foreign_currency_amount,
      related_control_number: invoice.related_invoice?.control_number,
      related_number: invoice.related_invoice?.number,
      related_issue_date: invoice.related_invoice?.issue_date,
      reason_code: invoice.reason?.code,
      reason_description: invoice.reason?.description,
      notes: invoice.notes,
      allowance_total: invoice.totals.allowance_total,
      charge_total: invoice.totals.charge_total,
    };
    for (const item of invoice.items) {
      const values: Partial<Record<InvoiceCsvColumn, string | undefined>> = {
        ...shared,
        item_code: item.code,
        item_description: item.description,
        item_quantity: item.quantity,
        item_unit_price: item.unit_price,
        item_discount: item.discount,
        item_amount: item.amount,
        item_tax_rate: item.tax_rate,
        item_tax_amount: item.tax_amount,
      };
      rows.push(INVOICE_CSV_COLUMNS.map((column) => values[column] ?? ''));
    }
  });
  return formatCsv(rows);
}

export interface CsvBatchEntry {
  /** The CSV line of the invoice's first row. */
  line: number;
  invoiceRef: string;
  idempotencyKey: string | undefined;
  /** An invoice-create body, not yet validated. */
  body: Record<string, unknown>;
}

export interface CsvProblem {
  line: number;
  column?: string;
  message: string;
}

const INVOICE_LEVEL: readonly InvoiceCsvColumn[] = INVOICE_CSV_COLUMNS.filter((c) => !c.startsWith('item_') && c !== 'invoice_ref');

/**
 * Reads a batch CSV into invoice-create bodies (one per `invoice_ref`), with the totals added up from
 * the lines. Problems with the file itself (header, ragged rows, rows of one invoice that disagree)
 * are returned, not thrown; the bodies are validated later like JSON ones.
 */
export function csvToInvoices(input: string): { entries: CsvBatchEntry[]; problems: CsvProblem[] } {
  let records: { line: number; fields: string[] }[];
  try {
    records = parseCsv(input);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return { entries: [], problems: [{ line: error.line, message: error.message }] };
    throw error;
  }
  const problems: CsvProblem[] = [];
  const header = records.shift();
  if (!header) return { entries: [], problems: [{ line: 1, message: 'the file is empty; the first line must name the columns' }] };
  const columns = header.fields.map((name) => name.trim());
  const known = new Set<string>(INVOICE_CSV_COLUMNS);
  for (const name of columns) if (!known.has(name)) problems.push({ line: 1, column: name, message: `unknown column "${name}"` });
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) problems.push({ line: 1, column: name, message: `column "${name}" appears twice` });
    seen.add(name);
  }
  for (const name of REQUIRED_INVOICE_CSV_COLUMNS) if (!seen.has(name)) problems.push({ line: 1, column: name, message: `required column "${name}" is missing` });
  if (problems.length) return { entries: [], problems };
  if (records.length === 0) return { entries: [], problems: [{ line: 2, message: 'the file has a header but no rows' }] };

  const groups: { ref: string; rows: { line: number; values: Map<string, string> }[] }[] = [];
  const groupByRef = new Map<string, (typeof groups)[number]>();
  for (const record of records) {
    if (record.fields.length !== columns.length) {
      problems.push({ line: record.line, message: `has ${record.fields.length} fields; the header has ${columns.length}` });
      continue;
    }
    const values = new Map(columns.map((name, i) => [name, record.fields[i]!.trim()]));
    const ref = values.get('invoice_ref') ?? '';
    if (!ref) {
      problems.push({ line: record.line, column: 'invoice_ref', message: 'invoice_ref is empty; rows of one invoice share one invoice_ref' });
      continue;
    }
    let group = groupByRef.get(ref);
    if (group && groups[groups.length - 1] !== group) {
      problems.push({ line: record.line, column: 'invoice_ref', message: `the rows of invoice_ref ${ref} must be consecutive` });
      continue;
    }
    if (!group) {
      group = { ref, rows: [] };
      groupByRef.set(ref, group);
      groups.push(group);
    }
    group.rows.push({ line: record.line, values });
  }
  if (problems.length) return { entries: [], problems };

  const entries: CsvBatchEntry[] = [];
  for (const group of groups) {
    const first = group.rows[0]!;
    let consistent = true;
    for (const row of group.rows.slice(1)) {
      for (const column of INVOICE_LEVEL) {
        if ((row.values.get(column) ?? '') !== (first.values.get(column) ?? '')) {
          problems.push({ line: row.line, column, message: `${column} differs from the first row of invoice_ref ${group.ref} (line ${first.line})` });
          consistent = false;
        }
      }
    }
    if (!consistent) continue;
    entries.push({
      line: first.line,
      invoiceRef: group.ref,
      idempotencyKey: first.values.get('idempotency_key') || undefined,
      body: bodyOf(first.values, group.rows.map((r) => r.values)),
    });
  }
  return { entries, problems };
}

function bodyOf(head: Map<string, string>, lines: Map<string, string>[]): Record<string, unknown> {
  const get = (column: InvoiceCsvColumn) => head.get(column) || undefined;
  const items = lines.map((values) => ({
    code: values.get('item_code') ?? '',
    description: values.get('item_description') ?? '',
    quantity: values.get('item_quantity') ?? '',
    unit_price: values.get('item_unit_price') ?? '',
    discount: values.get('item_discount') || '0.00',
    amount: values.get('item_amount') ?? '',
    tax_rate: values.get('item_tax_rate') ?? '',
    tax_amount: values.get('item_tax_amount') ?? '',
  }));
  const allowance = get('allowance_total') ?? '0.00';
  const charge = get('charge_total') ?? '0.00';
  const related = get('related_control_number')
    ? compact({ control_number: get('related_control_number'), number: get('related_number'), issue_date: get('related_issue_date') })
    : undefined;
  const reason = get('reason_code') ? compact({ code: get('reason_code'), description: get('reason_description') }) : undefined;
  return compact({
    document_type: get('document_type'),
    series: get('series'),
    issued_at: get('issued_at'),
    currency: get('currency'),
    exchange_rate: get('exchange_rate'),
    customer: compact({
      name: get('customer_name'),
      identification: compact({ type: get('customer_id_type'), number: get('customer_id_number'), check_digit: get('customer_id_check_digit') }),
      address: compact({
        line: get('customer_address'),
        city: get('customer_city'),
        state: get('customer_state'),
        postal_code: get('customer_postal_code'),
        country_code: get('customer_country_code'),
      }),
      email: get('customer_email'),
      phone: get('customer_phone'),
    }),
    items,
    totals: totalsOf(items, allowance, charge),
    payment: compact({
      condition: get('payment_condition'),
      method: get('payment_method'),
      due_date: get('payment_due_date'),
      foreign_currency_amount: get('foreign_currency_amount'),
    }),
    related_invoice: related,
    reason,
    notes: get('notes'),
  });
}

const DECIMAL = /^\d+(\.\d+)?$/;

/** Totals from the lines; a malformed amount leaves the totals unset so validation names the line. */
function totalsOf(items: { amount: string; tax_rate: string; tax_amount: string }[], allowance: string, charge: string): Record<string, unknown> | undefined {
  if (!items.every((item) => DECIMAL.test(item.amount) && DECIMAL.test(item.tax_rate) && DECIMAL.test(item.tax_amount))) return undefined;
  if (!DECIMAL.test(allowance) || !DECIMAL.test(charge)) return undefined;
  const byRate = new Map<string, { rate: string; base: Dec; tax: Dec }>();
  let subtotal = new Dec(0);
  let taxTotal = new Dec(0);
  for (const item of items) {
    const key = new Dec(item.tax_rate).toFixed(2);
    const entry = byRate.get(key) ?? { rate: key, base: new Dec(0), tax: new Dec(0) };
    entry.base = entry.base.plus(item.amount);
    entry.tax = entry.tax.plus(item.tax_amount);
    byRate.set(key, entry);
    subtotal = subtotal.plus(item.amount);
    taxTotal = taxTotal.plus(item.tax_amount);
  }
  return {
    subtotal: subtotal.toFixed(2),
    tax_breakdown: [...byRate.values()].map((e) => ({ rate: e.rate, base: e.base.toFixed(2), tax: e.tax.toFixed(2) })),
    tax_total: taxTotal.toFixed(2),
    allowance_total: new Dec(allowance).toFixed(2),
    charge_total: new Dec(charge).toFixed(2),
    total: subtotal.plus(taxTotal).minus(allowance).plus(charge).toFixed(2),
  };
}

function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
