/**
 * Property tests: for any draft, the computed document reconciles exactly, every amount carries the
 * currency's decimals, line amounts match an independent decimal.js oracle, and a tax-inclusive
 * line comes to exactly what the buyer was charged.
 */
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FiscalDocument, FiscalDocumentDraftInput } from '../../src/domain/fiscal-document.js';
import { computeDocument } from '../../src/domain/totals.js';

// The oracle uses its own decimal.js clone, not the code under test.
const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -100, toExpPos: 100 });
type D = InstanceType<typeof D>;
const sum = (values: Array<string | D>) => values.reduce<D>((acc, v) => acc.plus(v), new D(0));
const DECIMALS: Record<string, number> = { COP: 2, USD: 2, VES: 2, PYG: 0 };
const RATES = ['0', '5', '8', '16', '19'] as const;

type LineInput = FiscalDocumentDraftInput['lines'][number];

/** A decimal string from an integer count of 10^−scale units: (12345, 3) → "12.345". */
const scaled = (units: number, scale: number) => new D(units).div(new D(10).pow(scale)).toFixed(scale);

const lineArb = fc
  .record({
    qtyUnits: fc.integer({ min: 1, max: 5_000_000 }),
    qtyScale: fc.integer({ min: 0, max: 3 }),
    priceUnits: fc.integer({ min: 0, max: 2_000_000_000 }),
    priceScale: fc.integer({ min: 0, max: 4 }),
    iva: fc.option(fc.constantFrom(...RATES), { nil: undefined }),
    inc: fc.option(fc.constantFrom(...RATES), { nil: undefined }),
    priceIncludesTax: fc.boolean(),
    freeOfCharge: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    discountMode: fc.constantFrom('none', 'discounts', 'netAmount'),
    // Shares of the stated line value, in thousandths.
    discountShares: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 3 }),
    netShare: fc.integer({ min: 0, max: 1000 }),
  })
  .map((r): LineInput => {
    const quantity = scaled(r.qtyUnits, r.qtyScale);
    const unitPrice = scaled(r.priceUnits, r.priceScale);
    const stated = new D(quantity).times(unitPrice);
    const taxes = [
      ...(r.iva !== undefined ? [{ code: 'IVA', percent: r.iva }] : []),
      ...(r.inc !== undefined ? [{ code: 'INC', percent: r.inc }] : []),
    ];
    const base: LineInput = {
      code: 'SKU',
      description: 'Producto',
      quantity,
      unitPrice,
      priceIncludesTax: r.priceIncludesTax,
      freeOfCharge: r.freeOfCharge,
      taxes,
    };
    if (r.discountMode === 'discounts') {
      const total = r.discountShares.reduce((a, b) => a + b, 0);
      const shares = total > 1000 ? r.discountShares.map((s) => Math.floor((s * 1000) / total)) : r.discountShares;
      // Truncating keeps Σ discounts ≤ stated.
      base.discounts = shares.map((s) => ({ amount: stated.times(s).div(1000).toDecimalPlaces(4, Decimal.ROUND_DOWN).toFixed() }));
    } else if (r.discountMode === 'netAmount') {
      base.netAmount = stated.times(r.netShare).div(1000).toDecimalPlaces(4, Decimal.ROUND_DOWN).toFixed();
    }
    return base;
  });

const amountArb = fc
  .record({ units: fc.integer({ min: 0, max: 50_000_000 }), scale: fc.integer({ min: 0, max: 2 }) })
  .map(({ units, scale }) => scaled(units, scale));

const draftArb = fc
  .record({
    currency: fc.constantFrom('COP', 'USD', 'VES', 'PYG'),
    lines: fc.array(lineArb, { minLength: 1, maxLength: 30 }),
    charges: fc.array(amountArb, { maxLength: 3 }),
    // Allowances as thousandths of what is due before them, so the payable amount stays ≥ 0.
    allowanceShares: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
  })
  .map(({ currency, lines, charges, allowanceShares }) => {
    const draft: FiscalDocumentDraftInput = {
      kind: 'invoice',
      issuedAt: '2026-11-20T14:03:00-05:00',
      currency,
      buyer: { name: 'Comprador', identification: { type: 'FINAL_CONSUMER', number: '222222222222' } },
      orderRef: { source: 'shopify:acme.myshopify.com', orderId: '1' },
      lines,
      charges: charges.map((amount, i) => ({ reason: `cargo ${i}`, amount })),
    };
    const due = new D(computeDocument(draft).totals.payableAmount);
    const total = allowanceShares.reduce((a, b) => a + b, 0);
    const shares = total > 1000 ? allowanceShares.map((s) => Math.floor((s * 1000) / total)) : allowanceShares;
    draft.allowances = shares.map((s, i) => ({
      reason: `descuento ${i}`,
      amount: due.times(s).div(1000).toDecimalPlaces(DECIMALS[currency]!, Decimal.ROUND_DOWN).toFixed(),
    }));
    return draft;
  });

function amountsOf(doc: FiscalDocument): string[] {
  return [
    ...doc.lines.flatMap((l) => [
      l.grossAmount,
      l.discountAmount,
      l.lineExtensionAmount,
      l.taxAmount,
      ...l.taxes.flatMap((t) => [t.taxableAmount, t.taxAmount]),
    ]),
    ...doc.taxSummary.flatMap((t) => [t.taxableAmount, t.taxAmount]),
    ...Object.values(doc.totals),
    ...doc.charges.map((c) => c.amount),
    ...doc.allowances.map((a) => a.amount),
  ];
}

const RUNS = { numRuns: 200 };
// Generous: up to 30-line documents, several hundred times, on a shared CI machine.
const SLOW = 60_000;

describe('computeDocument properties', () => {
  it('reconciles every total exactly', () => {
    fc.assert(
      fc.property(draftArb, (draft) => {
        const doc = computeDocument(draft);
        const t = doc.totals;
        const lineTaxes = sum(doc.lines.map((l) => l.taxAmount));
        expect(new D(t.lineExtensionAmount).equals(sum(doc.lines.map((l) => l.lineExtensionAmount)))).toBe(true);
        expect(new D(t.taxTotal).equals(lineTaxes)).toBe(true);
        expect(new D(t.taxTotal).equals(sum(doc.taxSummary.map((s) => s.taxAmount)))).toBe(true);
        expect(sum(doc.taxSummary.map((s) => s.taxableAmount)).equals(sum(doc.lines.flatMap((l) => l.taxes.map((x) => x.taxableAmount))))).toBe(true);
        expect(new D(t.taxExclusiveAmount).equals(sum(doc.lines.filter((l) => l.taxes.length > 0).map((l) => l.lineExtensionAmount)))).toBe(true);
        expect(new D(t.taxInclusiveAmount).equals(new D(t.lineExtensionAmount).plus(t.taxTotal))).toBe(true);
        expect(new D(t.allowanceTotalAmount).equals(sum(doc.allowances.map((a) => a.amount)))).toBe(true);
        expect(new D(t.chargeTotalAmount).equals(sum(doc.charges.map((c) => c.amount)))).toBe(true);
        expect(new D(t.payableAmount).equals(new D(t.taxInclusiveAmount).minus(t.allowanceTotalAmount).plus(t.chargeTotalAmount))).toBe(true);
        expect(new D(t.payableAmount).isNegative()).toBe(false);
        for (const line of doc.lines) {
          expect(new D(line.taxAmount).equals(sum(line.taxes.map((x) => x.taxAmount)))).toBe(true);
        }
      }),
      RUNS,
    );
  }, SLOW);

  it('states what one unit was charged: (line extension + tax) / quantity, half-up to 8 decimals, which multiplies back to the charge', () => {
    fc.assert(
      fc.property(draftArb, (draft) => {
        const doc = computeDocument(draft);
        const decimals = DECIMALS[draft.currency]!;
        for (const line of doc.lines) {
          const charged = new D(line.lineExtensionAmount).plus(line.taxAmount);
          const quantity = new D(line.quantity);
          const expected = charged.div(quantity).toDecimalPlaces(8, D.ROUND_HALF_UP);
          expect(new D(line.chargedUnitPrice).equals(expected)).toBe(true);
          expect(line.chargedUnitPrice).toMatch(/^\d+(\.\d{1,8})?$/);
          expect(line.chargedUnitPrice.split('.')[1]?.length ?? 0).toBeGreaterThanOrEqual(decimals);
          // Exact round trip whenever the 8-decimal error, times the quantity, stays under half a minor unit.
          if (quantity.lt(new D(10).pow(8 - decimals))) {
            expect(new D(line.chargedUnitPrice).times(quantity).toDecimalPlaces(decimals, D.ROUND_HALF_UP).equals(charged)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  }, SLOW);

  it('writes every amount with exactly the currency decimals, and no number with an exponent', () => {
    fc.assert(
      fc.property(draftArb, (draft) => {
        const doc = computeDocument(draft);
        const decimals = DECIMALS[draft.currency]!;
        const amount = decimals === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${decimals}}$`);
        for (const value of amountsOf(doc)) expect(value).toMatch(amount);
        for (const line of doc.lines) {
          // Not amounts, but still plain decimals with bounded precision.
          expect(line.netUnitPrice).toMatch(/^\d+\.\d+$|^\d+$/);
          const places = line.netUnitPrice.split('.')[1]?.length ?? 0;
          const intDigits = new D(line.quantity).trunc().isZero() ? 0 : new D(line.quantity).trunc().toFixed(0).length;
          expect(places).toBeGreaterThanOrEqual(decimals);
          expect(places).toBeLessThanOrEqual(line.priceIncludesTax ? Math.max(decimals, 2) + intDigits + 2 : Math.max(decimals, 4));
          for (const tax of line.taxes) expect(tax.percent).toMatch(/^\d+\.\d{2}$/);
        }
        expect(JSON.stringify([amountsOf(doc), doc.lines.map((l) => l.netUnitPrice)])).not.toMatch(/e/i);
      }),
      RUNS,
    );
  }, SLOW);

  it('matches an independent computation of every line', () => {
    fc.assert(
      fc.property(draftArb, (draft) => {
        const doc = computeDocument(draft);
        const decimals = DECIMALS[draft.currency]!;
        const round = (v: D) => v.toDecimalPlaces(decimals, Decimal.ROUND_HALF_UP);
        doc.lines.forEach((line, i) => {
          const input = draft.lines[i]!;
          const stated = new D(input.quantity).times(input.unitPrice);
          const factor = sum((input.taxes ?? []).map((t) => t.percent)).div(100).plus(1);
          const discount =
            input.netAmount !== undefined ? stated.minus(input.netAmount) : sum((input.discounts ?? []).map((d) => d.amount));
          // A tax-inclusive amount is rounded to the currency (what is charged) before the tax is taken out.
          const gross = input.priceIncludesTax ? round(round(stated).div(factor)) : round(stated);
          const extension = input.freeOfCharge
            ? new D(0)
            : input.priceIncludesTax
              ? round(round(stated.minus(discount)).div(factor))
              : round(stated.minus(discount));
          expect(line.grossAmount).toBe(gross.toFixed(decimals));
          expect(line.lineExtensionAmount).toBe(extension.toFixed(decimals));
          if (!input.freeOfCharge) {
            expect(new D(line.grossAmount).minus(line.discountAmount).equals(line.lineExtensionAmount)).toBe(true);
          } else {
            expect(line.discountAmount).toBe(new D(0).toFixed(decimals));
          }
          expect(new D(line.discountAmount).isNegative()).toBe(false);
          // price × quantity rounds back to the gross amount.
          expect(round(new D(line.netUnitPrice).times(line.quantity)).equals(line.grossAmount)).toBe(true);
          line.taxes.forEach((tax) => {
            expect(tax.taxableAmount).toBe(line.lineExtensionAmount);
            // Tax-inclusive lines may move a tax by one unit; see the next property.
            if (!input.priceIncludesTax || input.freeOfCharge) {
              expect(tax.taxAmount).toBe(round(new D(tax.taxableAmount).times(tax.percent).div(100)).toFixed(decimals));
            }
          });
        });
      }),
      RUNS,
    );
  }, SLOW);

  it('makes a tax-inclusive line come to exactly what was charged, each tax within one unit of base × rate', () => {
    fc.assert(
      fc.property(draftArb, (draft) => {
        const doc = computeDocument(draft);
        const decimals = DECIMALS[draft.currency]!;
        const unit = new D(10).pow(-decimals);
        const round = (v: D) => v.toDecimalPlaces(decimals, Decimal.ROUND_HALF_UP);
        doc.lines.forEach((line, i) => {
          const input = draft.lines[i]!;
          if (!input.priceIncludesTax || input.freeOfCharge) return;
          const stated = new D(input.quantity).times(input.unitPrice);
          const discount =
            input.netAmount !== undefined ? stated.minus(input.netAmount) : sum((input.discounts ?? []).map((d) => d.amount));
          const charged = round(stated.minus(discount));
          expect(new D(line.lineExtensionAmount).plus(line.taxAmount).equals(charged)).toBe(true);
          for (const tax of line.taxes) {
            const exact = new D(tax.taxableAmount).times(tax.percent).div(100);
            expect(new D(tax.taxAmount).minus(round(exact)).abs().lte(unit)).toBe(true);
            // The rates generated add up to at most 38 %, where the rule keeps every tax within one
            // unit of the exact product too: what a per-line tolerance check (FAX07) measures.
            expect(new D(tax.taxAmount).minus(exact).abs().lte(unit)).toBe(true);
            if (new D(tax.percent).isZero()) expect(new D(tax.taxAmount).isZero()).toBe(true);
            expect(new D(tax.taxAmount).isNegative()).toBe(false);
          }
        });
      }),
      RUNS,
    );
  }, SLOW);

  it('charges a document of tax-inclusive lines exactly the sum of what each line charged', () => {
    const inclusiveDraftArb = draftArb.map((draft) => ({
      ...draft,
      lines: draft.lines.map((l) => ({ ...l, priceIncludesTax: true, freeOfCharge: false })),
      charges: [],
      allowances: [],
    }));
    fc.assert(
      fc.property(inclusiveDraftArb, (draft) => {
        const doc = computeDocument(draft);
        const decimals = DECIMALS[draft.currency]!;
        const charged = sum(
          draft.lines.map((input) => {
            const stated = new D(input.quantity).times(input.unitPrice);
            const discount =
              input.netAmount !== undefined ? stated.minus(input.netAmount) : sum((input.discounts ?? []).map((d) => d.amount));
            return stated.minus(discount).toDecimalPlaces(decimals, Decimal.ROUND_HALF_UP);
          }),
        );
        expect(doc.totals.payableAmount).toBe(charged.toFixed(decimals));
      }),
      RUNS,
    );
  }, SLOW);

  it('is deterministic and leaves its input untouched', () => {
    fc.assert(
      fc.property(draftArb, (draft) => {
        const before = structuredClone(draft);
        const first = computeDocument(draft);
        const second = computeDocument(structuredClone(draft));
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
        expect(draft).toEqual(before);
      }),
      { numRuns: 100 },
    );
  }, SLOW);
});
