/**
 * The arithmetic of a Unidigital document (reference §2.5): Unidigital does not calculate amounts,
 * it validates them and rejects a document whose amounts do not add up. These rules are used twice:
 * by Puente's wire schema (to fill the fields that are arithmetic over others and to refuse a
 * document before it costs a request) and by the sandbox (to reject like the imprenta does).
 *
 * Rules, per line (`Details[]`):
 *   Amount             = round2(Quantity × UnitPrice)
 *   AmountPlusDiscount = Amount − Discount                      (the line after its discount)
 *   TaxPercent         = 16 (G), 8 (R), 31 (A, suntuario), 0 (E, exento); IsExempt ⇔ E
 *   TaxAmount          = round2(AmountPlusDiscount × TaxPercent / 100)
 *   TotalAmount        = AmountPlusDiscount + TaxAmount
 * and for the document:
 *   TaxBase/TaxAmount (G), …Reduced (R), …Sumptuary (A), ExemptAmount (E) = Σ of their lines
 *   Subtotal = ExemptAmount + TaxBase + TaxBaseReduced + TaxBaseSumptuary
 *   Taxes    = TaxAmount + TaxAmountReduced + TaxAmountSumptuary
 *   SubtotalPlusDiscount = Subtotal − Discount + PreviousBalance
 *   Total    = Subtotal − Discount + Taxes + PreviousBalance
 *   IGTFAmount = round2(IGTFBaseAmount × 3 / 100); GrandTotal = Total + IGTFAmount
 *   X_VES = X when Currency is VES (then ExchangeRate = 1), else round2(X × ExchangeRate)
 *
 * [NF] The reference states which relations the imprenta checks (line and header sums, IGTF = base ×
 * 3 %, each *VES field against its conversion, equal values for a VES document) but not the exact
 * formulas for Subtotal/SubtotalPlusDiscount nor the tolerance. The formulas above are the ones
 * integrators use; a computed value may differ from the stated one by at most 0.01 (one cent),
 * except where a value is a plain sum or difference of stated values, which must match exactly.
 */
import { Dec } from '../../src/domain/money.js';

export const TAX_CODES = ['G', 'R', 'A', 'E'] as const;
export type TaxCode = (typeof TAX_CODES)[number];

/** The rate each line tax code stands for (SENIAT: general 16, reduced 8, luxury 16 + 15 = 31). */
export const TAX_CODE_PERCENT: Readonly<Record<TaxCode, number>> = { G: 16, R: 8, A: 31, E: 0 };

/** Header rates Unidigital wants with their legal value always, even when their base is 0. */
export const LEGAL_PERCENTS = { TaxPercent: 16, TaxPercentReduced: 8, TaxPercentSumptuary: 31, IGTFPercentage: 3 } as const;
export type LegalPercentField = keyof typeof LEGAL_PERCENTS;

export const HEADER_AMOUNT_FIELDS = [
  'PreviousBalance',
  'Discount',
  'ExemptAmount',
  'TaxBase',
  'TaxAmount',
  'TaxBaseReduced',
  'TaxAmountReduced',
  'TaxBaseSumptuary',
  'TaxAmountSumptuary',
  'Subtotal',
  'SubtotalPlusDiscount',
  'Taxes',
  'Total',
  'IGTFBaseAmount',
  'IGTFAmount',
  'GrandTotal',
] as const;
export type HeaderAmountField = (typeof HEADER_AMOUNT_FIELDS)[number];

/** The fields that have a `…VES` mirror (reference §2.5), in the order they are written. */
export const VES_MIRRORED_FIELDS = [
  'ExemptAmount',
  'TaxBase',
  'TaxBaseReduced',
  'TaxBaseSumptuary',
  'TaxAmount',
  'TaxAmountReduced',
  'TaxAmountSumptuary',
  'Subtotal',
  'SubtotalPlusDiscount',
  'Discount',
  'Total',
  'IGTFBaseAmount',
  'IGTFAmount',
  'GrandTotal',
] as const satisfies readonly HeaderAmountField[];
export type VesMirroredField = (typeof VES_MIRRORED_FIELDS)[number];
export type VesField = `${VesMirroredField}VES`;

export const LINE_AMOUNT_FIELDS = ['Quantity', 'UnitPrice', 'Amount', 'Discount', 'AmountPlusDiscount', 'TaxAmount', 'TaxPercent', 'TotalAmount'] as const;
export type LineAmountField = (typeof LINE_AMOUNT_FIELDS)[number];

export interface LineAmounts {
  taxCode: TaxCode;
  isExempt: boolean | undefined;
  values: Partial<Record<LineAmountField, Dec>>;
}

/** A document's amounts as exact decimals; a missing field is undefined. */
export interface DocumentAmounts {
  currency: string;
  exchangeRate: Dec | undefined;
  percents: Partial<Record<LegalPercentField, Dec>>;
  header: Partial<Record<HeaderAmountField, Dec>>;
  ves: Partial<Record<VesField, Dec>>;
  lines: LineAmounts[];
}

export interface AmountProblem {
  path: (string | number)[];
  /** Unidigital's error code where one is known (§2.3), else one in the same style [NF]. */
  code: string;
  message: string;
}

export const TOLERANCE = new Dec('0.01');
const ZERO = new Dec(0);
const HUNDRED = new Dec(100);

export function round2(value: Dec): Dec {
  return value.toDecimalPlaces(2, Dec.ROUND_HALF_UP);
}

function sum(values: (Dec | undefined)[]): Dec {
  return values.reduce<Dec>((total, v) => total.plus(v ?? ZERO), ZERO);
}

function text(value: Dec): string {
  return value.toFixed(Math.max(2, value.decimalPlaces()));
}

const BUCKETS: ReadonlyArray<{ code: TaxCode; base: HeaderAmountField; tax: HeaderAmountField | undefined }> = [
  { code: 'G', base: 'TaxBase', tax: 'TaxAmount' },
  { code: 'R', base: 'TaxBaseReduced', tax: 'TaxAmountReduced' },
  { code: 'A', base: 'TaxBaseSumptuary', tax: 'TaxAmountSumptuary' },
  { code: 'E', base: 'ExemptAmount', tax: undefined },
];

/**
 * Fills every field that is arithmetic over others and is missing: line Discount (0), Amount,
 * AmountPlusDiscount, TaxPercent, IsExempt, TaxAmount, TotalAmount; the header buckets, Discount (0),
 * Subtotal, Taxes, SubtotalPlusDiscount, Total, IGTFAmount, GrandTotal, the legal percents,
 * ExchangeRate (1, for a VES document only) and every *VES mirror. A field that is present is kept
 * as given, so `auditAmounts` can tell a wrong value from a missing one. Mutates and returns `doc`.
 */
export function deriveAmounts(doc: DocumentAmounts): DocumentAmounts {
  for (const line of doc.lines) {
    const v = line.values;
    v.Discount ??= ZERO;
    if (v.Amount === undefined && v.Quantity !== undefined && v.UnitPrice !== undefined) v.Amount = round2(v.Quantity.times(v.UnitPrice));
    if (v.AmountPlusDiscount === undefined && v.Amount !== undefined) v.AmountPlusDiscount = v.Amount.minus(v.Discount);
    v.TaxPercent ??= new Dec(TAX_CODE_PERCENT[line.taxCode]);
    line.isExempt ??= line.taxCode === 'E';
    if (v.TaxAmount === undefined && v.AmountPlusDiscount !== undefined) v.TaxAmount = round2(v.AmountPlusDiscount.times(v.TaxPercent).div(HUNDRED));
    if (v.TotalAmount === undefined && v.AmountPlusDiscount !== undefined && v.TaxAmount !== undefined) v.TotalAmount = v.AmountPlusDiscount.plus(v.TaxAmount);
  }
  const h = doc.header;
  for (const bucket of BUCKETS) {
    const lines = doc.lines.filter((l) => l.taxCode === bucket.code);
    h[bucket.base] ??= sum(lines.map((l) => l.values.AmountPlusDiscount));
    if (bucket.tax) h[bucket.tax] ??= sum(lines.map((l) => l.values.TaxAmount));
  }
  for (const [field, value] of Object.entries(LEGAL_PERCENTS) as [LegalPercentField, number][]) doc.percents[field] ??= new Dec(value);
  h.Discount ??= ZERO;
  const previous = h.PreviousBalance ?? ZERO;
  h.Subtotal ??= sum([h.ExemptAmount, h.TaxBase, h.TaxBaseReduced, h.TaxBaseSumptuary]);
  h.Taxes ??= sum([h.TaxAmount, h.TaxAmountReduced, h.TaxAmountSumptuary]);
  h.SubtotalPlusDiscount ??= h.Subtotal.minus(h.Discount).plus(previous);
  h.Total ??= h.Subtotal.minus(h.Discount).plus(h.Taxes).plus(previous);
  if (h.IGTFAmount === undefined && h.IGTFBaseAmount !== undefined) {
    h.IGTFAmount = round2(h.IGTFBaseAmount.times(LEGAL_PERCENTS.IGTFPercentage).div(HUNDRED));
  }
  h.GrandTotal ??= h.Total.plus(h.IGTFAmount ?? ZERO);
  if (doc.exchangeRate === undefined && doc.currency === 'VES') doc.exchangeRate = new Dec(1);
  const rate = doc.exchangeRate;
  if (rate !== undefined) {
    for (const field of VES_MIRRORED_FIELDS) {
      const key = `${field}VES` as VesField;
      // A VES mirror is always sent, even for IGTF that does not apply (then 0).
      doc.ves[key] ??= round2((h[field] ?? ZERO).times(rate));
    }
  }
  return doc;
}

/**
 * Every rule of the module comment that `doc` breaks, each with the path of the field to fix.
 * Expects every field present (run `deriveAmounts` first, or get "missing" problems).
 */
export function auditAmounts(doc: DocumentAmounts): AmountProblem[] {
  const problems: AmountProblem[] = [];
  const problem = (path: (string | number)[], code: string, message: string) => problems.push({ path, code, message });
  const close = (a: Dec, b: Dec) => a.minus(b).abs().lte(TOLERANCE);
  const need = (value: Dec | undefined, path: (string | number)[], what: string): value is Dec => {
    if (value !== undefined) return true;
    problem(path, 'DocumentCantBeBuild', `'${what}' no debería estar vacío`);
    return false;
  };

  doc.lines.forEach((line, i) => {
    const at = (field: string) => ['Details', i, field];
    const v = line.values;
    for (const field of LINE_AMOUNT_FIELDS) {
      const value = v[field];
      if (!need(value, at(field), field)) continue;
      if (value.isNegative()) problem(at(field), 'DocumentCantBeBuild', `${field} must not be negative (${text(value)}): amounts are positive on every document type, the type carries the sign`);
    }
    const { Quantity, UnitPrice, Amount, Discount, AmountPlusDiscount, TaxAmount, TaxPercent, TotalAmount } = v;
    if (Quantity && UnitPrice && Amount && !close(round2(Quantity.times(UnitPrice)), Amount)) {
      problem(at('Amount'), 'DocumentCantBeBuild', `Amount (${text(Amount)}) must be Quantity × UnitPrice (${text(round2(Quantity.times(UnitPrice)))})`);
    }
    if (Amount && Discount && AmountPlusDiscount && !Amount.minus(Discount).eq(AmountPlusDiscount)) {
      problem(at('AmountPlusDiscount'), 'DocumentCantBeBuild', `AmountPlusDiscount (${text(AmountPlusDiscount)}) must be Amount − Discount (${text(Amount.minus(Discount))})`);
    }
    const expectedPercent = TAX_CODE_PERCENT[line.taxCode];
    if (TaxPercent && !TaxPercent.eq(expectedPercent)) {
      problem(at('TaxPercent'), 'TaxPercentMustBeValid', `TaxPercent no puede ser diferente de ${expectedPercent}% para TaxCode ${line.taxCode} (got ${text(TaxPercent)})`);
    }
    if (line.isExempt !== (line.taxCode === 'E')) {
      problem(at('IsExempt'), 'DocumentCantBeBuild', `IsExempt must be ${line.taxCode === 'E'} for TaxCode ${line.taxCode}`);
    }
    if (AmountPlusDiscount && TaxAmount) {
      const expected = round2(AmountPlusDiscount.times(expectedPercent).div(HUNDRED));
      if (!close(expected, TaxAmount)) {
        problem(at('TaxAmount'), 'DocumentCantBeBuild', `TaxAmount (${text(TaxAmount)}) must be AmountPlusDiscount × ${expectedPercent}% (${text(expected)})`);
      }
      if (TotalAmount && !AmountPlusDiscount.plus(TaxAmount).eq(TotalAmount)) {
        problem(at('TotalAmount'), 'DocumentCantBeBuild', `TotalAmount (${text(TotalAmount)}) must be AmountPlusDiscount + TaxAmount (${text(AmountPlusDiscount.plus(TaxAmount))})`);
      }
    }
  });

  for (const [field, legal] of Object.entries(LEGAL_PERCENTS) as [LegalPercentField, number][]) {
    const value = doc.percents[field];
    if (need(value, [field], field) && !value.eq(legal)) {
      problem([field], 'TaxPercentMustBeValid', `${field} no puede ser diferente de ${legal}% (got ${text(value)}); send the legal rate even when its base is 0`);
    }
  }

  const h = doc.header;
  const required: HeaderAmountField[] = HEADER_AMOUNT_FIELDS.filter((f) => f !== 'PreviousBalance' && f !== 'IGTFBaseAmount' && f !== 'IGTFAmount');
  for (const field of HEADER_AMOUNT_FIELDS) {
    const value = h[field];
    if (value === undefined) {
      if (required.includes(field)) need(value, [field], field);
      continue;
    }
    if (value.isNegative()) problem([field], 'DocumentCantBeBuild', `${field} must not be negative (${text(value)}): amounts are positive on NC and ND too`);
  }

  for (const bucket of BUCKETS) {
    const lines = doc.lines.filter((l) => l.taxCode === bucket.code);
    const base = h[bucket.base];
    const lineBase = sum(lines.map((l) => l.values.AmountPlusDiscount));
    if (base && !base.eq(lineBase)) {
      problem([bucket.base], 'DocumentCantBeBuild', `${bucket.base} (${text(base)}) must be the sum of the AmountPlusDiscount of the lines with TaxCode ${bucket.code} (${text(lineBase)})`);
    }
    if (!bucket.tax) continue;
    const tax = h[bucket.tax];
    const lineTax = sum(lines.map((l) => l.values.TaxAmount));
    if (tax && !tax.eq(lineTax)) {
      problem([bucket.tax], 'DocumentCantBeBuild', `${bucket.tax} (${text(tax)}) must be the sum of the TaxAmount of the lines with TaxCode ${bucket.code} (${text(lineTax)})`);
    }
  }

  const previous = h.PreviousBalance ?? ZERO;
  const { Subtotal, Taxes, Discount, SubtotalPlusDiscount, Total, IGTFBaseAmount, IGTFAmount, GrandTotal } = h;
  const subtotal = sum([h.ExemptAmount, h.TaxBase, h.TaxBaseReduced, h.TaxBaseSumptuary]);
  const taxes = sum([h.TaxAmount, h.TaxAmountReduced, h.TaxAmountSumptuary]);
  if (Subtotal && !Subtotal.eq(subtotal)) {
    problem(['Subtotal'], 'DocumentCantBeBuild', `Subtotal (${text(Subtotal)}) must be ExemptAmount + TaxBase + TaxBaseReduced + TaxBaseSumptuary (${text(subtotal)})`);
  }
  if (Taxes && !Taxes.eq(taxes)) {
    problem(['Taxes'], 'DocumentCantBeBuild', `Taxes (${text(Taxes)}) must be TaxAmount + TaxAmountReduced + TaxAmountSumptuary (${text(taxes)})`);
  }
  if (Subtotal && Discount && SubtotalPlusDiscount && !SubtotalPlusDiscount.eq(Subtotal.minus(Discount).plus(previous))) {
    problem(['SubtotalPlusDiscount'], 'DocumentCantBeBuild', `SubtotalPlusDiscount (${text(SubtotalPlusDiscount)}) must be Subtotal − Discount + PreviousBalance (${text(Subtotal.minus(Discount).plus(previous))})`);
  }
  if (Subtotal && Discount && Taxes && Total) {
    const expected = Subtotal.minus(Discount).plus(Taxes).plus(previous);
    if (!Total.eq(expected)) {
      problem(['Total'], 'DocumentCantBeBuild', `Total (${text(Total)}) must be Subtotal − Discount + Taxes + PreviousBalance (${text(expected)}); a document-level charge has no field at Unidigital: send it as a line`);
    }
  }
  if (IGTFBaseAmount && IGTFBaseAmount.gt(0)) {
    const expected = round2(IGTFBaseAmount.times(LEGAL_PERCENTS.IGTFPercentage).div(HUNDRED));
    if (!IGTFAmount) problem(['IGTFAmount'], 'DocumentCantBeBuild', `'IGTF Amount' no debería estar vacío: IGTFBaseAmount is ${text(IGTFBaseAmount)}`);
    else if (!close(IGTFAmount, expected)) {
      problem(['IGTFAmount'], 'DocumentCantBeBuild', `IGTFAmount (${text(IGTFAmount)}) must be IGTFBaseAmount × 3% (${text(expected)})`);
    }
    if (Total && IGTFBaseAmount.gt(Total)) {
      problem(['IGTFBaseAmount'], 'DocumentCantBeBuild', `IGTFBaseAmount (${text(IGTFBaseAmount)}) is the part of the Total paid in foreign currency and cannot exceed the Total (${text(Total)})`);
    }
  } else if (IGTFAmount && IGTFAmount.gt(0)) {
    problem(['IGTFBaseAmount'], 'DocumentCantBeBuild', `IGTFAmount is ${text(IGTFAmount)} but IGTFBaseAmount is missing or 0`);
  }
  if (Total && GrandTotal && !GrandTotal.eq(Total.plus(IGTFAmount ?? ZERO))) {
    problem(['GrandTotal'], 'DocumentCantBeBuild', `GrandTotal (${text(GrandTotal)}) must be Total + IGTFAmount (${text(Total.plus(IGTFAmount ?? ZERO))})`);
  }

  const rate = doc.exchangeRate;
  if (!rate) {
    problem(['ExchangeRate'], 'DocumentCantBeBuild', `ExchangeRate is required when Currency is ${doc.currency}: the BCV rate to VES of the issue date`);
  } else if (!rate.gt(0)) {
    problem(['ExchangeRate'], 'DocumentCantBeBuild', 'ExchangeRate must be greater than 0');
  } else if (doc.currency === 'VES' && !rate.eq(1)) {
    problem(['ExchangeRate'], 'DocumentOnlyVESMustBeSameTotals', `ExchangeRate must be 1 for a document in VES (got ${text(rate)})`);
  }
  for (const field of VES_MIRRORED_FIELDS) {
    const key = `${field}VES` as VesField;
    const mirror = doc.ves[key];
    if (!need(mirror, [key], key)) continue;
    const value = h[field] ?? ZERO;
    if (doc.currency === 'VES') {
      if (!mirror.eq(value)) {
        problem([key], 'DocumentOnlyVESMustBeSameTotals', `se requiere que ${field} (Bs ${text(value)}) y ${key} (Bs ${text(mirror)}) tengan el mismo valor`);
      }
    } else if (rate && rate.gt(0)) {
      const expected = round2(value.times(rate));
      if (!close(mirror, expected)) {
        problem([key], 'DocumentCantBeBuild', `${key} (${text(mirror)}) must be ${field} × ExchangeRate (${text(expected)})`);
      }
    }
  }
  return problems;
}
