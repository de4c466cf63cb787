/**
 * Builds REST-shaped Shopify webhook bodies (orders/*, refunds/create) from a short description,
 * computing every amount the way Shopify reports it: line price before discounts, a fixed-amount
 * discount allocated across lines in proportion to their totals, tax per line on the discounted
 * amount rounded half-up to the cent, totals as sums of the rounded parts.
 *
 * Ids are bigints so that `toShopifyJson` can write them as bare numbers, as Shopify does.
 */
import { Decimal } from 'decimal.js';

export type WireValue = string | number | boolean | null | bigint | WireValue[] | { [key: string]: WireValue };
export type WireObject = { [key: string]: WireValue };

export interface SampleLine {
  id: bigint;
  productId: bigint;
  variantId: bigint;
  sku: string;
  title: string;
  variantTitle: string | null;
  vendor: string;
  /** Unit price before discounts, e.g. "119000.00". */
  unitPrice: string;
  quantity: number;
  /** "0.19", "0.05", "0". */
  taxRate: string;
  grams: number;
}

export interface SampleAddress {
  firstName: string;
  lastName: string;
  company: string | null;
  address1: string;
  address2: string | null;
  city: string;
  province: string;
  provinceCode: string;
  zip: string;
  phone: string;
}

export interface SampleOrder {
  shop: string;
  currency: string;
  id: bigint;
  orderNumber: number;
  token: string;
  confirmationNumber: string;
  /** ISO timestamp with the shop's offset. */
  createdAt: string;
  lines: SampleLine[];
  /** A fixed-amount discount code applied across all lines. */
  discount?: { code: string; amount: string };
  shipping?: { id: bigint; title: string; price: string; taxRate: string };
  customer: { id: bigint; email: string; phone: string; createdAt: string };
  billingAddress: SampleAddress;
  noteAttributes: { name: string; value: string }[];
  landingSite: string;
  gateway: string;
}

export interface SampleRefund {
  id: bigint;
  createdAt: string;
  note: string | null;
  userId: bigint | null;
  /** Units refunded per line id. */
  lines: { refundLineItemId: bigint; lineItemId: bigint; quantity: number; restockType: string; locationId: bigint }[];
  /** Refund the shipping line in full. */
  shipping?: { refundShippingLineId: bigint };
  transaction: { id: bigint; parentId: bigint; paymentId: string };
}

export interface SampleCancellation {
  cancelledAt: string;
  reason: 'customer' | 'fraud' | 'inventory' | 'declined' | 'other' | 'staff';
  /** Refunds already made before and by the cancellation, in order. */
  refunds: SampleRefund[];
}

const ZERO = new Decimal(0);

function cents(value: Decimal): Decimal {
  return value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

function money(value: Decimal): string {
  return cents(value).toFixed(2);
}

function moneySet(value: Decimal, currency: string): WireObject {
  const amount = money(value);
  return {
    shop_money: { amount, currency_code: currency },
    presentment_money: { amount, currency_code: currency },
  };
}

/** Shopify writes rates as JSON numbers (0.19); exact for these short decimals. */
function rateNumber(rate: string): number {
  return new Decimal(rate).toNumber();
}

function gid(kind: string, id: bigint): string {
  return `gid://shopify/${kind}/${id}`;
}

function shift(iso: string, seconds: number): string {
  // Keep the shop's offset in the text: move the wall-clock part, not the zone.
  const match = /^(.*T)(\d{2}):(\d{2}):(\d{2})(.*)$/.exec(iso);
  if (!match) throw new Error(`not an ISO timestamp: ${iso}`);
  const [, day, h, m, s, zone] = match as unknown as [string, string, string, string, string, string];
  const total = Number(h) * 3600 + Number(m) * 60 + Number(s) + seconds;
  if (total >= 86400) throw new Error('sample timestamps must stay within one day');
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day}${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}${zone}`;
}

/** The computed figures of one line, all in decimal. */
export interface LineFigures {
  line: SampleLine;
  gross: Decimal;
  discount: Decimal;
  net: Decimal;
  tax: Decimal;
}

export interface OrderFigures {
  lines: LineFigures[];
  lineItemsTotal: Decimal;
  discountTotal: Decimal;
  subtotal: Decimal;
  shipping: Decimal;
  shippingTax: Decimal;
  tax: Decimal;
  total: Decimal;
}

/** Splits a fixed discount over the lines in proportion to their totals; the last line takes the remainder. */
function allocateDiscount(gross: Decimal[], amount: Decimal): Decimal[] {
  const sum = gross.reduce((a, b) => a.plus(b), ZERO);
  if (sum.isZero()) return gross.map(() => ZERO);
  const shares = gross.map((g) => cents(amount.times(g).dividedBy(sum)));
  const allocated = shares.slice(0, -1).reduce((a, b) => a.plus(b), ZERO);
  shares[shares.length - 1] = amount.minus(allocated);
  return shares;
}

export function orderFigures(order: SampleOrder): OrderFigures {
  const gross = order.lines.map((l) => new Decimal(l.unitPrice).times(l.quantity));
  const discounts = order.discount ? allocateDiscount(gross, new Decimal(order.discount.amount)) : gross.map(() => ZERO);
  const lines = order.lines.map((line, i) => {
    const g = gross[i]!;
    const d = discounts[i]!;
    const net = g.minus(d);
    return { line, gross: g, discount: d, net, tax: cents(net.times(line.taxRate)) };
  });
  const sum = (values: Decimal[]) => values.reduce((a, b) => a.plus(b), ZERO);
  const lineItemsTotal = sum(lines.map((l) => l.gross));
  const discountTotal = sum(lines.map((l) => l.discount));
  const subtotal = lineItemsTotal.minus(discountTotal);
  const shipping = order.shipping ? new Decimal(order.shipping.price) : ZERO;
  const shippingTax = order.shipping ? cents(shipping.times(order.shipping.taxRate)) : ZERO;
  const tax = sum(lines.map((l) => l.tax)).plus(shippingTax);
  return { lines, lineItemsTotal, discountTotal, subtotal, shipping, shippingTax, tax, total: subtotal.plus(shipping).plus(tax) };
}

function taxLine(price: Decimal, rate: string, currency: string): WireObject {
  return {
    channel_liable: false,
    price: money(price),
    price_set: moneySet(price, currency),
    rate: rateNumber(rate),
    title: 'IVA',
  };
}

function lineItemJson(order: SampleOrder, f: LineFigures, quantityLeft: number): WireObject {
  const { line } = f;
  const c = order.currency;
  return {
    id: line.id,
    admin_graphql_api_id: gid('LineItem', line.id),
    attributed_staffs: [],
    current_quantity: quantityLeft,
    fulfillable_quantity: quantityLeft,
    fulfillment_service: 'manual',
    fulfillment_status: null,
    gift_card: false,
    grams: line.grams,
    name: line.variantTitle ? `${line.title} - ${line.variantTitle}` : line.title,
    price: money(new Decimal(line.unitPrice)),
    price_set: moneySet(new Decimal(line.unitPrice), c),
    product_exists: true,
    product_id: line.productId,
    properties: [],
    quantity: line.quantity,
    requires_shipping: true,
    sku: line.sku,
    taxable: true,
    title: line.title,
    total_discount: '0.00',
    total_discount_set: moneySet(ZERO, c),
    variant_id: line.variantId,
    variant_inventory_management: 'shopify',
    variant_title: line.variantTitle,
    vendor: line.vendor,
    tax_lines: [taxLine(f.tax, line.taxRate, c)],
    duties: [],
    discount_allocations: f.discount.isZero()
      ? []
      : [{ amount: money(f.discount), amount_set: moneySet(f.discount, c), discount_application_index: 0 }],
  };
}

function shippingLineJson(order: SampleOrder, figures: OrderFigures): WireObject | undefined {
  const s = order.shipping;
  if (!s) return undefined;
  const c = order.currency;
  return {
    id: s.id,
    carrier_identifier: null,
    code: s.title,
    discounted_price: money(figures.shipping),
    discounted_price_set: moneySet(figures.shipping, c),
    is_removed: false,
    phone: null,
    price: money(figures.shipping),
    price_set: moneySet(figures.shipping, c),
    requested_fulfillment_service_id: null,
    source: 'shopify',
    title: s.title,
    tax_lines: [taxLine(figures.shippingTax, s.taxRate, c)],
    discount_allocations: [],
  };
}

function addressJson(a: SampleAddress): WireObject {
  return {
    first_name: a.firstName,
    address1: a.address1,
    phone: a.phone,
    city: a.city,
    zip: a.zip,
    province: a.province,
    country: 'Colombia',
    last_name: a.lastName,
    address2: a.address2,
    company: a.company,
    latitude: null,
    longitude: null,
    name: `${a.firstName} ${a.lastName}`,
    country_code: 'CO',
    province_code: a.provinceCode,
  };
}

/** Order-level tax lines: one per rate, summed from the rounded line and shipping taxes. */
function orderTaxLines(order: SampleOrder, figures: OrderFigures): WireObject[] {
  const byRate = new Map<string, Decimal>();
  const add = (rate: string, amount: Decimal) => {
    const key = new Decimal(rate).toString();
    byRate.set(key, (byRate.get(key) ?? ZERO).plus(amount));
  };
  for (const l of figures.lines) add(l.line.taxRate, l.tax);
  if (order.shipping) add(order.shipping.taxRate, figures.shippingTax);
  return [...byRate.entries()]
    .sort(([a], [b]) => new Decimal(b).comparedTo(new Decimal(a)))
    .map(([rate, amount]) => taxLine(amount, rate, order.currency));
}

/** Remaining quantity of each line after the given refunds. */
function quantitiesLeft(order: SampleOrder, refunds: SampleRefund[]): Map<bigint, number> {
  const left = new Map(order.lines.map((l) => [l.id, l.quantity]));
  for (const r of refunds) for (const rl of r.lines) left.set(rl.lineItemId, (left.get(rl.lineItemId) ?? 0) - rl.quantity);
  return left;
}

export interface RefundFigures {
  lines: { spec: SampleRefund['lines'][number]; figures: LineFigures; subtotal: Decimal; tax: Decimal }[];
  shipping: Decimal;
  shippingTax: Decimal;
  total: Decimal;
}

/**
 * What a refund gives back: per refunded unit, the line's discounted amount and tax shared per unit
 * (rounded half-up); the units that remain last take whatever is left, so that refunding a line in
 * several steps returns exactly what was charged for it.
 */
export function refundFigures(order: SampleOrder, refund: SampleRefund, earlier: SampleRefund[]): RefundFigures {
  const figures = orderFigures(order);
  const refundedBefore = new Map<bigint, number>();
  for (const r of earlier) for (const rl of r.lines) refundedBefore.set(rl.lineItemId, (refundedBefore.get(rl.lineItemId) ?? 0) + rl.quantity);
  const lines = refund.lines.map((spec) => {
    const f = figures.lines.find((l) => l.line.id === spec.lineItemId);
    if (!f) throw new Error(`refund ${refund.id} names line ${spec.lineItemId}, which the order does not have`);
    const before = refundedBefore.get(spec.lineItemId) ?? 0;
    const qty = f.line.quantity;
    if (before + spec.quantity > qty) throw new Error(`refund ${refund.id} refunds more units of ${spec.lineItemId} than were bought`);
    const share = (amount: Decimal, units: number) => cents(amount.times(units).dividedBy(qty));
    const isLast = before + spec.quantity === qty;
    const subtotal = isLast ? f.net.minus(share(f.net, before)) : share(f.net, spec.quantity);
    const tax = isLast ? f.tax.minus(share(f.tax, before)) : share(f.tax, spec.quantity);
    return { spec, figures: f, subtotal, tax };
  });
  const shipping = refund.shipping ? figures.shipping : ZERO;
  const shippingTax = refund.shipping ? figures.shippingTax : ZERO;
  const total = lines.reduce((a, l) => a.plus(l.subtotal).plus(l.tax), ZERO).plus(shipping).plus(shippingTax);
  return { lines, shipping, shippingTax, total };
}

export function buildRefund(order: SampleOrder, refund: SampleRefund, earlier: SampleRefund[] = []): WireObject {
  const c = order.currency;
  const figures = orderFigures(order);
  const rf = refundFigures(order, refund, earlier);
  const left = quantitiesLeft(order, [...earlier, refund]);
  const shippingLine = shippingLineJson(order, figures);
  const processedAt = refund.createdAt;
  return {
    id: refund.id,
    order_id: order.id,
    created_at: refund.createdAt,
    note: refund.note,
    user_id: refund.userId,
    processed_at: processedAt,
    restock: rf.lines.length > 0,
    duties: [],
    total_duties_set: moneySet(ZERO, c),
    additional_fees: [],
    total_additional_fees_set: moneySet(ZERO, c),
    return: null,
    refund_shipping_lines:
      refund.shipping && shippingLine && order.shipping
        ? [
            {
              id: refund.shipping.refundShippingLineId,
              shipping_line_id: order.shipping.id,
              subtotal_amount_set: moneySet(rf.shipping, c),
              tax_amount_set: moneySet(rf.shippingTax, c),
              shipping_line: shippingLine,
            },
          ]
        : [],
    admin_graphql_api_id: gid('Refund', refund.id),
    order_adjustments: [],
    refund_line_items: rf.lines.map((l) => ({
      id: l.spec.refundLineItemId,
      line_item_id: l.spec.lineItemId,
      location_id: l.spec.locationId,
      quantity: l.spec.quantity,
      restock_type: l.spec.restockType,
      // Shopify sends these two as JSON numbers; their *_set twins carry the same amounts as strings.
      subtotal: cents(l.subtotal).toNumber(),
      subtotal_set: moneySet(l.subtotal, c),
      total_tax: cents(l.tax).toNumber(),
      total_tax_set: moneySet(l.tax, c),
      line_item: lineItemJson(order, l.figures, left.get(l.spec.lineItemId) ?? 0),
    })),
    transactions: [
      {
        id: refund.transaction.id,
        order_id: order.id,
        kind: 'refund',
        gateway: order.gateway,
        status: 'success',
        message: 'Transaction approved',
        created_at: refund.createdAt,
        test: false,
        authorization: null,
        location_id: null,
        user_id: refund.userId,
        parent_id: refund.transaction.parentId,
        processed_at: processedAt,
        device_id: null,
        error_code: null,
        source_name: 'web',
        receipt: {},
        amount: money(rf.total),
        currency: c,
        payment_id: refund.transaction.paymentId,
        total_unsettled_set: moneySet(ZERO, c),
        manual_payment_gateway: false,
        amount_rounding: null,
        admin_graphql_api_id: gid('OrderTransaction', refund.transaction.id),
      },
    ],
  };
}

/**
 * The order as orders/create, orders/paid and orders/updated send it; with `cancellation`, as
 * orders/cancelled sends it (refunds included, current_* amounts reduced by them).
 */
export function buildOrder(order: SampleOrder, cancellation?: SampleCancellation): WireObject {
  const c = order.currency;
  const f = orderFigures(order);
  const refunds = cancellation?.refunds ?? [];
  const left = quantitiesLeft(order, refunds);
  const refunded: Decimal[] = [];
  const refundJson = refunds.map((r, i) => {
    refunded.push(refundFigures(order, r, refunds.slice(0, i)).total);
    return buildRefund(order, r, refunds.slice(0, i));
  });
  const refundedTotal = refunded.reduce((a, b) => a.plus(b), ZERO);
  const fullyRefunded = refundedTotal.equals(f.total);
  const financialStatus = refunds.length === 0 ? 'paid' : fullyRefunded ? 'refunded' : 'partially_refunded';
  // After refunds the "current" figures describe what the buyer still keeps.
  const keptLines = f.lines.map((l) => {
    const units = left.get(l.line.id) ?? 0;
    const q = l.line.quantity;
    const share = (amount: Decimal) => (units === q ? amount : cents(amount.times(units).dividedBy(q)));
    return { gross: share(l.gross), discount: share(l.discount), tax: share(l.tax) };
  });
  const shippingKept = refunds.some((r) => r.shipping) ? ZERO : f.shipping;
  const shippingTaxKept = refunds.some((r) => r.shipping) ? ZERO : f.shippingTax;
  const sum = (values: Decimal[]) => values.reduce((a, b) => a.plus(b), ZERO);
  const currentDiscounts = sum(keptLines.map((l) => l.discount));
  const currentSubtotal = sum(keptLines.map((l) => l.gross)).minus(currentDiscounts);
  const currentTax = sum(keptLines.map((l) => l.tax)).plus(shippingTaxKept);
  const currentTotal = fullyRefunded ? ZERO : currentSubtotal.plus(shippingKept).plus(currentTax);
  const updatedAt = cancellation ? cancellation.cancelledAt : shift(order.createdAt, 3);
  const shippingLine = shippingLineJson(order, f);
  const customerName = order.billingAddress;

  return {
    id: order.id,
    admin_graphql_api_id: gid('Order', order.id),
    app_id: 580111n,
    browser_ip: '203.0.113.24',
    buyer_accepts_marketing: false,
    cancel_reason: cancellation?.reason ?? null,
    cancelled_at: cancellation?.cancelledAt ?? null,
    cart_token: null,
    checkout_id: order.id + 1_000_000_000n,
    checkout_token: order.token.split('').reverse().join(''),
    client_details: null,
    closed_at: null,
    company: null,
    confirmation_number: order.confirmationNumber,
    confirmed: true,
    contact_email: order.customer.email,
    created_at: order.createdAt,
    currency: c,
    current_subtotal_price: money(currentSubtotal),
    current_subtotal_price_set: moneySet(currentSubtotal, c),
    current_total_additional_fees_set: null,
    current_total_discounts: money(currentDiscounts),
    current_total_discounts_set: moneySet(currentDiscounts, c),
    current_total_duties_set: null,
    current_total_price: money(currentTotal),
    current_total_price_set: moneySet(currentTotal, c),
    current_total_tax: money(currentTax),
    current_total_tax_set: moneySet(currentTax, c),
    customer_locale: 'es-CO',
    device_id: null,
    discount_codes: order.discount ? [{ code: order.discount.code, amount: money(new Decimal(order.discount.amount)), type: 'fixed_amount' }] : [],
    duties_included: false,
    email: order.customer.email,
    estimated_taxes: false,
    financial_status: financialStatus,
    fulfillment_status: null,
    landing_site: order.landingSite,
    landing_site_ref: null,
    location_id: null,
    merchant_business_entity_id: 'MTcxMjM0NTY3ODkw',
    merchant_of_record_app_id: null,
    name: `#${order.orderNumber}`,
    note: null,
    note_attributes: order.noteAttributes.map((a) => ({ name: a.name, value: a.value })),
    number: order.orderNumber - 1000,
    order_number: order.orderNumber,
    order_status_url: `https://${order.shop}/71234567890/orders/${order.token}/authenticate?key=${order.token.slice(0, 16)}`,
    original_total_additional_fees_set: null,
    original_total_duties_set: null,
    payment_gateway_names: [order.gateway],
    phone: null,
    po_number: null,
    presentment_currency: c,
    processed_at: order.createdAt,
    reference: null,
    referring_site: 'https://www.instagram.com/',
    source_identifier: null,
    source_name: 'web',
    source_url: null,
    subtotal_price: money(f.subtotal),
    subtotal_price_set: moneySet(f.subtotal, c),
    tags: '',
    tax_exempt: false,
    tax_lines: orderTaxLines(order, f),
    taxes_included: false,
    test: false,
    token: order.token,
    total_cash_rounding_payment_adjustment_set: moneySet(ZERO, c),
    total_cash_rounding_refund_adjustment_set: moneySet(ZERO, c),
    total_discounts: money(f.discountTotal),
    total_discounts_set: moneySet(f.discountTotal, c),
    total_line_items_price: money(f.lineItemsTotal),
    total_line_items_price_set: moneySet(f.lineItemsTotal, c),
    total_outstanding: '0.00',
    total_price: money(f.total),
    total_price_set: moneySet(f.total, c),
    total_shipping_price_set: moneySet(f.shipping, c),
    total_tax: money(f.tax),
    total_tax_set: moneySet(f.tax, c),
    total_tip_received: '0.00',
    total_weight: order.lines.reduce((w, l) => w + l.grams * l.quantity, 0),
    updated_at: updatedAt,
    user_id: null,
    billing_address: addressJson(order.billingAddress),
    customer: {
      id: order.customer.id,
      email: order.customer.email,
      created_at: order.customer.createdAt,
      updated_at: order.createdAt,
      first_name: customerName.firstName,
      last_name: customerName.lastName,
      state: 'enabled',
      note: null,
      verified_email: true,
      multipass_identifier: null,
      tax_exempt: false,
      phone: order.customer.phone,
      currency: c,
      tax_exemptions: [],
      admin_graphql_api_id: gid('Customer', order.customer.id),
      default_address: {
        id: order.customer.id + 2_000_000_000_000n,
        customer_id: order.customer.id,
        ...addressJson(order.billingAddress),
        default: true,
      },
    },
    discount_applications: order.discount
      ? [
          {
            target_type: 'line_item',
            type: 'discount_code',
            value: new Decimal(order.discount.amount).toFixed(1),
            value_type: 'fixed_amount',
            allocation_method: 'across',
            target_selection: 'all',
            code: order.discount.code,
          },
        ]
      : [],
    fulfillments: [],
    line_items: f.lines.map((l) => lineItemJson(order, l, left.get(l.line.id) ?? 0)),
    payment_terms: null,
    refunds: refundJson,
    shipping_address: addressJson(order.billingAddress),
    shipping_lines: shippingLine ? [shippingLine] : [],
  };
}

/**
 * Serialises like Shopify's webhook bodies: ids (bigints) as bare numbers, UTF-8 text as is, and
 * `&`, `<`, `>` escaped as \u0026, \u003c, \u003e (Rails' JSON encoding), so a body that is re-serialised
 * by a receiver no longer matches its HMAC.
 */
export function toShopifyJson(value: WireValue, indent = 0): string {
  const pad = (level: number) => (indent > 0 ? '\n' + ' '.repeat(indent * level) : '');
  const sep = indent > 0 ? ': ' : ':';
  const write = (v: WireValue, level: number): string => {
    if (v === null) return 'null';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error('cannot serialise a non-finite number');
      return JSON.stringify(v);
    }
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') return JSON.stringify(v).replace(/[&<>]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${v.map((item) => pad(level + 1) + write(item, level + 1)).join(',')}${pad(level)}]`;
    }
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    return `{${entries.map(([k, item]) => `${pad(level + 1)}${write(k, level + 1)}${sep}${write(item, level + 1)}`).join(',')}${pad(level)}}`;
  };
  return write(value, 0);
}
