/**
 * The WooCommerce stage-1 mappings: chosen for WooCommerce events, their golden fixtures pass, and —
 * checked independently of the expected files — the documents the domain computes from the orders
 * the sandbox builds come to exactly what WooCommerce charged and refunded, in every country's taxes.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TAX_ID_META_KEYS, DEFAULT_TAX_ID_TYPE_META_KEYS } from '../../connectors/woocommerce/config.js';
import { withRefundAmounts } from '../../connectors/woocommerce/amounts.js';
import { orderPayload } from '../../connectors/woocommerce/events.js';
import { buildOrder, buildRefund, type OrderSpec, type TaxRate } from '../../connectors/woocommerce/sandbox/orders.js';
import { FiscalDocumentDraft } from '../../src/domain/fiscal-document.js';
import { normalizeIdentification } from '../../src/domain/identifiers.js';
import { computeDocument } from '../../src/domain/totals.js';
import { formatGoldenResult, loadMappingDirectory, runGoldenTests } from '../../src/mapping/index.js';
import { CONSUMER_ORDER, NIT_ORDER } from './samples.js';

const registry = await loadMappingDirectory(new URL('../../mappings', import.meta.url).pathname);
const invoice = registry.forSource('woocommerce', 'order.paid', 'invoice')!;
const credit = registry.forSource('woocommerce', 'order.refunded', 'credit_note')!;
const KEYS = { source: 'woocommerce:tienda.example', paidStatuses: ['processing'], topic: 'sweep', taxIdMetaKeys: [...DEFAULT_TAX_ID_META_KEYS], taxIdTypeMetaKeys: [...DEFAULT_TAX_ID_TYPE_META_KEYS] };
const ISSUED_AT = '2026-11-20T14:03:20-05:00';

async function computed(mapping: typeof invoice, input: unknown, country = 'CO') {
  const draft = (await mapping.run(input)) as FiscalDocumentDraft;
  const identification = normalizeIdentification(country as 'CO', draft.buyer.identification.number, draft.buyer.identification.type);
  return computeDocument(FiscalDocumentDraft.parse({ ...draft, buyer: { ...draft.buyer, identification } }));
}

const invoiceInput = (spec: OrderSpec, country = 'CO') => ({ order: orderPayload(buildOrder(spec), KEYS), issuedAt: ISSUED_AT, shop: 'tienda.example', country });

describe('WooCommerce mappings', () => {
  it('are the ones chosen for WooCommerce events, without warnings, and their golden fixtures pass', async () => {
    expect([invoice?.id, credit?.id]).toEqual(['woocommerce-order-invoice', 'woocommerce-refund-credit-note']);
    for (const mapping of [invoice, credit]) {
      expect(mapping.warnings ?? []).toEqual([]);
      const results = await runGoldenTests(mapping, {
        validate: (output) => {
          const parsed = FiscalDocumentDraft.safeParse(output);
          if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
          computeDocument(parsed.data);
          return [];
        },
      });
      expect(results.length).toBeGreaterThan(1);
      expect(results.filter((r) => !r.passed).map(formatGoldenResult)).toEqual([]);
    }
  });

  it.each(['paid-order-nit-coupon', 'paid-order-final-consumer', 'paid-order-company-id'])(
    '%s: the computed invoice comes to WooCommerce\'s total and total tax',
    async (name) => {
      const input = JSON.parse(await readFile(new URL(`../../mappings/woocommerce/fixtures/${name}.input.json`, import.meta.url), 'utf8'));
      const document = await computed(invoice, input);
      expect([document.totals.taxTotal, document.totals.payableAmount]).toEqual([input.order.total_tax, input.order.total]);
      expect(document.orderRef).toEqual({ source: 'woocommerce:tienda.example', orderId: String(input.order.id), orderName: input.order.number });
    },
  );

  it('the coupon becomes each line\'s discount, shipping and fees are lines of their own', async () => {
    const document = await computed(invoice, invoiceInput(NIT_ORDER));
    expect(document.lines.map((l) => [l.kind, l.grossAmount, l.discountAmount, l.lineExtensionAmount, l.taxes.map((t) => t.percent)])).toEqual([
      ['item', '100672.26', '10067.23', '90605.03', ['19.00']],
      ['item', '85714.29', '8571.43', '77142.86', ['5.00']],
      ['shipping', '12000.00', '0.00', '12000.00', ['19.00']],
      ['fee', '2500.00', '0.00', '2500.00', ['19.00']],
    ]);
    expect(document.buyer.identification).toEqual({ type: 'NIT', number: '900123456', checkDigit: '8' });
  });

  it.each([
    ['VE', { id: 7, percent: 16, label: 'IVA', code: 'VE-IVA-1' }, 'VES', '16.00'],
    ['PY', { id: 8, percent: 10, label: 'IVA 10%', code: 'PY-IVA 10%-1' }, 'PYG', '10.00'],
  ] as const)('%s: the tax is named for the connection\'s country', async (country, rate: TaxRate, currency, percent) => {
    const spec: OrderSpec = { ...CONSUMER_ORDER, currency, items: [{ ...CONSUMER_ORDER.items[0]!, tax: rate }], billing: { ...CONSUMER_ORDER.billing, country } };
    const document = await computed(invoice, invoiceInput(spec, country), country);
    expect(document.taxSummary.map((t) => [t.code, t.percent])).toEqual([['IVA', percent]]);
    expect(document.buyer.identification.type).toBe('FINAL_CONSUMER');
  });

  it('a tax rate the table does not know stops the document, naming the key to add', async () => {
    const spec: OrderSpec = { ...CONSUMER_ORDER, items: [{ ...CONSUMER_ORDER.items[0]!, tax: { id: 9, percent: 12, label: 'IVA 12%', code: 'CO-IVA-12' } }] };
    await expect(invoice.run(invoiceInput(spec))).rejects.toThrow(/CO:12/);
  });

  it('a declared document type wins over the shape of the number', async () => {
    const cc = { ...NIT_ORDER, meta: [{ key: '_billing_type_document', value: '13' }, { key: '_billing_dni', value: '900123456' }] };
    const draft = (await invoice.run(invoiceInput(cc))) as FiscalDocumentDraft;
    expect([draft.buyer.identification, draft.buyer.kind]).toEqual([{ type: 'CC', number: '900123456' }, 'person']);
    const undeclared = { ...NIT_ORDER, meta: [{ key: '_billing_dni', value: '900123456' }] };
    expect(((await invoice.run(invoiceInput(undeclared))) as FiscalDocumentDraft).buyer.identification.type).toBe('NIT');
  });

  it('a refund\'s credit note comes to the refunded amount, its lines pointing at the invoiced lines', async () => {
    const order = buildOrder(NIT_ORDER);
    const refund = buildRefund(order, {
      id: 4850,
      createdAt: '2026-11-22T15:30:00',
      lines: [
        { itemId: order.line_items[0]!.id, quantity: 1 },
        { itemId: order.line_items[1]!.id, quantity: 2 },
      ],
      shipping: '12000.00',
    });
    const input = { order: orderPayload(order, KEYS), refund: withRefundAmounts(refund), issuedAt: ISSUED_AT, shop: 'tienda.example', country: 'CO' };
    const document = await computed(credit, input);
    expect(document.totals.payableAmount).toBe(refund.amount);
    expect(document.lines.map((l) => [l.sourceLineId, l.quantity, l.lineExtensionAmount])).toEqual([
      [String(order.line_items[0]!.id), '1', '45302.52'],
      [String(order.line_items[1]!.id), '2', '51428.57'],
      [String(order.shipping_lines[0]!.id), '1', '12000.00'],
    ]);
    expect(document.correction?.code).toBe('partial_return');
  });

  it('money refunded without lines on a single-rate order gives back the tax it included', async () => {
    const input = JSON.parse(await readFile(new URL('../../mappings/woocommerce/fixtures/value-only-refund-single-rate.input.json', import.meta.url), 'utf8'));
    const document = await computed(credit, input);
    // The whole order refunded: the credit note reverses exactly the tax the invoice charged.
    expect([document.totals.taxTotal, document.totals.payableAmount]).toEqual([input.order.total_tax, input.order.total]);
    expect(document.correction?.code).toBe('discount');
  });
});
