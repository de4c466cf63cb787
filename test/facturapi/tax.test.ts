/**
 * SIFEN's item formulas and totals (connectors/facturapi/tax.ts) on hand-checked PYG examples, and
 * where they agree — and disagree — with Puente's FiscalDocument (src/domain/totals.ts).
 * Every expected number below was worked out by hand from the formulas in tax.ts' header.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeSifenAmounts, formatTotals, totalsMismatches, type SifenItemInput } from '../../connectors/facturapi/tax.js';
import { computeDocument } from '../../src/domain/totals.js';

const gravado10 = (precioUnitario: string, cantidad = '1', extra: Partial<SifenItemInput> = {}): SifenItemInput => ({ cantidad, precioUnitario, ivaTipo: 1, ivaProporcion: '100', iva: '10', ...extra });
const gravado5 = (precioUnitario: string, cantidad = '1'): SifenItemInput => ({ cantidad, precioUnitario, ivaTipo: 1, ivaProporcion: '100', iva: '5' });
const exento = (precioUnitario: string, cantidad = '1'): SifenItemInput => ({ cantidad, precioUnitario, ivaTipo: 3, ivaProporcion: '0', iva: '0' });

describe('SIFEN per-item formulas (NT13) in guaraníes', () => {
  it('one item at 10 %: 150.000 Gs → base 136.363,63636364 and IVA 13.636,36363636 kept at 8 decimals, totals rounded once', () => {
    const amounts = computeSifenAmounts({ tipoImpuesto: 1, items: [gravado10('150000')] });
    const item = amounts.items[0]!;
    expect(item.dTotOpeItem.toFixed()).toBe('150000');
    // 100 × 150000 × 100 / (10000 + 10 × 100) = 1 500 000 000 / 11 000
    expect(item.dBasGravIVA.toFixed()).toBe('136363.63636364');
    // 136363.63636364 × 10 / 100 = 13636.363636364 → 8 decimals
    expect(item.dLiqIVAItem.toFixed()).toBe('13636.36363636');
    expect(formatTotals(amounts)).toMatchObject({ dSub10: '150000', dTotOpe: '150000', dIVA10: '13636', dBaseGrav10: '136364', dTotIVA: '13636', dTBasGraIVA: '136364', dRedon: '0', dTotGralOpe: '150000' });
  });

  it('5 % and exento: 105.000 Gs at 5 % is base 100.000 + IVA 5.000; 2 × 20.000 exento is dSubExe 40.000', () => {
    const totals = formatTotals(computeSifenAmounts({ tipoImpuesto: 1, items: [gravado5('105000'), exento('20000', '2')] }));
    expect(totals).toMatchObject({ dSub5: '105000', dIVA5: '5000', dBaseGrav5: '100000', dSubExe: '40000', dSub10: '0', dTotOpe: '145000', dTotIVA: '5000' });
  });

  it('a per-unit discount: (100.000 − 10.000) × 3 = 270.000 Gs, dTotDesc 30.000', () => {
    const totals = formatTotals(computeSifenAmounts({ tipoImpuesto: 1, items: [gravado10('100000', '3', { descuento: '10000' })] }));
    expect(totals).toMatchObject({ dTotOpe: '270000', dTotDesc: '30000', dSub10: '270000', dIVA10: '24545' }); // 270000/11 = 24545.45
  });

  it('ivaTipo 4 (gravado parcial, 50 %): 110.000 Gs → base 52.380,95 + IVA 5.238,10 at 10 %, exento 52.380,95', () => {
    const amounts = computeSifenAmounts({ tipoImpuesto: 1, items: [{ cantidad: 1, precioUnitario: 110000, ivaTipo: 4, ivaProporcion: 50, iva: 10 }] });
    const item = amounts.items[0]!;
    // divisor 10000 + 10 × 50 = 10500; 100 × 110000 × 50 / 10500 = 52380.952380952…
    expect(item.dBasGravIVA.toFixed()).toBe('52380.95238095');
    expect(item.dLiqIVAItem.toFixed()).toBe('5238.0952381');
    expect(item.dBasExe.toFixed()).toBe('52380.95238095');
    expect(formatTotals(amounts)).toMatchObject({ dSub10: '57619', dSubExe: '52381', dTotOpe: '110000', dIVA10: '5238', dBaseGrav10: '52381' });
  });

  it('a global discount is shared by weight and kept at 8 decimals: 100.000 + 50.000 − 15.000 = 135.000', () => {
    const amounts = computeSifenAmounts({ tipoImpuesto: 1, descuentoGlobal: '15000', items: [gravado10('100000'), gravado10('50000')] });
    expect(amounts.items.map((i) => i.dDescGloItem.toFixed())).toEqual(['10000', '5000']);
    // IVA: 90000/11 + 45000/11 = 8181.81818182 + 4090.90909091 = 12272.72727273 → 12273
    expect(formatTotals(amounts)).toMatchObject({ dTotOpe: '135000', dTotDescGlotem: '15000', dIVA10: '12273' });
  });

  it('SEDECO rounding: the total payable goes down to a multiple of 50 Gs (59.920 → 59.900, 59.980 → 59.950)', () => {
    expect(formatTotals(computeSifenAmounts({ items: [gravado10('59920')] }))).toMatchObject({ dTotOpe: '59920', dRedon: '20', dTotGralOpe: '59900' });
    expect(formatTotals(computeSifenAmounts({ items: [gravado10('59980')] }))).toMatchObject({ dTotOpe: '59980', dRedon: '30', dTotGralOpe: '59950' });
    expect(formatTotals(computeSifenAmounts({ items: [gravado10('59980')] }, { redondeoSedeco: false }))).toMatchObject({ dRedon: '0', dTotGralOpe: '59980' });
  });

  it('other currencies keep 2 decimals and no SEDECO rounding', () => {
    const totals = formatTotals(computeSifenAmounts({ moneda: 'USD', items: [gravado10('19.99', '3')] }));
    expect(totals).toMatchObject({ dTotOpe: '59.97', dIVA10: '5.45', dRedon: '0.00', dTotGralOpe: '59.97' }); // 59.97/11 = 5.4518
  });

  it('reports which expected totals SIFEN would not reproduce', () => {
    const amounts = computeSifenAmounts({ items: [gravado10('150000'), gravado10('150000')] });
    expect(totalsMismatches(amounts, { dTotOpe: '300000', dIVA10: '27272' })).toEqual([{ field: 'dIVA10', expected: '27272', computed: '27273' }]);
    expect(totalsMismatches(amounts, { dTotOpe: '300000.00' })).toEqual([]);
  });
});

describe('SIFEN against the FiscalDocument (src/domain/totals.ts) in PYG', () => {
  const draft = (prices: string[], rate: string) =>
    computeDocument({
      kind: 'invoice',
      issuedAt: '2026-11-22T10:15:04-03:00',
      currency: 'PYG',
      buyer: { name: 'Sin Nombre', identification: { type: 'FINAL_CONSUMER', number: '44444401' } },
      lines: prices.map((unitPrice, i) => ({ code: `SKU-${i}`, description: `Item ${i}`, quantity: '1', unitPrice, priceIncludesTax: true, taxes: [{ code: 'IVA', percent: rate }] })),
      orderRef: { source: 'shopify:tienda.myshopify.com', orderId: '1' },
    });

  it('one line: the domain and SIFEN agree on total, base and IVA to the guaraní', () => {
    const doc = draft(['150000'], '10');
    const sifen = formatTotals(computeSifenAmounts({ items: [gravado10('150000')] }));
    expect(doc.totals.payableAmount).toBe(sifen.dTotOpe);
    expect(doc.taxSummary[0]).toMatchObject({ taxableAmount: sifen.dBaseGrav10, taxAmount: sifen.dIVA10 });
  });

  it('two lines of 150.000 Gs at 10 %: same total, but the domain says IVA 27.272 and SIFEN 27.273 (per-line vs per-document rounding)', () => {
    const doc = draft(['150000', '150000'], '10');
    const sifen = formatTotals(computeSifenAmounts({ items: [gravado10('150000'), gravado10('150000')] }));
    expect(doc.totals.payableAmount).toBe('300000');
    expect(sifen.dTotOpe).toBe('300000');
    expect(doc.taxSummary[0]).toMatchObject({ taxableAmount: '272728', taxAmount: '27272' });
    expect(sifen).toMatchObject({ dBaseGrav10: '272727', dIVA10: '27273' });
  });

  it('for undiscounted IVA-inclusive lines the total always agrees, and IVA differs by at most ⌊n/2⌋ Gs for n lines', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 12 }), fc.constantFrom('5', '10'), (prices, rate) => {
        const texts = prices.map(String);
        const doc = draft(texts, rate);
        const sifen = computeSifenAmounts({ items: texts.map((p) => ({ cantidad: '1', precioUnitario: p, ivaTipo: 1, ivaProporcion: '100', iva: rate })) });
        const iva = rate === '10' ? sifen.totals.dIVA10 : sifen.totals.dIVA5;
        const base = rate === '10' ? sifen.totals.dBaseGrav10 : sifen.totals.dBaseGrav5;
        const difference = iva.minus(doc.taxSummary[0]!.taxAmount).abs().toNumber();
        return (
          sifen.totals.dTotOpe.eq(doc.totals.payableAmount) &&
          base.plus(iva).eq(doc.totals.payableAmount) &&
          difference <= Math.floor(prices.length / 2)
        );
      }),
    );
  });
});
