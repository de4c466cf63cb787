/**
 * End to end, Venezuela through Unidigital: the real Puente server and a standalone Unidigital
 * sandbox, each in its own process on loopback. A VES Shopify store's signed webhooks — a paid order,
 * a partial refund, an order edit that raises the total — must give exactly one FA, one NC and one
 * ND at the imprenta, each with the amount the order, refund or raise came to, to the céntimo, the
 * notes citing the FA's Number, and each fiscal (a control number assigned) before Puente calls it
 * issued.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRefund, toShopifyJson } from '../../connectors/shopify/samples/index.js';
import { UNIDIGITAL_SANDBOX_TARGET_DEFAULTS } from '../../connectors/unidigital/sandbox/seed.js';
import { buildCountryOrder, VE_PAID_ORDER, VE_PARTIAL_REFUND, VE_SHOP } from './country-samples.js';
import { SECRET, startTargetRun, type TargetRun } from './target-run.js';

interface UnidigitalSandboxDocument {
  codeName: 'FA' | 'NC' | 'ND';
  number: number;
  status: string;
  controlNumber: number;
  controlNumberFormatted: string;
  currency: string;
  total: string;
  /** A JSON number in this view (the imprenta's), so compared through Decimal. */
  grandTotal: number;
  affectedDocumentNumber: number | null;
  systemReference: string | null;
}

// The discount code is left out here: the sample builder re-spreads an order discount over every
// line when a line is added, which a real order edit does not do.
const ORDER = { ...VE_PAID_ORDER, discount: undefined, id: 7300000000501n, orderNumber: 3501 };
const RAISED = { ...ORDER, lines: [...ORDER.lines, { ...ORDER.lines[1]!, id: 17300000000599n, quantity: 2 }] };

let run: TargetRun;

describe('a Venezuelan Shopify store issues through Unidigital, end to end', () => {
  beforeAll(async () => {
    const defaults = UNIDIGITAL_SANDBOX_TARGET_DEFAULTS;
    run = await startTargetRun({
      sandbox: 'unidigital',
      shop: VE_SHOP,
      // The imprenta assigns control numbers a minute after approval; the test's imprenta, at once.
      prepareSandbox: async (origin) => {
        const response = await fetch(`${origin}/_sandbox/settings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ controlNumberDelayMs: 0 }),
        });
        expect(response.status).toBe(200);
      },
      targetBlock: (baseUrl) =>
        [
          `    type: unidigital`,
          `    baseUrl: ${baseUrl}`,
          `    userName: ${defaults.userName}`,
          `    password: ${defaults.password}`,
          `    series: { strongId: ${defaults.series.strongId}, name: ${defaults.series.name} }`,
          `    batch: { maxDocuments: 10, lingerMs: 200 }`,
          `    statusPollMs: 200`,
        ].join('\n'),
      connection: 'country: VE, timezone: America/Caracas',
    });
  }, 60_000);

  afterAll(async () => {
    await run?.stop();
  });

  it('a paid order, a partial refund and a raised total give one FA, one NC and one ND with the right amounts', async () => {
    const orderId = ORDER.id.toString();
    const before = buildCountryOrder(ORDER, 'VE') as { total_price: string };
    const after = buildCountryOrder(RAISED, 'VE') as { total_price: string };
    const refund = buildRefund(ORDER, VE_PARTIAL_REFUND) as { transactions: { amount: string }[] };

    expect(await run.deliver('orders/paid', toShopifyJson(buildCountryOrder(ORDER, 'VE')), 've-paid')).toBe(200);
    const invoice = await run.issued(orderId, 'invoice');
    expect(await run.deliver('refunds/create', toShopifyJson(refund as never), 've-refund')).toBe(200);
    const credit = await run.issued(orderId, 'credit_note');
    expect(await run.deliver('orders/updated', toShopifyJson(buildCountryOrder(RAISED, 'VE')), 've-raised')).toBe(200);
    const debit = await run.issued(orderId, 'debit_note');

    const atImprenta = await run.sandboxDocuments<UnidigitalSandboxDocument>();
    const ofType = (type: string) => atImprenta.filter((d) => d.codeName === type);
    expect(atImprenta.map((d) => d.codeName).sort()).toEqual(['FA', 'NC', 'ND']);
    const [fa] = ofType('FA');
    const [nc] = ofType('NC');
    const [nd] = ofType('ND');

    const bs = (value: string) => new Decimal(value).toFixed(2);
    // VES, paid in bolívares: no IGTF, GrandTotal = Total.
    for (const document of [fa!, nc!, nd!]) {
      expect(document.currency).toBe('VES');
      expect(new Decimal(document.grandTotal).equals(document.total)).toBe(true);
      // Fiscal only with a control number; Puente reported it issued with that number.
      expect(document.controlNumber).toBeGreaterThan(0);
    }
    expect(bs(fa!.total)).toBe(bs(before.total_price));
    expect(bs(nc!.total)).toBe(bs(refund.transactions[0]!.amount));
    expect(bs(nd!.total)).toBe(new Decimal(after.total_price).minus(before.total_price).toFixed(2));
    // Each of Puente's documents agrees with the imprenta: FA/NC/ND-<Number>, control number as uuid.
    expect(fa!.number).toBe(1);
    expect([invoice.result?.fiscalNumber, credit.result?.fiscalNumber, debit.result?.fiscalNumber]).toEqual(['FA-1', 'NC-1', 'ND-1']);
    expect([invoice.result?.uuid, credit.result?.uuid, debit.result?.uuid]).toEqual([fa!.controlNumberFormatted, nc!.controlNumberFormatted, nd!.controlNumberFormatted]);
    // SystemReference carries Puente's idempotency key, one per legal document.
    expect(new Set(atImprenta.map((d) => d.systemReference)).size).toBe(3);
    for (const document of atImprenta) expect(document.systemReference).toMatch(/^puente:/);
    // The notes cite the invoice's Number.
    expect(nc!.affectedDocumentNumber).toBe(fa!.number);
    expect(nd!.affectedDocumentNumber).toBe(fa!.number);
    expect(credit.referenceDocumentId).toBe(invoice.id);
    expect(debit.referenceDocumentId).toBe(invoice.id);
  }, 90_000);

  it('never writes the secrets or the buyer\'s data to its log', () => {
    const log = run.puente.output();
    for (const secret of [SECRET, UNIDIGITAL_SANDBOX_TARGET_DEFAULTS.password, 'compras@elsaman.example', '31234567']) {
      expect(log).not.toContain(secret);
    }
  });
});
