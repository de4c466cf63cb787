/**
 * End to end, Venezuela through tuimprenta.digital: the real Puente server and a standalone
 * tuimprenta sandbox, each in its own process on loopback. A VES Shopify store's signed webhooks — a
 * paid order, a partial refund, an order edit that raises the total — must give exactly one invoice,
 * one credit note and one debit note at the imprenta (which numbers them and assigns control
 * numbers), each with the amount the order, refund or raise came to, to the céntimo, and the notes
 * citing the invoice by its control number and number.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRefund, toShopifyJson } from '../../connectors/shopify/samples/index.js';
import { TUIMPRENTA_SANDBOX_API_KEY, TUIMPRENTA_SANDBOX_WEBHOOK_SECRET } from '../../connectors/tuimprenta/sandbox/seed.js';
import { buildCountryOrder, VE_PAID_ORDER, VE_PARTIAL_REFUND, VE_SHOP } from './country-samples.js';
import { SECRET, startTargetRun, type TargetRun } from './target-run.js';

interface TuimprentaSandboxDocument {
  id: string;
  document_type: 'invoice' | 'credit_note' | 'debit_note';
  series: string;
  number: string;
  control_number: string | null;
  status: string;
  currency: string;
  totals: { total: string };
  igtf: string | null;
  grand_total: string;
  related_invoice: { id: string; control_number: string; number: string; issue_date: string } | null;
  metadata: { puente_idempotency_key?: string };
}

// The discount code is left out here: the sample builder re-spreads an order discount over every
// line when a line is added, which a real order edit does not do.
const ORDER = { ...VE_PAID_ORDER, discount: undefined, id: 7300000000601n, orderNumber: 3601 };
const RAISED = { ...ORDER, lines: [...ORDER.lines, { ...ORDER.lines[1]!, id: 17300000000699n, quantity: 2 }] };

let run: TargetRun;

describe('a Venezuelan Shopify store issues through tuimprenta.digital, end to end', () => {
  beforeAll(async () => {
    run = await startTargetRun({
      sandbox: 'tuimprenta',
      shop: VE_SHOP,
      targetBlock: (baseUrl) =>
        [
          `    type: tuimprenta`,
          `    baseUrl: ${baseUrl}`,
          `    apiKey: ${TUIMPRENTA_SANDBOX_API_KEY}`,
          `    webhookSecret: ${TUIMPRENTA_SANDBOX_WEBHOOK_SECRET}`,
          `    requestsPerMinute: 600`,
          `    batch: { maxDocuments: 10, lingerMs: 200 }`,
          `    statusPollMs: 200`,
        ].join('\n'),
      connection: 'country: VE, timezone: America/Caracas, targetSettings: { series: A }',
    });
  }, 60_000);

  afterAll(async () => {
    await run?.stop();
  });

  it('a paid order, a partial refund and a raised total give one invoice, one credit note and one debit note with the right amounts', async () => {
    const orderId = ORDER.id.toString();
    const before = buildCountryOrder(ORDER, 'VE') as { total_price: string };
    const after = buildCountryOrder(RAISED, 'VE') as { total_price: string };
    const refund = buildRefund(ORDER, VE_PARTIAL_REFUND) as { transactions: { amount: string }[] };

    expect(await run.deliver('orders/paid', toShopifyJson(buildCountryOrder(ORDER, 'VE')), 'tu-paid')).toBe(200);
    const invoice = await run.issued(orderId, 'invoice');
    expect(await run.deliver('refunds/create', toShopifyJson(refund as never), 'tu-refund')).toBe(200);
    const credit = await run.issued(orderId, 'credit_note');
    expect(await run.deliver('orders/updated', toShopifyJson(buildCountryOrder(RAISED, 'VE')), 'tu-raised')).toBe(200);
    const debit = await run.issued(orderId, 'debit_note');

    const atImprenta = await run.sandboxDocuments<TuimprentaSandboxDocument>();
    expect(atImprenta.map((d) => d.document_type).sort()).toEqual(['credit_note', 'debit_note', 'invoice']);
    const byType = (type: string) => atImprenta.find((d) => d.document_type === type)!;
    const [fa, nc, nd] = [byType('invoice'), byType('credit_note'), byType('debit_note')];

    const bs = (value: string) => new Decimal(value).toFixed(2);
    for (const document of [fa, nc, nd]) {
      expect(document.currency).toBe('VES');
      expect(document.control_number).toMatch(/^00-\d{8}$/);
      // Paid in bolívares: no IGTF, so the grand total is the document total.
      expect(bs(document.grand_total)).toBe(bs(document.totals.total));
    }
    expect(bs(fa.totals.total)).toBe(bs(before.total_price));
    expect(bs(nc.totals.total)).toBe(bs(refund.transactions[0]!.amount));
    expect(bs(nd.totals.total)).toBe(new Decimal(after.total_price).minus(before.total_price).toFixed(2));

    // The notes cite the invoice: its control number, number and date.
    for (const note of [nc, nd]) {
      expect(note.related_invoice).toMatchObject({ id: fa.id, control_number: fa.control_number, number: fa.number });
    }
    // Puente's records agree with the imprenta: series-number (notes marked) and control number.
    expect(invoice.result).toMatchObject({ fiscalNumber: `A-${fa.number}`, uuid: fa.control_number });
    expect(credit.result).toMatchObject({ fiscalNumber: `NC-A-${nc.number}`, uuid: nc.control_number });
    expect(debit.result).toMatchObject({ fiscalNumber: `ND-A-${nd.number}`, uuid: nd.control_number });
    expect([credit.referenceDocumentId, debit.referenceDocumentId]).toEqual([invoice.id, invoice.id]);
    // One idempotency key per legal document.
    expect(new Set(atImprenta.map((d) => d.metadata.puente_idempotency_key)).size).toBe(3);
  }, 90_000);

  it('never writes the secrets or the buyer\'s data to its log', () => {
    const log = run.puente.output();
    for (const secret of [SECRET, TUIMPRENTA_SANDBOX_API_KEY, TUIMPRENTA_SANDBOX_WEBHOOK_SECRET, 'compras@elsaman.example', '31234567']) {
      expect(log).not.toContain(secret);
    }
  });
});
