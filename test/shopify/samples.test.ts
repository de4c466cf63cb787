import { readFileSync } from 'node:fs';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { parseShopifyJson } from '../../connectors/shopify/payload-json.js';
import { createShopifyWebhookReceiver } from '../../connectors/shopify/webhook.js';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { demoOrder, sampleBodies, type SampleFileName } from '../../connectors/shopify/samples/index.js';

type Json = any;

function raw(name: SampleFileName): string {
  return readFileSync(new URL(`../../connectors/shopify/samples/${name}`, import.meta.url), 'utf8');
}
function load(name: SampleFileName): Json {
  return parseShopifyJson(raw(name));
}

const D = (value: string | number) => new Decimal(String(value));
const sum = (values: Decimal[]) => values.reduce((a, b) => a.plus(b), new Decimal(0));
const cents = (value: Decimal) => value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
const fixed = (value: Decimal) => value.toFixed(2);

/** DIAN DV, written out again here so that the samples are checked against an independent copy. */
function dianDv(nit: string): number {
  const weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  const total = [...nit].reverse().reduce((acc, digit, i) => acc + Number(digit) * weights[i]!, 0);
  const r = total % 11;
  return r <= 1 ? r : 11 - r;
}

function expectSetMatches(plain: string, set: Json) {
  expect(set.shop_money.amount).toBe(plain);
  expect(set.presentment_money.amount).toBe(plain);
}

/** Everything an invoice mapping relies on must add up to the cent. */
function expectOrderConsistent(order: Json) {
  expect(order.currency).toBe('COP');
  expect(order.taxes_included).toBe(false);
  const lines = order.line_items.map((line: Json) => {
    const gross = D(line.price).times(line.quantity);
    const discount = sum(line.discount_allocations.map((a: Json) => D(a.amount)));
    const net = gross.minus(discount);
    expect(line.tax_lines).toHaveLength(1);
    const tax = line.tax_lines[0];
    expect(fixed(D(tax.price))).toBe(fixed(cents(net.times(D(tax.rate)))));
    for (const a of line.discount_allocations) expectSetMatches(a.amount, a.amount_set);
    expectSetMatches(line.price, line.price_set);
    return { gross, discount, tax: D(tax.price), rate: D(tax.rate) };
  });
  const shipping = order.shipping_lines.map((s: Json) => {
    expect(s.tax_lines).toHaveLength(1);
    expect(fixed(D(s.tax_lines[0].price))).toBe(fixed(cents(D(s.price).times(D(s.tax_lines[0].rate)))));
    return { price: D(s.price), tax: D(s.tax_lines[0].price), rate: D(s.tax_lines[0].rate) };
  });

  const lineItemsTotal = sum(lines.map((l: Json) => l.gross));
  const discounts = sum(lines.map((l: Json) => l.discount));
  const shippingTotal = sum(shipping.map((s: Json) => s.price));
  const tax = sum([...lines, ...shipping].map((x: Json) => x.tax));

  expect(order.total_line_items_price).toBe(fixed(lineItemsTotal));
  expect(order.total_discounts).toBe(fixed(discounts));
  expect(order.subtotal_price).toBe(fixed(lineItemsTotal.minus(discounts)));
  expect(order.total_shipping_price_set.shop_money.amount).toBe(fixed(shippingTotal));
  expect(order.total_tax).toBe(fixed(tax));
  expect(order.total_price).toBe(fixed(lineItemsTotal.minus(discounts).plus(shippingTotal).plus(tax)));
  for (const field of ['subtotal_price', 'total_tax', 'total_price', 'total_discounts', 'total_line_items_price']) {
    expectSetMatches(order[field], order[`${field}_set`]);
  }

  // Order tax lines: one per rate, equal to the line and shipping taxes at that rate.
  for (const t of order.tax_lines) {
    const atRate = [...lines, ...shipping].filter((x: Json) => x.rate.equals(D(t.rate)));
    expect(t.price).toBe(fixed(sum(atRate.map((x: Json) => x.tax))));
  }
  expect(sum(order.tax_lines.map((t: Json) => D(t.price))).equals(tax)).toBe(true);

  // The discount code's amount is exactly what the allocations add up to.
  if (order.discount_applications.length > 0) {
    const [application] = order.discount_applications;
    expect(application).toMatchObject({ type: 'discount_code', value_type: 'fixed_amount', allocation_method: 'across' });
    expect(D(application.value).equals(discounts)).toBe(true);
    expect(D(order.discount_codes[0].amount).equals(discounts)).toBe(true);
  }
  return { lines, shipping, tax, total: D(order.total_price) };
}

describe('sample order-paid.json', () => {
  const order = load('order-paid.json');

  it('adds up to the cent: lines, discount allocations, taxes, shipping, totals', () => {
    const { lines } = expectOrderConsistent(order);
    expect(lines.map((l: Json) => l.rate.toString())).toEqual(['0.19', '0.05', '0']);
    expect(order.line_items[0].price).toBe('119000.00');
    expect(order.total_price).toBe('420660.42');
    expect(order.total_tax).toBe('49660.42');
    expect(order.subtotal_price).toBe('359000.00');
    expect(order.total_discounts).toBe('20000.00');
  });

  it('has the discount spread over all three lines, summing to the code amount', () => {
    const allocations = order.line_items.map((l: Json) => l.discount_allocations[0].amount);
    expect(allocations).toHaveLength(3);
    expect(fixed(sum(allocations.map(D)))).toBe(order.discount_codes[0].amount);
  });

  it('ships "Envío estándar" at 12000.00 with 19 % IVA', () => {
    expect(order.shipping_lines).toHaveLength(1);
    expect(order.shipping_lines[0]).toMatchObject({ title: 'Envío estándar', price: '12000.00' });
    expect(order.shipping_lines[0].tax_lines[0]).toMatchObject({ rate: 0.19, price: '2280.00' });
  });

  it('carries a NIT with a valid DIAN check digit in note_attributes, a Bogotá billing address, and was paid', () => {
    const nit = order.note_attributes.find((a: Json) => a.name === 'NIT')?.value as string;
    const [number, dv] = nit.split('-');
    expect(number).toBe('900373115');
    expect(Number(dv)).toBe(dianDv(number!));
    expect(order.billing_address).toMatchObject({ country_code: 'CO', city: 'Bogotá' });
    expect(order.financial_status).toBe('paid');
    expect(order.payment_gateway_names).toEqual(['shopify_payments']);
  });

  it('writes ids as bare 13+ digit numbers, as Shopify does, and text with Rails escapes', () => {
    const text = raw('order-paid.json');
    expect(text).toMatch(/^ {2}"id": 6123456789012,$/m);
    const idTokens = [...text.matchAll(/"(?:id|[a-z_]+_id)": (\d+)/g)].map((m) => m[1]!);
    expect(idTokens.length).toBeGreaterThan(10);
    const ownIds = idTokens.filter((id) => id !== '580111'); // app_id of the Online Store channel is a fixed small id
    expect(ownIds.every((id) => id.length >= 13)).toBe(true);
    expect(text).toContain('\\u0026utm_medium');
  });
});

describe('sample refund-partial.json', () => {
  const order = load('order-paid.json');
  const refund = load('refund-partial.json');
  const rawRefund = raw('refund-partial.json');

  it('refunds one headphone unit: discounted unit price and its tax, sent as JSON numbers', () => {
    expect(refund.order_id).toBe(order.id);
    expect(refund.refund_line_items).toHaveLength(1);
    const rli = refund.refund_line_items[0];
    const line = order.line_items.find((l: Json) => l.id === rli.line_item_id);
    expect(rli.quantity).toBe(1);
    const net = D(line.price).times(line.quantity).minus(D(line.discount_allocations[0].amount));
    expect(typeof rli.subtotal).toBe('number');
    expect(typeof rli.total_tax).toBe('number');
    expect(fixed(D(rli.subtotal))).toBe(fixed(cents(net.dividedBy(line.quantity))));
    expect(fixed(D(rli.total_tax))).toBe(fixed(cents(D(rli.subtotal).times(D(line.tax_lines[0].rate)))));
    expect(rli.subtotal_set.shop_money.amount).toBe(fixed(D(rli.subtotal)));
    expect(rli.total_tax_set.shop_money.amount).toBe(fixed(D(rli.total_tax)));
    expect(rawRefund).toMatch(/"subtotal": 112720\.32,/);
  });

  it('refunds the whole shipping line with its tax, and the transaction is the sum of it all', () => {
    const [shipping] = refund.refund_shipping_lines;
    expect(shipping.shipping_line_id).toBe(order.shipping_lines[0].id);
    expect(shipping.subtotal_amount_set.shop_money.amount).toBe(order.shipping_lines[0].price);
    expect(shipping.tax_amount_set.shop_money.amount).toBe(order.shipping_lines[0].tax_lines[0].price);
    const rli = refund.refund_line_items[0];
    const expected = D(rli.subtotal)
      .plus(D(rli.total_tax))
      .plus(D(shipping.subtotal_amount_set.shop_money.amount))
      .plus(D(shipping.tax_amount_set.shop_money.amount));
    expect(refund.transactions).toHaveLength(1);
    expect(refund.transactions[0]).toMatchObject({ kind: 'refund', status: 'success', gateway: 'shopify_payments' });
    expect(refund.transactions[0].amount).toBe(fixed(expected));
    expect(refund.transactions[0].amount).toBe('148417.18');
  });
});

describe('sample order-cancelled.json', () => {
  const paid = load('order-paid.json');
  const cancelled = load('order-cancelled.json');

  it('is the same order, cancelled by the customer, with its original totals', () => {
    expect(cancelled.id).toBe(paid.id);
    expect(cancelled.cancel_reason).toBe('customer');
    expect(Number.isNaN(Date.parse(cancelled.cancelled_at))).toBe(false);
    for (const field of ['total_price', 'subtotal_price', 'total_tax', 'total_discounts']) expect(cancelled[field]).toBe(paid[field]);
    expectOrderConsistent(cancelled);
  });

  it('holds the earlier partial refund and a final refund that together give back exactly what was paid', () => {
    expect(cancelled.refunds).toHaveLength(2);
    expect(cancelled.refunds[0].id).toBe(load('refund-partial.json').id);
    const refunded = sum(cancelled.refunds.map((r: Json) => D(r.transactions[0].amount)));
    expect(fixed(refunded)).toBe(cancelled.total_price);
    expect(cancelled.financial_status).toBe('refunded');
    expect(cancelled.current_total_price).toBe('0.00');
    for (const line of cancelled.line_items) {
      const parts = cancelled.refunds.flatMap((r: Json) => r.refund_line_items.filter((x: Json) => x.line_item_id === line.id));
      expect(parts.reduce((q: number, p: Json) => q + p.quantity, 0)).toBe(line.quantity);
      const net = D(line.price).times(line.quantity).minus(sum(line.discount_allocations.map((a: Json) => D(a.amount))));
      expect(fixed(sum(parts.map((p: Json) => D(p.subtotal))))).toBe(fixed(net));
      expect(fixed(sum(parts.map((p: Json) => D(p.total_tax))))).toBe(line.tax_lines[0].price);
    }
  });
});

describe('sample order-paid-final-consumer.json', () => {
  const order = load('order-paid-final-consumer.json');

  it('is a single-line order without any tax id, and adds up', () => {
    expectOrderConsistent(order);
    expect(order.line_items).toHaveLength(1);
    expect(order.note_attributes).toEqual([]);
    expect(order.billing_address.company).toBeNull();
    expect(order.id).not.toBe(load('order-paid.json').id);
    expect(order.total_price).toBe('67200.00');
  });
});

describe('sample files and their definitions', () => {
  it('the JSON files are exactly what the sample definitions produce (regenerate with samples/generate.ts)', () => {
    for (const name of Object.keys(sampleBodies) as SampleFileName[]) {
      expect(raw(name), name).toBe(sampleBodies[name]());
    }
  });
});

describe('demoOrder(n)', () => {
  it('builds distinct, deterministic orders whose figures add up', () => {
    const orders = Array.from({ length: 40 }, (_, n) => demoOrder(n));
    expect(new Set(orders.map((o) => o.orderId)).size).toBe(40);
    expect(new Set(orders.map((o) => o.name)).size).toBe(40);
    expect(demoOrder(7).body).toBe(demoOrder(7).body);
    const lineCounts = new Set<number>();
    const quantities = new Set<number>();
    for (const demo of orders) {
      const order = parseShopifyJson(demo.body) as Json;
      expect(order.id).toBe(demo.orderId);
      expect(order.name).toBe(demo.name);
      const { total } = expectOrderConsistent(order);
      expect(fixed(total)).toBe(demo.totalPrice);
      lineCounts.add(order.line_items.length);
      for (const l of order.line_items) quantities.add(l.quantity);
      const nit = order.note_attributes.find((a: Json) => a.name === 'NIT');
      expect(Boolean(nit)).toBe(demo.hasTaxId);
      if (nit) {
        const [number, dv] = nit.value.split('-');
        expect(Number(dv)).toBe(dianDv(number));
      }
    }
    expect([...lineCounts].sort()).toEqual([1, 2, 3]);
    expect(quantities.size).toBeGreaterThan(2);
  });

  it('gives bodies the receiver accepts once signed', async () => {
    const secret = 'demo-secret';
    const receiver = createShopifyWebhookReceiver({ apiSecretKey: secret });
    const demo = demoOrder(12);
    const verdict = await receiver.receive({
      rawBody: demo.body,
      headers: shopifyWebhookHeaders({ topic: demo.topic, shop: demo.shop, body: demo.body, secret }),
    });
    expect(verdict.ok && verdict.events[0]?.orderId).toBe(demo.orderId);
  });

  it('refuses a negative or fractional n', () => {
    expect(() => demoOrder(-1)).toThrow(/whole number/);
    expect(() => demoOrder(1.5)).toThrow(/whole number/);
  });
});
