/**
 * The canonical FiscalDocument: what Puente means by an invoice, credit note, debit note or export
 * invoice, independent of any store or invoicing API.
 *
 * Two shapes:
 * - FiscalDocumentDraft: what mapping stage 1 produces from a source event (no totals).
 * - FiscalDocument: the draft after domain code has computed every line amount, the tax summary and
 *   the totals (src/domain/totals.ts). Mapping stage 2 reads this shape.
 *
 * Amounts are decimal strings ("1234.50"), never JS numbers: a float cannot hold 0.1 exactly and tax
 * authorities reject totals like 153.60000000000002.
 */
import { z } from 'zod';

export const DecimalString = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number written as a string, e.g. "1234.50"');

export const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');

/** An instant with its UTC offset, e.g. 2026-11-20T14:03:00-05:00. Never a bare local time. */
export const OffsetDateTime = z.iso.datetime({ offset: true, local: false });

export const DOCUMENT_KINDS = ['invoice', 'credit_note', 'debit_note', 'export_invoice'] as const;
export const DocumentKind = z.enum(DOCUMENT_KINDS);
export type DocumentKind = z.infer<typeof DocumentKind>;

/**
 * How the buyer is identified. Country-specific types are named by their usual abbreviation; a
 * target's stage-2 mapping translates them into that API's id table.
 * FINAL_CONSUMER is the anonymous buyer (Colombia 222222222222, Paraguay "sin nombre", …).
 */
export const IDENTIFICATION_TYPES = [
  'NIT', // Colombia, companies and merchants (with check digit)
  'CC', // Colombia, cédula de ciudadanía
  'CE', // Colombia, cédula de extranjería
  'TI', // Colombia, tarjeta de identidad
  'PASSPORT',
  'FOREIGN_ID', // identity document issued abroad
  'FOREIGN_TAX_ID', // tax id issued abroad (NIT de otro país)
  'RUC', // Paraguay
  'CI', // Paraguay / Venezuela cédula de identidad
  'RIF', // Venezuela
  'FINAL_CONSUMER',
] as const;
export const IdentificationType = z.enum(IDENTIFICATION_TYPES);
export type IdentificationType = z.infer<typeof IdentificationType>;

export const Identification = z.strictObject({
  type: IdentificationType,
  number: z.string().min(1).max(20),
  /** Check digit where the scheme has one (NIT, RUC, RIF); validated in src/domain/identifiers.ts. */
  checkDigit: z.string().regex(/^\d$/, 'must be a single digit').optional(),
});
export type Identification = z.infer<typeof Identification>;

export const Address = z.strictObject({
  line1: z.string().optional(),
  line2: z.string().optional(),
  city: z.string().optional(),
  region: z.string().optional(),
  postalCode: z.string().optional(),
  /** ISO 3166-1 alpha-2 */
  countryCode: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as CO'),
});

export const Buyer = z.strictObject({
  name: z.string().min(1),
  identification: Identification,
  kind: z.enum(['company', 'person']).optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  address: Address.optional(),
});
export type Buyer = z.infer<typeof Buyer>;

/** One tax applied to a line. `code` is the tax scheme (IVA, INC, ICA, IGTF, …); percent as "19". */
export const TaxInput = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an upper-case tax code such as IVA'),
  percent: DecimalString,
  name: z.string().optional(),
});
export type TaxInput = z.infer<typeof TaxInput>;

export const Discount = z.strictObject({
  amount: DecimalString,
  reason: z.string().optional(),
});

export const LINE_KINDS = ['item', 'shipping', 'fee', 'gift_card'] as const;

export const LineDraft = z.strictObject({
  /** The source's own line id, kept to match refunds and edits back to invoiced lines. */
  sourceLineId: z.string().optional(),
  kind: z.enum(LINE_KINDS).default('item'),
  code: z.string().min(1),
  description: z.string().min(1),
  quantity: DecimalString,
  /** Unit price as the source states it; see priceIncludesTax. */
  unitPrice: DecimalString,
  priceIncludesTax: z.boolean().default(false),
  discounts: z.array(Discount).default([]),
  /**
   * The line's net amount when the source states it outright (a refund line's subtotal). Domain code
   * then derives the discount as quantity × unitPrice − netAmount instead of summing `discounts`.
   */
  netAmount: DecimalString.optional(),
  taxes: z.array(TaxInput).default([]),
  /** Canonical unit of measure; targets translate it (APIDIAN 70 = unidad). */
  unit: z.string().default('unit'),
  freeOfCharge: z.boolean().default(false),
});
export type LineDraft = z.infer<typeof LineDraft>;

/** Document-level charge or allowance (no tax of its own). */
export const AllowanceCharge = z.strictObject({
  reason: z.string().min(1),
  amount: DecimalString,
});
export type AllowanceCharge = z.infer<typeof AllowanceCharge>;

export const PAYMENT_METHODS = ['cash', 'card', 'debit_card', 'transfer', 'deposit', 'check', 'other'] as const;
export const Payment = z.strictObject({
  form: z.enum(['cash', 'credit']).default('cash'),
  method: z.enum(PAYMENT_METHODS).default('other'),
  dueDate: IsoDate.optional(),
  /** Part of the payment made in foreign currency (Venezuela's IGTF applies to it). */
  foreignCurrencyAmount: DecimalString.optional(),
});
export type Payment = z.infer<typeof Payment>;

/** The document a credit or debit note corrects. Filled in by the ledger, not by mappings. */
export const DocumentReference = z.strictObject({
  documentId: z.string(),
  kind: DocumentKind,
  series: z.string(),
  number: z.string(),
  issueDate: IsoDate,
  /** CUFE / CDC / control number of the referenced document, where the target assigns one. */
  uuid: z.string().optional(),
});
export type DocumentReference = z.infer<typeof DocumentReference>;

export const CORRECTION_CODES = [
  'partial_return',
  'annulment',
  'discount',
  'price_adjustment',
  'interest',
  'expenses',
  'value_change',
  'other',
] as const;
export const Correction = z.strictObject({
  code: z.enum(CORRECTION_CODES),
  description: z.string().min(1),
});
export type Correction = z.infer<typeof Correction>;

export const ExchangeRate = z.strictObject({
  /** Units of `toCurrency` per one unit of the document currency. */
  rate: DecimalString,
  toCurrency: z.string().regex(/^[A-Z]{3}$/),
  date: IsoDate,
});

export const OrderRef = z.strictObject({
  source: z.string().min(1),
  orderId: z.string().min(1),
  orderName: z.string().optional(),
});

export const FiscalDocumentDraft = z.strictObject({
  kind: DocumentKind,
  issuedAt: OffsetDateTime,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as COP'),
  exchangeRate: ExchangeRate.optional(),
  buyer: Buyer,
  lines: z.array(LineDraft).min(1, 'a document needs at least one line'),
  charges: z.array(AllowanceCharge).default([]),
  allowances: z.array(AllowanceCharge).default([]),
  payment: Payment.default({ form: 'cash', method: 'other' }),
  reference: DocumentReference.optional(),
  correction: Correction.optional(),
  notes: z.string().optional(),
  orderRef: OrderRef,
  /** Assigned by the pipeline (numbering), not by mappings. */
  series: z.string().optional(),
  number: z.string().optional(),
});
export type FiscalDocumentDraft = z.infer<typeof FiscalDocumentDraft>;
export type FiscalDocumentDraftInput = z.input<typeof FiscalDocumentDraft>;

export const ComputedTax = TaxInput.extend({
  taxableAmount: DecimalString,
  taxAmount: DecimalString,
});
export type ComputedTax = z.infer<typeof ComputedTax>;

export const ComputedLine = LineDraft.extend({
  /** quantity × unitPrice, net of tax when the price included it. */
  grossAmount: DecimalString,
  discountAmount: DecimalString,
  /** grossAmount − discountAmount, rounded half-up to the currency's decimals. */
  lineExtensionAmount: DecimalString,
  /** Net unit price (tax excluded), as targets want it. */
  netUnitPrice: DecimalString,
  taxes: z.array(ComputedTax),
  taxAmount: DecimalString,
  /**
   * What one unit was charged, tax included and after discounts: (lineExtensionAmount + taxAmount) /
   * quantity, rounded half-up to 8 decimals (SIFEN's precision for dPUniProSer). Targets that take
   * tax-inclusive unit prices with no discount (SIFEN) send it, so that
   * round(chargedUnitPrice × quantity) = lineExtensionAmount + taxAmount.
   */
  chargedUnitPrice: DecimalString,
});
export type ComputedLine = z.infer<typeof ComputedLine>;

export const TaxSummaryEntry = z.strictObject({
  code: z.string(),
  percent: DecimalString,
  taxableAmount: DecimalString,
  taxAmount: DecimalString,
});
export type TaxSummaryEntry = z.infer<typeof TaxSummaryEntry>;

export const Totals = z.strictObject({
  /** Σ line extension amounts. */
  lineExtensionAmount: DecimalString,
  /** Σ taxable bases (lines that carry at least one tax, 0 % included). */
  taxExclusiveAmount: DecimalString,
  taxTotal: DecimalString,
  /** lineExtensionAmount + taxTotal. */
  taxInclusiveAmount: DecimalString,
  allowanceTotalAmount: DecimalString,
  chargeTotalAmount: DecimalString,
  /** taxInclusiveAmount − allowanceTotalAmount + chargeTotalAmount. */
  payableAmount: DecimalString,
});
export type Totals = z.infer<typeof Totals>;

export const FiscalDocument = FiscalDocumentDraft.extend({
  lines: z.array(ComputedLine).min(1),
  taxSummary: z.array(TaxSummaryEntry),
  totals: Totals,
});
export type FiscalDocument = z.infer<typeof FiscalDocument>;
