/**
 * What tuimprenta.digital's `POST /v1/invoices` takes (the "invoice create" body), as zod schemas.
 *
 * tuimprenta publishes no field list (reference §3.1, [NF]); the API description names the routes
 * only. This body is Puente's design for it, built from the SENIAT contents every imprenta digital
 * must print (reference §3.2): buyer name, RIF/cédula and fiscal address; description, quantity,
 * unit price and discounts per line; base and IVA per rate (16 % general, 8 % reduced, 31 % luxury,
 * 0 % exempt); the BCV rate when invoiced in foreign currency; payment condition; and, on notes, the
 * affected invoice (control number, number, date). The imprenta assigns number and control number,
 * and computes IGTF (3 % of `payment.foreign_currency_amount`) and the grand total itself.
 *
 * Like Unidigital, the API does not compute amounts: it checks that they add up (`invoiceArithmetic`)
 * and rejects the document (402 fiscal_error) when they do not. The same checks run here, so a
 * document that cannot pass is parked at preparation with the field that is wrong.
 */
import { z, type ZodType } from 'zod';
import { Dec } from '../../src/domain/money.js';

export const TUIMPRENTA_DOCUMENT_TYPES = ['invoice', 'credit_note', 'debit_note'] as const;
export type TuimprentaDocumentType = (typeof TUIMPRENTA_DOCUMENT_TYPES)[number];

/** IVA rates SENIAT allows: exempt, reduced, general, general + luxury surcharge. */
export const TUIMPRENTA_TAX_RATES = ['0', '8', '16', '31'] as const;
/** IGTF on the part of the payment made in foreign currency. */
export const IGTF_RATE = '3';

export const ID_TYPES = ['rif', 'cedula', 'passport', 'foreign_id', 'final_consumer'] as const;
export const PAYMENT_CONDITIONS = ['cash', 'credit'] as const;
export const PAYMENT_METHODS = ['cash', 'card', 'debit_card', 'transfer', 'mobile_payment', 'deposit', 'check', 'other'] as const;
export const REASON_CODES = ['partial_return', 'annulment', 'discount', 'price_adjustment', 'interest', 'expenses', 'value_change', 'other'] as const;

/** Amounts in the document currency: two decimals at most, never negative (notes carry positive amounts). */
const money = (what: string) =>
  z
    .string({ error: `${what} must be an amount written as a string, e.g. "1160.00"` })
    .regex(/^\d{1,15}(\.\d{1,2})?$/, { error: `${what} must be a non-negative amount with at most 2 decimals, e.g. "1160.00"` });

const decimalPositive = (what: string, decimals: number) =>
  z
    .string({ error: `${what} must be a decimal written as a string` })
    .regex(new RegExp(`^\\d{1,15}(\\.\\d{1,${decimals}})?$`), { error: `${what} must be a decimal with at most ${decimals} decimals, e.g. "2"` })
    .refine((value) => new Dec(value).gt(0), { error: `${what} must be greater than 0` });

const text = (what: string, max: number) =>
  z
    .string({ error: `${what} is required and must be text` })
    .trim()
    .min(1, { error: `${what} must not be empty` })
    .max(max, { error: `${what} must be at most ${max} characters` });

const isoDate = (what: string) => z.string({ error: `${what} is required` }).regex(/^\d{4}-\d{2}-\d{2}$/, { error: `${what} must be a date as YYYY-MM-DD` });

export const ControlNumber = z.string().regex(/^\d{2}-\d{8}$/, { error: 'control_number must look like 00-00000001 (the imprenta’s número de control)' });

export const WireIdentification = z.strictObject(
  {
    type: z.enum(ID_TYPES, { error: `customer.identification.type must be one of ${ID_TYPES.join(', ')}` }),
    number: z
      .string({ error: 'customer.identification.number is required' })
      .regex(/^[A-Z0-9]{1,20}$/, { error: 'customer.identification.number must be 1-20 upper-case letters or digits, without dashes (J12345678, 12345678)' }),
    check_digit: z.string().regex(/^\d$/, { error: 'customer.identification.check_digit must be one digit' }).optional(),
  },
  { error: 'customer.identification must be an object with type and number' },
);

export const WireAddress = z.strictObject(
  {
    line: text('customer.address.line (the domicilio fiscal)', 300),
    city: z.string().max(100).optional(),
    state: z.string().max(100).optional(),
    postal_code: z.string().max(20).optional(),
    country_code: z.string().regex(/^[A-Z]{2}$/, { error: 'customer.address.country_code must be an ISO 3166-1 alpha-2 code such as VE' }),
  },
  { error: 'customer.address is required: SENIAT wants the buyer’s domicilio fiscal on every document' },
);

export const WireCustomer = z.strictObject(
  {
    name: text('customer.name', 200),
    identification: WireIdentification,
    address: WireAddress,
    email: z.string().max(200).optional(),
    phone: z.string().max(50).optional(),
  },
  { error: 'customer is required (name, identification, address)' },
);

export const WireItem = z.strictObject({
  code: text('items[].code', 64),
  description: text('items[].description', 500),
  quantity: decimalPositive('items[].quantity', 6),
  /** Net of tax. */
  unit_price: z.string().regex(/^\d{1,15}(\.\d{1,10})?$/, { error: 'items[].unit_price must be a non-negative decimal string' }),
  discount: money('items[].discount'),
  /** quantity × unit_price − discount, rounded to the currency. */
  amount: money('items[].amount'),
  tax_rate: z.string().regex(/^\d{1,3}(\.\d{1,4})?$/, { error: 'items[].tax_rate must be a percent such as "16.00"' }),
  tax_amount: money('items[].tax_amount'),
});
export type WireItem = z.infer<typeof WireItem>;

export const WireTaxBreakdown = z.strictObject({
  rate: z.string().regex(/^\d{1,3}(\.\d{1,4})?$/, { error: 'totals.tax_breakdown[].rate must be a percent such as "16.00"' }),
  base: money('totals.tax_breakdown[].base'),
  tax: money('totals.tax_breakdown[].tax'),
});

export const WireTotals = z.strictObject(
  {
    subtotal: money('totals.subtotal'),
    tax_breakdown: z.array(WireTaxBreakdown, { error: 'totals.tax_breakdown must be a list' }),
    tax_total: money('totals.tax_total'),
    allowance_total: money('totals.allowance_total'),
    charge_total: money('totals.charge_total'),
    total: money('totals.total'),
  },
  { error: 'totals is required' },
);

export const WirePayment = z.strictObject(
  {
    condition: z.enum(PAYMENT_CONDITIONS, { error: 'payment.condition must be cash (contado) or credit (crédito)' }),
    method: z.enum(PAYMENT_METHODS, { error: `payment.method must be one of ${PAYMENT_METHODS.join(', ')}` }),
    due_date: isoDate('payment.due_date').optional(),
    /** The part paid in foreign currency, in the document currency: the IGTF base. */
    foreign_currency_amount: money('payment.foreign_currency_amount').optional(),
  },
  { error: 'payment is required (condition and method)' },
);

export const WireRelatedInvoice = z.strictObject(
  {
    control_number: ControlNumber,
    /** The invoice's number; Puente's form with the series ("A-00000017") is accepted too. */
    number: z.string().regex(/^([A-Z0-9]{1,4}-)?\d{1,8}$/, { error: 'related_invoice.number must be the invoice number (00000017), optionally after its series (A-00000017)' }).optional(),
    issue_date: isoDate('related_invoice.issue_date'),
  },
  { error: 'related_invoice must be an object with control_number and issue_date' },
);

export const WireReason = z.strictObject(
  {
    code: z.enum(REASON_CODES, { error: `reason.code must be one of ${REASON_CODES.join(', ')}` }),
    description: text('reason.description', 500),
  },
  { error: 'reason must be an object with code and description' },
);

const InvoiceObject = z.strictObject({
  document_type: z.enum(TUIMPRENTA_DOCUMENT_TYPES, { error: `document_type must be one of ${TUIMPRENTA_DOCUMENT_TYPES.join(', ')}` }),
  series: z.string({ error: 'series is required' }).regex(/^[A-Z0-9]{1,4}$/, { error: 'series must be 1-4 upper-case letters or digits, e.g. "A"' }),
  issued_at: z.iso.datetime({ offset: true, local: false, error: 'issued_at must be a date-time with its offset, e.g. 2026-11-20T10:15:00-04:00' }),
  currency: z.string({ error: 'currency is required' }).regex(/^[A-Z]{3}$/, { error: 'currency must be an ISO 4217 code such as VES or USD' }),
  /** BCV rate: bolívares per one unit of `currency`. Required unless currency is VES. */
  exchange_rate: decimalPositive('exchange_rate', 8).optional(),
  customer: WireCustomer,
  items: z.array(WireItem, { error: 'items must be a list' }).min(1, { error: 'items must hold at least one line' }).max(500, { error: 'items must hold at most 500 lines' }),
  totals: WireTotals,
  payment: WirePayment,
  related_invoice: WireRelatedInvoice.optional(),
  reason: WireReason.optional(),
  notes: z.string().max(1000, { error: 'notes must be at most 1000 characters' }).optional(),
  /** Free-form string pairs echoed back on the invoice (Puente puts its idempotency key here). */
  metadata: z.record(z.string().max(40), z.string().max(500)).optional(),
});

export type TuimprentaInvoiceRequest = z.infer<typeof InvoiceObject>;

/** One problem with an invoice body: the field, why, and tuimprenta's error code for it. */
export interface InvoiceIssue {
  field: string;
  code: string;
  message: string;
}

/** Rules that need more than one field; `shape` issues are 422 at the API, `fiscal` ones 402. */
export function structuralIssues(wire: TuimprentaInvoiceRequest): InvoiceIssue[] {
  const issues: InvoiceIssue[] = [];
  const isNote = wire.document_type !== 'invoice';
  if (isNote && !wire.related_invoice) {
    issues.push({ field: 'related_invoice', code: 'related_invoice_required', message: `a ${wire.document_type} must name the invoice it corrects in related_invoice` });
  }
  if (isNote && !wire.reason) {
    issues.push({ field: 'reason', code: 'reason_required', message: `a ${wire.document_type} must say why in reason (code and description)` });
  }
  if (!isNote && wire.related_invoice) {
    issues.push({ field: 'related_invoice', code: 'related_invoice_not_allowed', message: 'an invoice cannot carry related_invoice; send a credit_note or debit_note' });
  }
  if (wire.currency !== 'VES' && !wire.exchange_rate) {
    issues.push({ field: 'exchange_rate', code: 'exchange_rate_required', message: `exchange_rate (the BCV rate, VES per ${wire.currency}) is required when currency is not VES` });
  }
  const id = wire.customer.identification;
  if (id.type === 'rif' && !/^[VEJPG]\d{8}$/.test(id.number)) {
    issues.push({ field: 'customer.identification.number', code: 'invalid_rif_format', message: 'a RIF is one of V, E, J, P, G followed by 8 digits (J12345678), with its check digit in check_digit' });
  }
  if (id.type === 'rif' && id.check_digit === undefined) {
    issues.push({ field: 'customer.identification.check_digit', code: 'rif_check_digit_required', message: 'a RIF needs its check digit in customer.identification.check_digit' });
  }
  if (id.type === 'cedula' && !/^\d{6,8}$/.test(id.number)) {
    issues.push({ field: 'customer.identification.number', code: 'invalid_cedula', message: 'a cédula is 6-8 digits, without the V/E letter' });
  }
  return issues;
}

const TOLERANCE = new Dec('0.01');
const ALLOWED_RATES = TUIMPRENTA_TAX_RATES.map((rate) => new Dec(rate));

/**
 * The arithmetic the imprenta checks before it assigns a control number. Per line, amount and tax may
 * differ by one cent from quantity × price − discount and amount × rate (a tax-inclusive price split
 * into base and IVA); every sum must match exactly.
 */
export function invoiceArithmetic(wire: TuimprentaInvoiceRequest): InvoiceIssue[] {
  const issues: InvoiceIssue[] = [];
  const byRate = new Map<string, { base: Dec; tax: Dec }>();
  let subtotal = new Dec(0);
  let taxTotal = new Dec(0);
  wire.items.forEach((item, i) => {
    const rate = new Dec(item.tax_rate);
    const amount = new Dec(item.amount);
    const tax = new Dec(item.tax_amount);
    if (!ALLOWED_RATES.some((allowed) => allowed.eq(rate))) {
      issues.push({ field: `items[${i}].tax_rate`, code: 'invalid_tax_rate', message: `IVA ${item.tax_rate} % is not a SENIAT rate; use 0 (exempt), 8, 16 or 31` });
    }
    const expectedAmount = new Dec(item.quantity).times(item.unit_price).minus(item.discount);
    if (expectedAmount.minus(amount).abs().gt(TOLERANCE)) {
      issues.push({ field: `items[${i}].amount`, code: 'item_amount_mismatch', message: `items[${i}].amount ${item.amount} is not quantity × unit_price − discount (${expectedAmount.toFixed(2)})` });
    }
    const expectedTax = amount.times(rate).div(100);
    if (expectedTax.minus(tax).abs().gt(TOLERANCE)) {
      issues.push({ field: `items[${i}].tax_amount`, code: 'item_tax_mismatch', message: `items[${i}].tax_amount ${item.tax_amount} is not amount × ${item.tax_rate} % (${expectedTax.toFixed(2)})` });
    }
    const key = rate.toFixed(4);
    const entry = byRate.get(key) ?? { base: new Dec(0), tax: new Dec(0) };
    byRate.set(key, { base: entry.base.plus(amount), tax: entry.tax.plus(tax) });
    subtotal = subtotal.plus(amount);
    taxTotal = taxTotal.plus(tax);
  });

  if (!subtotal.eq(wire.totals.subtotal)) {
    issues.push({ field: 'totals.subtotal', code: 'subtotal_mismatch', message: `totals.subtotal ${wire.totals.subtotal} is not the sum of items[].amount (${subtotal.toFixed(2)})` });
  }
  const stated = new Map<string, number>();
  wire.totals.tax_breakdown.forEach((entry, k) => {
    const key = new Dec(entry.rate).toFixed(4);
    if (stated.has(key)) {
      issues.push({ field: `totals.tax_breakdown[${k}].rate`, code: 'tax_breakdown_duplicate', message: `rate ${entry.rate} appears twice in totals.tax_breakdown` });
      return;
    }
    stated.set(key, k);
    const sums = byRate.get(key);
    if (!sums) {
      issues.push({ field: `totals.tax_breakdown[${k}].rate`, code: 'tax_breakdown_mismatch', message: `no item is taxed at ${entry.rate} %` });
    } else if (!sums.base.eq(entry.base) || !sums.tax.eq(entry.tax)) {
      issues.push({
        field: `totals.tax_breakdown[${k}]`,
        code: 'tax_breakdown_mismatch',
        message: `at ${entry.rate} % the items add up to base ${sums.base.toFixed(2)} and tax ${sums.tax.toFixed(2)}, not ${entry.base} and ${entry.tax}`,
      });
    }
  });
  for (const [key] of byRate) {
    if (!stated.has(key)) {
      issues.push({ field: 'totals.tax_breakdown', code: 'tax_breakdown_mismatch', message: `totals.tax_breakdown has no entry for the items taxed at ${new Dec(key).toFixed(2)} %` });
    }
  }
  if (!taxTotal.eq(wire.totals.tax_total)) {
    issues.push({ field: 'totals.tax_total', code: 'tax_total_mismatch', message: `totals.tax_total ${wire.totals.tax_total} is not the sum of items[].tax_amount (${taxTotal.toFixed(2)})` });
  }
  const total = new Dec(wire.totals.subtotal).plus(wire.totals.tax_total).minus(wire.totals.allowance_total).plus(wire.totals.charge_total);
  if (!total.eq(wire.totals.total)) {
    issues.push({ field: 'totals.total', code: 'total_mismatch', message: `totals.total ${wire.totals.total} is not subtotal + tax_total − allowance_total + charge_total (${total.toFixed(2)})` });
  }
  const foreign = wire.payment.foreign_currency_amount;
  if (foreign !== undefined && new Dec(foreign).gt(wire.totals.total)) {
    issues.push({ field: 'payment.foreign_currency_amount', code: 'igtf_base_exceeds_total', message: `payment.foreign_currency_amount ${foreign} (the IGTF base) exceeds totals.total ${wire.totals.total}` });
  }
  return issues;
}

function withRules(schema: typeof InvoiceObject, documentType: TuimprentaDocumentType): ZodType<TuimprentaInvoiceRequest> {
  return schema.superRefine((wire, ctx) => {
    if (wire.document_type !== documentType) {
      ctx.addIssue({ code: 'custom', path: ['document_type'], message: `document_type must be "${documentType}" for this document` });
      return;
    }
    for (const issue of [...structuralIssues(wire), ...invoiceArithmetic(wire)]) {
      ctx.addIssue({ code: 'custom', path: fieldPath(issue.field), message: issue.message });
    }
  });
}

/** "items[2].tax_amount" → ['items', 2, 'tax_amount'], so zod reports the same path the API would. */
export function fieldPath(field: string): (string | number)[] {
  return field
    .split(/\.|(?=\[)/)
    .filter(Boolean)
    .map((part) => (/^\[\d+\]$/.test(part) ? Number(part.slice(1, -1)) : part));
}

/** Any document type, as the API itself validates a body. */
export const TuimprentaInvoiceCreate = InvoiceObject;

export const tuimprentaWireSchemas = {
  invoice: withRules(InvoiceObject, 'invoice'),
  credit_note: withRules(InvoiceObject, 'credit_note'),
  debit_note: withRules(InvoiceObject, 'debit_note'),
} as const;
