/**
 * Line amounts, tax summary and totals of a FiscalDocument, computed in decimal.
 *
 * The rules (DESIGN §5): parse every amount from its decimal string, compute exactly, round half-up
 * per line in the document currency, then only ever add rounded values. Because every total is a
 * sum of already-rounded line values, the document reconciles to the last minor unit:
 *   totals.lineExtensionAmount = Σ lines[].lineExtensionAmount
 *   totals.taxTotal            = Σ lines[].taxAmount = Σ taxSummary[].taxAmount
 *   totals.taxInclusiveAmount  = lineExtensionAmount + taxTotal
 *   totals.payableAmount       = taxInclusiveAmount − allowanceTotalAmount + chargeTotalAmount
 * and on every paid line: grossAmount − discountAmount = lineExtensionAmount. Each tax of a
 * tax-exclusive line is round(lineExtensionAmount × percent / 100); the taxes of a tax-inclusive
 * line are split so that lineExtensionAmount + taxAmount is exactly the amount charged (computeLine).
 *
 * Every amount is written with exactly the currency's decimals (currency.ts). Two kinds of value are
 * not amounts and keep more precision: tax percents (at least two decimals, "19" → "19.00",
 * "0.966" stays), netUnitPrice (see unitPriceNetOfTax) and chargedUnitPrice (unitPriceCharged).
 */
import type { z } from 'zod';
import { DomainError } from './errors.js';
import { currencyDecimals } from './currency.js';
import {
  FiscalDocument,
  FiscalDocumentDraft,
  type ComputedLine,
  type ComputedTax,
  type FiscalDocumentDraftInput,
  type LineDraft,
  type TaxSummaryEntry,
} from './fiscal-document.js';
import { Dec, formatAtLeast, formatFixed, integerDigits, parseDecimal, roundHalfUp, sumDecimals } from './money.js';

/**
 * Computes every line amount, the tax summary and the totals of a draft. The draft is parsed with
 * the FiscalDocumentDraft schema first, so defaults apply and a malformed draft is refused with the
 * path of the first bad field. Throws DomainError (path like `lines[2].quantity`) for amounts the
 * domain refuses: a non-positive quantity, a negative price, a discount above the line's value, a
 * negative payable amount.
 */
export function computeDocument(input: FiscalDocumentDraftInput): FiscalDocument {
  const parsed = FiscalDocumentDraft.safeParse(input);
  if (!parsed.success) throw draftError(parsed.error);
  const draft = parsed.data;
  const decimals = currencyDecimals(draft.currency);

  const lines = draft.lines.map((line, i) => computeLine(line, `lines[${i}]`, decimals));
  const taxSummary = summarizeTaxes(lines, decimals);

  const lineExtension = sumDecimals(lines.map((l) => new Dec(l.lineExtensionAmount)));
  // DIAN's TaxExclusiveAmount: the base of the lines that carry a tax (0 % included); a line with no
  // tax at all (an excluded service) is part of the line extension but not of the taxable base.
  const taxExclusive = sumDecimals(lines.filter((l) => l.taxes.length > 0).map((l) => new Dec(l.lineExtensionAmount)));
  const taxTotal = sumDecimals(lines.map((l) => new Dec(l.taxAmount)));
  const taxInclusive = lineExtension.plus(taxTotal);

  const allowances = draft.allowances.map((a, i) => ({ ...a, amount: documentAmount(a.amount, `allowances[${i}].amount`, decimals) }));
  const charges = draft.charges.map((c, i) => ({ ...c, amount: documentAmount(c.amount, `charges[${i}].amount`, decimals) }));
  const allowanceTotal = sumDecimals(allowances.map((a) => new Dec(a.amount)));
  const chargeTotal = sumDecimals(charges.map((c) => new Dec(c.amount)));
  const payable = taxInclusive.minus(allowanceTotal).plus(chargeTotal);
  if (payable.isNegative()) {
    throw new DomainError(
      'allowances',
      `the document-level allowances (${formatFixed(allowanceTotal, decimals)}) exceed the amount due before them ` +
        `(${formatFixed(taxInclusive.plus(chargeTotal), decimals)}), which would make the payable amount negative: ` +
        'move the excess to a credit note or check the discount mapping',
    );
  }

  const document = {
    ...draft,
    allowances,
    charges,
    lines,
    taxSummary,
    totals: {
      lineExtensionAmount: formatFixed(lineExtension, decimals),
      taxExclusiveAmount: formatFixed(taxExclusive, decimals),
      taxTotal: formatFixed(taxTotal, decimals),
      taxInclusiveAmount: formatFixed(taxInclusive, decimals),
      allowanceTotalAmount: formatFixed(allowanceTotal, decimals),
      chargeTotalAmount: formatFixed(chargeTotal, decimals),
      payableAmount: formatFixed(payable, decimals),
    },
  };
  // The output contract is the schema; a mismatch here is our bug, so fail loudly rather than hand
  // a document the next stage cannot trust.
  return FiscalDocument.parse(document);
}

/**
 * One line. The price basis (tax-exclusive or tax-inclusive) applies to unitPrice, discounts[] and
 * netAmount alike: a store that shows tax-inclusive prices also states its discounts and refund
 * subtotals tax-inclusive.
 */
function computeLine(line: LineDraft, path: string, decimals: number): ComputedLine {
  const quantity = parseDecimal(line.quantity, `${path}.quantity`);
  if (quantity.lte(0)) {
    throw new DomainError(
      `${path}.quantity`,
      `must be greater than zero (got ${line.quantity}); a returned item is a positive quantity on a credit note`,
    );
  }
  const unitPrice = parseDecimal(line.unitPrice, `${path}.unitPrice`);
  if (unitPrice.isNegative()) {
    throw new DomainError(`${path}.unitPrice`, `must not be negative (got ${line.unitPrice}); put refunds on a credit note and discounts in discounts[]`);
  }
  const percents = parseTaxPercents(line, path);
  const stated = quantity.times(unitPrice); // exact: no rounding yet
  const taxFactor = sumDecimals(percents).div(100).plus(1);
  // Net of tax, before any discount. A tax-inclusive amount is first rounded to the currency (it is
  // what the buyer is charged), exactly as the discounted amount is below; because every step is
  // monotonic, grossAmount ≥ lineExtensionAmount and the reported discount is never negative.
  const grossAmount = line.priceIncludesTax
    ? roundHalfUp(roundHalfUp(stated, decimals).div(taxFactor), decimals)
    : roundHalfUp(stated, decimals);
  const netUnitPrice = unitPriceNetOfTax(line, unitPrice, quantity, grossAmount, decimals);

  /*
   * Free-of-charge lines (samples, gifts: DIAN's FreeOfChargeIndicator = true). DIAN wants such a
   * line with LineExtensionAmount 0 and its commercial value as a reference price (APIDIAN:
   * free_of_charge_indicator + reference_price_id + price_amount), so it adds nothing to the totals.
   * We report its value in grossAmount/netUnitPrice (stage 2 sends netUnitPrice as price_amount) and
   * every amount that enters a total (discount, line extension, taxes) as 0. Its taxes stay on the
   * line with base 0 and amount 0 and are grouped into the tax summary (adding 0), because DIAN
   * rejects a line tax that has no matching document-level TaxTotal.
   * Not done: APIDIAN's own multi-line example taxes the gift's reference value and offsets the IVA
   * with an "IVA asumido" allowance; that would make the payable amount differ from what the store
   * charged, so it is left to an explicit mapping (a charged line plus an allowance) if a merchant
   * needs it.
   */
  if (line.freeOfCharge) {
    const zero = formatFixed(new Dec(0), decimals);
    return {
      ...line,
      grossAmount: formatFixed(grossAmount, decimals),
      discountAmount: zero,
      lineExtensionAmount: zero,
      netUnitPrice,
      taxes: line.taxes.map((tax, k) => computedTax(tax, percents[k]!, new Dec(0), decimals)),
      taxAmount: zero,
      chargedUnitPrice: zero,
    };
  }

  const discount = lineDiscount(line, stated, path);
  /*
   * Tax-inclusive prices: the document must equal what the buyer was charged. The charged amount is
   * A = round(stated − discount); the base is round(A / (1 + Σ rates)) and the line's taxes share
   * exactly A − base (inclusiveLineTaxes), so base + taxes = A to the last minor unit. The older
   * rule (each tax = round(base × rate)) turned a 59,900.00 COP order at 19 % into 59,899.99, an
   * invoice that matches no payment and that merchants and their accountants reject.
   * The price of that exactness: a tax may differ from round(base × rate) by one minor unit (and
   * from the exact base × rate by at most one minor unit, for rates adding up to at most 100 %).
   * DIAN's rule FAX07 ("TaxAmount <> TaxableAmount × Percent") is published without a tolerance
   * we could confirm; what we can confirm is the APIDIAN sandbox's simulation of it
   * (connectors/apidian/sandbox/dian.ts), which accepts a line tax within 0.01 of the exact
   * base × percent — so in COP (2 decimals) every line produced this way passes it (rates on a line
 * adding up to at most 100 %).
   * [Unconfirmed for DIAN itself: the 0.01-per-line tolerance is the sandbox's rule.]
   * Tax-exclusive prices keep tax = round(base × rate): there the base is what was agreed and the
   * total follows from it.
   */
  // What the line comes to after discounts, in the price's own basis: for a tax-inclusive price,
  // the amount charged (A).
  const discounted = roundHalfUp(stated.minus(discount), decimals);
  const lineExtension = line.priceIncludesTax ? roundHalfUp(discounted.div(taxFactor), decimals) : discounted;
  // The discount reported is what makes grossAmount − discountAmount = lineExtensionAmount hold
  // exactly; it absorbs the sub-cent difference between rounding the parts and rounding the whole.
  // Rounding is monotonic, so it is never negative.
  const discountAmount = grossAmount.minus(lineExtension);

  const taxes = line.priceIncludesTax
    ? inclusiveLineTaxes(line.taxes, percents, lineExtension, discounted.minus(lineExtension), decimals)
    : line.taxes.map((tax, k) => computedTax(tax, percents[k]!, lineExtension, decimals));
  const taxAmount = sumDecimals(taxes.map((t) => new Dec(t.taxAmount)));

  return {
    ...line,
    grossAmount: formatFixed(grossAmount, decimals),
    discountAmount: formatFixed(discountAmount, decimals),
    lineExtensionAmount: formatFixed(lineExtension, decimals),
    netUnitPrice,
    taxes,
    taxAmount: formatFixed(taxAmount, decimals),
    chargedUnitPrice: unitPriceCharged(lineExtension.plus(taxAmount), quantity, decimals),
  };
}

/** Decimals of chargedUnitPrice: SIFEN's maximum for a unit price (dPUniProSer). */
const CHARGED_UNIT_PRICE_DECIMALS = 8;

/**
 * chargedUnitPrice — the tax-inclusive, discounted price of one unit: charged / quantity, rounded
 * half-up to 8 decimals and written with at least the currency's decimals. Its product with the
 * quantity is within quantity × ½·10⁻⁸ of the charged amount, so it rounds back to it exactly for any
 * quantity below 10^(8 − decimals) (a million units in a 2-decimal currency).
 */
function unitPriceCharged(charged: Dec, quantity: Dec, decimals: number): string {
  return formatAtLeast(roundHalfUp(charged.div(quantity), CHARGED_UNIT_PRICE_DECIMALS), decimals);
}

function parseTaxPercents(line: LineDraft, path: string): Dec[] {
  const seen = new Set<string>();
  return line.taxes.map((tax, k) => {
    const percent = parseDecimal(tax.percent, `${path}.taxes[${k}].percent`);
    // Above 100 is almost always a mistyped rate ("1900" for "19.00"), not a real ad valorem tax.
    if (percent.isNegative() || percent.gt(100)) {
      throw new DomainError(`${path}.taxes[${k}].percent`, `must be a rate from 0 to 100, as "19" for 19 % (got ${tax.percent})`);
    }
    if (seen.has(tax.code)) {
      throw new DomainError(
        `${path}.taxes[${k}].code`,
        `the tax ${tax.code} appears twice on this line; a line carries each tax once (use one line per rate)`,
      );
    }
    seen.add(tax.code);
    return percent;
  });
}

/**
 * The discount on the stated (tax-exclusive or tax-inclusive, like the price) line value:
 * `stated − netAmount` when the source states the net outright (a refund line), else Σ discounts.
 */
function lineDiscount(line: LineDraft, stated: Dec, path: string): Dec {
  if (line.netAmount !== undefined) {
    const net = parseDecimal(line.netAmount, `${path}.netAmount`);
    if (net.isNegative()) {
      throw new DomainError(`${path}.netAmount`, `must not be negative (got ${line.netAmount})`);
    }
    if (net.gt(stated)) {
      throw new DomainError(
        `${path}.netAmount`,
        `(${line.netAmount}) is larger than quantity × unitPrice (${stated.toFixed()}); a net amount can only lower the line's value`,
      );
    }
    return stated.minus(net);
  }
  const amounts = line.discounts.map((d, j) => {
    const amount = parseDecimal(d.amount, `${path}.discounts[${j}].amount`);
    if (amount.isNegative()) {
      throw new DomainError(`${path}.discounts[${j}].amount`, `must not be negative (got ${d.amount}); a surcharge is a charge, not a discount`);
    }
    return amount;
  });
  const discount = sumDecimals(amounts);
  if (discount.gt(stated)) {
    throw new DomainError(
      `${path}.discounts`,
      `add up to ${discount.toFixed()}, more than the line's quantity × unitPrice (${stated.toFixed()})`,
    );
  }
  return discount;
}

/**
 * netUnitPrice — the undiscounted unit price net of tax, what APIDIAN sends as price_amount
 * (with base_quantity 1). Rule: round(netUnitPrice × quantity, currency decimals) = grossAmount
 * holds exactly, so price × quantity − discountAmount = lineExtensionAmount holds at the currency's
 * precision.
 * - Tax-exclusive price: the unit price itself, unrounded (the source's own figure; it may have
 *   more decimals than the currency, e.g. "12.3456"). Its product with the quantity is the exact
 *   gross, whose rounding is grossAmount by definition.
 * - Tax-inclusive price: grossAmount / quantity, rounded half-up to P = max(decimals, 2) + k + 2
 *   places, where k is the number of integer digits of the quantity, then stripped of trailing
 *   zeros (never below the currency's decimals). The product of that price and the quantity is
 *   within quantity × ½·10^−P < ½·10^−decimals of grossAmount, so it rounds back to grossAmount.
 *   Deriving it from the rounded grossAmount (not from unitPrice / (1 + rate)) is what keeps it exact.
 */
function unitPriceNetOfTax(line: LineDraft, unitPrice: Dec, quantity: Dec, grossAmount: Dec, decimals: number): string {
  if (!line.priceIncludesTax) return formatAtLeast(unitPrice, decimals);
  const places = Math.max(decimals, 2) + integerDigits(quantity) + 2;
  return formatAtLeast(roundHalfUp(grossAmount.div(quantity), places), decimals);
}

function computedTax(tax: LineDraft['taxes'][number], percent: Dec, base: Dec, decimals: number, amount?: Dec): ComputedTax {
  return {
    ...tax,
    percent: formatAtLeast(percent, 2),
    taxableAmount: formatFixed(base, decimals),
    taxAmount: formatFixed(amount ?? roundHalfUp(base.times(percent).div(100), decimals), decimals),
  };
}

/**
 * The taxes of a tax-inclusive line, adding up to exactly `total` (the charged amount − the base).
 * With one tax, it is `total`. With several, each starts as round(base × percent) and the few minor
 * units still missing (or in excess) are moved one at a time, each to the tax whose current amount
 * lies furthest below (or above) its exact base × percent — ties go to the tax listed first, and a
 * 0 % tax never takes one. Choosing by distance rather than "the last" or "the largest" keeps every
 * tax within one minor unit of its exact base × percent, which is what a tolerance check like the
 * sandbox's FAX07 measures; a fixed "last (or largest) tax takes the remainder" can drift past one
 * unit with two taxes (10,000.30 COP incl. ICA 0.966 % + IVA 19 %: IVA 1,583.82 against an exact
 * 1,583.8305) and be rejected.
 * Bounds: with n taxes of positive rate adding up to P (each at most 100 %), the base and the n
 * roundings are each off by at most half a unit, so the remainder is under ½·(1 + P + n) ≤ n + ½
 * units: at most one unit per tax, and so no tax ends more than one unit from round(base × percent).
 * In practice it is 0 or ±1.
 * Each moved unit goes to a tax whose rounding went the other way whenever P ≤ 100 %, which keeps
 * it within one unit of the exact base × percent.
 */
function inclusiveLineTaxes(taxes: LineDraft['taxes'], percents: Dec[], base: Dec, total: Dec, decimals: number): ComputedTax[] {
  const exact = percents.map((p) => base.times(p).div(100));
  const amounts = exact.map((x) => roundHalfUp(x, decimals));
  const unit = new Dec(10).pow(-decimals);
  let missing = total.minus(sumDecimals(amounts)).div(unit).round().toNumber();
  while (missing !== 0) {
    const step = missing > 0 ? 1 : -1;
    let chosen = -1;
    for (let k = 0; k < amounts.length; k++) {
      // A 0 % tax must stay 0; a tax already at 0 cannot give a unit back.
      if (percents[k]!.isZero() || (step < 0 && amounts[k]!.isZero())) continue;
      if (chosen < 0) {
        chosen = k;
        continue;
      }
      const drift = amounts[k]!.minus(exact[k]!);
      const best = amounts[chosen]!.minus(exact[chosen]!);
      if (step > 0 ? drift.lt(best) : drift.gt(best)) chosen = k;
    }
    // Unreachable: with no positive rate the base equals the charged amount and nothing is missing.
    if (chosen < 0) throw new Error(`tax-inclusive line: ${missing} minor unit(s) of tax with no tax to carry them`);
    amounts[chosen] = amounts[chosen]!.plus(unit.times(step));
    missing -= step;
  }
  return taxes.map((tax, k) => computedTax(tax, percents[k]!, base, decimals, amounts[k]!));
}

/**
 * One entry per (tax code, percent), in the order first seen on the lines. Sums of the lines'
 * already-rounded bases and amounts, so the summary reconciles exactly with the lines.
 */
function summarizeTaxes(lines: ComputedLine[], decimals: number): TaxSummaryEntry[] {
  const groups = new Map<string, { code: string; percent: string; taxable: Dec; tax: Dec }>();
  for (const line of lines) {
    for (const tax of line.taxes) {
      const key = `${tax.code}|${tax.percent}`;
      const group = groups.get(key) ?? { code: tax.code, percent: tax.percent, taxable: new Dec(0), tax: new Dec(0) };
      group.taxable = group.taxable.plus(tax.taxableAmount);
      group.tax = group.tax.plus(tax.taxAmount);
      groups.set(key, group);
    }
  }
  return [...groups.values()].map((g) => ({
    code: g.code,
    percent: g.percent,
    taxableAmount: formatFixed(g.taxable, decimals),
    taxAmount: formatFixed(g.tax, decimals),
  }));
}

/** A document-level charge or allowance: non-negative, rounded half-up to the currency. */
function documentAmount(raw: string, path: string, decimals: number): string {
  const amount = parseDecimal(raw, path);
  if (amount.isNegative()) {
    throw new DomainError(path, `must not be negative (got ${raw}); an allowance lowers and a charge raises the payable amount`);
  }
  return formatFixed(amount, decimals);
}

/** The first schema issue as a DomainError whose path reads like `lines[2].quantity`. */
function draftError(error: z.ZodError): DomainError {
  const [first, ...rest] = error.issues;
  if (!first) return new DomainError('', 'the draft document is not valid');
  const path = first.path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'} in the draft)` : '';
  return new DomainError(path, `${first.message}${more}`);
}
