/**
 * Builds WooCommerce orders and refunds in the shapes of the REST API v3 (`_orders.md`,
 * `_order-refunds.md`), with WooCommerce's arithmetic: line amounts net of tax, coupons lowering
 * `total` below `subtotal`, taxes per line rounded half-up to the currency's decimals (WooCommerce's
 * default of rounding per line), refunds as negative quantities and amounts. The sandbox, the
 * end-to-end test and the golden fixtures share these builders, so every order they use adds up the
 * way a real store's does.
 */
import { Dec } from '../../../src/domain/money.js';

export interface TaxRate {
  /** WooCommerce's tax rate id. */
  id: number;
  /** Percent, as WooCommerce's rate_percent (19, 5, 0). */
  percent: number;
  label: string;
  /** e.g. CO-IVA 19%-1 */
  code: string;
}

export const CO_TAX_RATES = {
  iva19: { id: 1, percent: 19, label: 'IVA 19%', code: 'CO-IVA 19%-1' },
  iva5: { id: 2, percent: 5, label: 'IVA 5%', code: 'CO-IVA 5%-2' },
  iva0: { id: 3, percent: 0, label: 'IVA 0%', code: 'CO-IVA 0%-3' },
} as const satisfies Record<string, TaxRate>;

export interface ItemSpec {
  productId: number;
  variationId?: number;
  sku: string;
  name: string;
  quantity: number;
  /** Unit price net of tax, as a decimal string. */
  price: string;
  tax?: TaxRate;
}

export interface BillingSpec {
  first_name: string;
  last_name: string;
  company?: string;
  address_1?: string;
  address_2?: string;
  city?: string;
  state?: string;
  postcode?: string;
  country: string;
  email?: string;
  phone?: string;
}

export interface OrderSpec {
  id: number;
  status?: string;
  currency?: string;
  /** GMT, `YYYY-MM-DDTHH:MM:SS` */
  createdAt: string;
  billing: BillingSpec;
  meta?: { key: string; value: string }[];
  items: ItemSpec[];
  coupon?: { code: string; percent: string };
  shipping?: { title: string; methodId: string; total: string; tax?: TaxRate };
  fees?: { name: string; total: string; tax?: TaxRate }[];
  paymentMethod?: string;
  paymentMethodTitle?: string;
}

export type WooOrder = Record<string, unknown> & {
  id: number;
  status: string;
  total: string;
  line_items: WooLine[];
  shipping_lines: WooLine[];
  fee_lines: WooLine[];
  refunds: { id: number; reason: string; total: string }[];
  date_modified_gmt: string;
};
export type WooLine = Record<string, unknown> & { id: number; total: string; total_tax: string; taxes: { id: number; total: string; subtotal: string }[] };

const DP = 2;
const money = (value: Dec) => value.toDecimalPlaces(DP, Dec.ROUND_HALF_UP).toFixed(DP);
const taxOf = (base: Dec, rate: TaxRate | undefined) => (rate ? base.times(rate.percent).div(100).toDecimalPlaces(DP, Dec.ROUND_HALF_UP) : new Dec(0));
/** WooCommerce writes tax amounts in line taxes without trailing zeros ("1.9"). */
const bare = (value: Dec) => value.toDecimalPlaces(DP, Dec.ROUND_HALF_UP).toFixed();

/** `2026-11-20T19:03:15` GMT → the store's local time (America/Bogota, UTC−5) without offset. */
export function localOf(gmt: string): string {
  return new Date(Date.parse(`${gmt}Z`) - 5 * 3600_000).toISOString().slice(0, 19);
}

function taxesFor(total: Dec, subtotal: Dec, rate: TaxRate | undefined) {
  return rate ? [{ id: rate.id, total: bare(taxOf(total, rate)), subtotal: bare(taxOf(subtotal, rate)) }] : [];
}

/** Line ids follow the order id (WooCommerce's order item ids are a table of their own). */
export function buildOrder(spec: OrderSpec): WooOrder {
  let itemId = spec.id * 100;
  const couponPercent = spec.coupon ? new Dec(spec.coupon.percent) : new Dec(0);
  const rates = new Map<number, { rate: TaxRate; items: Dec; shipping: Dec }>();
  const account = (rate: TaxRate | undefined, amount: Dec, kind: 'items' | 'shipping') => {
    if (!rate) return;
    const entry = rates.get(rate.id) ?? { rate, items: new Dec(0), shipping: new Dec(0) };
    entry[kind] = entry[kind].plus(amount);
    rates.set(rate.id, entry);
  };
  let discountTotal = new Dec(0);
  let discountTax = new Dec(0);
  const lineItems: WooLine[] = spec.items.map((item) => {
    const subtotal = new Dec(item.price).times(item.quantity);
    const discount = subtotal.times(couponPercent).div(100).toDecimalPlaces(DP, Dec.ROUND_HALF_UP);
    const total = subtotal.minus(discount);
    const subtotalTax = taxOf(subtotal, item.tax);
    const totalTax = taxOf(total, item.tax);
    discountTotal = discountTotal.plus(discount);
    discountTax = discountTax.plus(subtotalTax.minus(totalTax));
    account(item.tax, totalTax, 'items');
    return {
      id: ++itemId,
      name: item.name,
      product_id: item.productId,
      variation_id: item.variationId ?? 0,
      quantity: item.quantity,
      tax_class: item.tax && item.tax.percent !== 19 ? `tarifa-${item.tax.percent}` : '',
      subtotal: money(subtotal),
      subtotal_tax: money(subtotalTax),
      total: money(total),
      total_tax: money(totalTax),
      taxes: taxesFor(total, subtotal, item.tax),
      meta_data: [],
      sku: item.sku,
      // WooCommerce's `price` is a float: the line total after discounts ÷ quantity.
      price: Number(total.div(item.quantity).toFixed(6)),
      image: { id: '', src: '' },
      parent_name: null,
    };
  });
  const shippingLines: WooLine[] = spec.shipping
    ? [
        (() => {
          const total = new Dec(spec.shipping.total);
          const tax = taxOf(total, spec.shipping.tax);
          account(spec.shipping.tax, tax, 'shipping');
          return {
            id: ++itemId,
            method_title: spec.shipping.title,
            method_id: spec.shipping.methodId,
            instance_id: '1',
            total: money(total),
            total_tax: money(tax),
            taxes: taxesFor(total, total, spec.shipping.tax),
            meta_data: [{ id: itemId * 10, key: 'Artículos', value: spec.items.map((i) => `${i.name} &times; ${i.quantity}`).join(', '), display_key: 'Artículos', display_value: '' }],
          };
        })(),
      ]
    : [];
  const feeLines: WooLine[] = (spec.fees ?? []).map((fee) => {
    const total = new Dec(fee.total);
    const tax = total.gt(0) ? taxOf(total, fee.tax) : new Dec(0);
    account(total.gt(0) ? fee.tax : undefined, tax, 'items');
    return {
      id: ++itemId,
      name: fee.name,
      tax_class: '',
      tax_status: fee.tax ? 'taxable' : 'none',
      amount: fee.total,
      total: money(total),
      total_tax: money(tax),
      taxes: total.gt(0) ? taxesFor(total, total, fee.tax) : [],
      meta_data: [],
    };
  });
  const sum = (lines: WooLine[], key: 'total' | 'total_tax') => lines.reduce((acc, line) => acc.plus(line[key]), new Dec(0));
  const cartTax = sum(lineItems, 'total_tax').plus(sum(feeLines, 'total_tax'));
  const shippingTotal = sum(shippingLines, 'total');
  const shippingTax = sum(shippingLines, 'total_tax');
  const total = sum(lineItems, 'total').plus(cartTax).plus(sum(feeLines, 'total')).plus(shippingTotal).plus(shippingTax);
  const status = spec.status ?? 'pending';
  const paid = ['processing', 'completed'].includes(status);
  const created = spec.createdAt;
  return {
    id: spec.id,
    parent_id: 0,
    status,
    currency: spec.currency ?? 'COP',
    version: '9.4.2',
    prices_include_tax: false,
    date_created: localOf(created),
    date_modified: localOf(created),
    discount_total: money(discountTotal),
    discount_tax: money(discountTax),
    shipping_total: money(shippingTotal),
    shipping_tax: money(shippingTax),
    cart_tax: money(cartTax),
    total: money(total),
    total_tax: money(cartTax.plus(shippingTax)),
    customer_id: 0,
    order_key: `wc_order_${spec.id.toString(36)}Xk2P`,
    billing: { company: '', address_1: '', address_2: '', city: '', state: '', postcode: '', email: '', phone: '', ...spec.billing },
    shipping: {
      first_name: spec.billing.first_name,
      last_name: spec.billing.last_name,
      company: '',
      address_1: spec.billing.address_1 ?? '',
      address_2: spec.billing.address_2 ?? '',
      city: spec.billing.city ?? '',
      state: spec.billing.state ?? '',
      postcode: spec.billing.postcode ?? '',
      country: spec.billing.country,
      phone: '',
    },
    payment_method: spec.paymentMethod ?? 'bacs',
    payment_method_title: spec.paymentMethodTitle ?? 'Transferencia bancaria directa',
    transaction_id: '',
    customer_ip_address: '181.49.12.7',
    customer_user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    created_via: 'checkout',
    customer_note: '',
    date_completed: status === 'completed' ? localOf(created) : null,
    date_paid: paid ? localOf(created) : null,
    cart_hash: '6c1e3f0d9f1b8e2a4c5d7e9f0a1b2c3d',
    number: String(spec.id),
    meta_data: (spec.meta ?? []).map((m, i) => ({ id: spec.id * 10 + i, key: m.key, value: m.value })),
    line_items: lineItems,
    tax_lines: [...rates.values()].map((entry, i) => ({
      id: spec.id * 100 + 90 + i,
      rate_code: entry.rate.code,
      rate_id: entry.rate.id,
      label: entry.rate.label,
      compound: false,
      tax_total: money(entry.items),
      shipping_tax_total: money(entry.shipping),
      rate_percent: entry.rate.percent,
      meta_data: [],
    })),
    shipping_lines: shippingLines,
    fee_lines: feeLines,
    coupon_lines: spec.coupon
      ? [{ id: spec.id * 100 + 80, code: spec.coupon.code, discount: money(discountTotal), discount_tax: money(discountTax), meta_data: [] }]
      : [],
    refunds: [],
    payment_url: '',
    is_editable: !paid,
    needs_payment: !paid,
    needs_processing: true,
    date_created_gmt: created,
    date_modified_gmt: created,
    date_completed_gmt: status === 'completed' ? created : null,
    date_paid_gmt: paid ? created : null,
    currency_symbol: '$',
    _links: { self: [{ href: `/wp-json/wc/v3/orders/${spec.id}` }], collection: [{ href: '/wp-json/wc/v3/orders' }] },
  };
}

export interface RefundSpec {
  id: number;
  /** GMT */
  createdAt: string;
  reason?: string;
  /** Items returned: the order line id and how many. */
  lines?: { itemId: number; quantity: number }[];
  /** Shipping refunded, net of tax. */
  shipping?: string;
  /** Money only, with no line (tax included): how WooCommerce records "order fully refunded". */
  amount?: string;
}

/** The refund as GET /orders/{id}/refunds/{refund_id} gives it. Amounts follow the order's lines. */
export function buildRefund(order: WooOrder, spec: RefundSpec): Record<string, unknown> & { amount: string } {
  const rateOf = (taxes: { id: number }[]) => {
    const id = taxes[0]?.id;
    const line = (order.tax_lines as { rate_id: number; rate_percent: number; label: string; rate_code: string }[]).find((t) => t.rate_id === id);
    return line ? { id: line.rate_id, percent: line.rate_percent, label: line.label, code: line.rate_code } : undefined;
  };
  let itemId = spec.id * 100;
  let amount = new Dec(0);
  const lineItems = (spec.lines ?? []).map(({ itemId: refunded, quantity }) => {
    const line = order.line_items.find((l) => l.id === refunded);
    if (!line) throw new Error(`order ${order.id} has no line ${refunded}`);
    const perUnit = new Dec(line.total).div(line.quantity as number);
    const total = perUnit.times(quantity).toDecimalPlaces(DP, Dec.ROUND_HALF_UP);
    const rate = rateOf(line.taxes);
    const tax = taxOf(total, rate);
    amount = amount.plus(total).plus(tax);
    return {
      id: ++itemId,
      name: line.name,
      product_id: line.product_id,
      variation_id: line.variation_id,
      quantity: -quantity,
      tax_class: line.tax_class,
      subtotal: money(total.neg()),
      subtotal_tax: money(tax.neg()),
      total: money(total.neg()),
      total_tax: money(tax.neg()),
      taxes: rate ? [{ id: rate.id, total: bare(tax.neg()), subtotal: bare(tax.neg()) }] : [],
      meta_data: [{ id: itemId * 10, key: '_refunded_item_id', value: String(line.id), display_key: '_refunded_item_id', display_value: String(line.id) }],
      sku: line.sku,
      price: -Number(perUnit.toFixed(6)),
      image: { id: '', src: '' },
      parent_name: null,
    };
  });
  const shippingLines = spec.shipping
    ? order.shipping_lines.slice(0, 1).map((line) => {
        const total = new Dec(spec.shipping!);
        const rate = rateOf(line.taxes);
        const tax = taxOf(total, rate);
        amount = amount.plus(total).plus(tax);
        return {
          id: ++itemId,
          method_title: line.method_title,
          method_id: line.method_id,
          instance_id: line.instance_id,
          total: money(total.neg()),
          total_tax: money(tax.neg()),
          taxes: rate ? [{ id: rate.id, total: bare(tax.neg()), subtotal: '' }] : [],
          meta_data: [{ id: itemId * 10, key: '_refunded_item_id', value: String(line.id), display_key: '_refunded_item_id', display_value: String(line.id) }],
        };
      })
    : [];
  if (spec.amount) amount = amount.plus(spec.amount);
  return {
    id: spec.id,
    date_created: localOf(spec.createdAt),
    date_created_gmt: spec.createdAt,
    amount: money(amount),
    reason: spec.reason ?? '',
    refunded_by: 1,
    refunded_payment: false,
    meta_data: [],
    line_items: lineItems,
    shipping_lines: shippingLines,
    tax_lines: [],
    fee_lines: [],
    _links: {
      self: [{ href: `/wp-json/wc/v3/orders/${order.id}/refunds/${spec.id}` }],
      collection: [{ href: `/wp-json/wc/v3/orders/${order.id}/refunds` }],
      up: [{ href: `/wp-json/wc/v3/orders/${order.id}` }],
    },
  };
}

/** What is left to refund on the order: its total less every refund's amount. */
export function remainingRefundable(order: WooOrder): Dec {
  return order.refunds.reduce((acc, refund) => acc.plus(refund.total), new Dec(order.total));
}
