/**
 * The demo store's sample orders (connectors/shopify/samples) as the GraphQL Admin API answers them,
 * computed from the same descriptions and figures as the webhook bodies — not converted from them —
 * so that feeding both through the stage-1 mappings checks the REST-shape converter for real.
 * Used by the Admin API simulator, its tests and demos.
 */
import { Decimal } from 'decimal.js';
import {
  orderFigures,
  refundFigures,
  type LineFigures,
  type SampleAddress,
  type SampleCancellation,
  type SampleOrder,
  type SampleRefund,
} from '../samples/build.js';
import type { FullOrder } from './order-reader.js';
import type {
  GqlConnection,
  GqlLineItem,
  GqlLocalizedField,
  GqlMailingAddress,
  GqlMoneyBag,
  GqlRefund,
  GqlShippingLine,
  GqlTaxLine,
} from './queries.js';

const ZERO = new Decimal(0);
const cents = (d: Decimal) => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

function bag(amount: Decimal, currency: string): GqlMoneyBag {
  const text = cents(amount).toFixed(2);
  return { shopMoney: { amount: text, currencyCode: currency }, presentmentMoney: { amount: text, currencyCode: currency } };
}

const gid = (type: string, id: bigint | string) => `gid://shopify/${type}/${id}`;

/** GraphQL's DateTime: UTC, whole seconds, `Z`. */
function utc(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function connection<T>(nodes: T[]): GqlConnection<T> {
  return { pageInfo: { hasNextPage: false, endCursor: null }, nodes };
}

function taxLine(amount: Decimal, rate: string, currency: string): GqlTaxLine {
  return { title: 'IVA', rate: new Decimal(rate).toNumber(), channelLiable: false, priceSet: bag(amount, currency) };
}

function lineItem(order: SampleOrder, f: LineFigures, quantityLeft: number): GqlLineItem {
  const { line } = f;
  const c = order.currency;
  return {
    id: gid('LineItem', line.id),
    name: line.variantTitle ? `${line.title} - ${line.variantTitle}` : line.title,
    title: line.title,
    variantTitle: line.variantTitle,
    vendor: line.vendor,
    sku: line.sku,
    quantity: line.quantity,
    currentQuantity: quantityLeft,
    isGiftCard: false,
    taxable: true,
    requiresShipping: true,
    originalUnitPriceSet: bag(new Decimal(line.unitPrice), c),
    totalDiscountSet: bag(ZERO, c),
    customAttributes: [],
    taxLines: [taxLine(f.tax, line.taxRate, c)],
    discountAllocations: f.discount.isZero() ? [] : [{ allocatedAmountSet: bag(f.discount, c), discountApplication: { index: 0 } }],
    variant: { id: gid('ProductVariant', line.variantId) },
    product: { id: gid('Product', line.productId) },
  };
}

function shippingLine(order: SampleOrder): GqlShippingLine | undefined {
  const s = order.shipping;
  if (!s) return undefined;
  const f = orderFigures(order);
  return {
    id: gid('ShippingLine', s.id),
    title: s.title,
    code: s.title,
    source: 'shopify',
    carrierIdentifier: null,
    phone: null,
    isRemoved: false,
    originalPriceSet: bag(f.shipping, order.currency),
    discountedPriceSet: bag(f.shipping, order.currency),
    taxLines: [taxLine(f.shippingTax, s.taxRate, order.currency)],
    discountAllocations: [],
  };
}

function address(a: SampleAddress): GqlMailingAddress {
  return {
    firstName: a.firstName,
    lastName: a.lastName,
    name: `${a.firstName} ${a.lastName}`,
    company: a.company,
    address1: a.address1,
    address2: a.address2,
    city: a.city,
    province: a.province,
    provinceCode: a.provinceCode,
    zip: a.zip,
    country: 'Colombia',
    countryCodeV2: 'CO',
    phone: a.phone,
    latitude: null,
    longitude: null,
  };
}

function quantitiesLeft(order: SampleOrder, refunds: SampleRefund[]): Map<bigint, number> {
  const left = new Map(order.lines.map((l) => [l.id, l.quantity]));
  for (const r of refunds) for (const rl of r.lines) left.set(rl.lineItemId, (left.get(rl.lineItemId) ?? 0) - rl.quantity);
  return left;
}

function sampleGqlRefund(order: SampleOrder, refund: SampleRefund, earlier: SampleRefund[] = []): GqlRefund {
  const c = order.currency;
  const rf = refundFigures(order, refund, earlier);
  const left = quantitiesLeft(order, [...earlier, refund]);
  const ship = shippingLine(order);
  return {
    id: gid('Refund', refund.id),
    createdAt: utc(refund.createdAt),
    updatedAt: utc(refund.createdAt),
    note: refund.note,
    refundLineItems: connection(
      rf.lines.map((l) => ({
        id: gid('RefundLineItem', l.spec.refundLineItemId),
        quantity: l.spec.quantity,
        restockType: l.spec.restockType.toUpperCase(),
        location: { id: gid('Location', l.spec.locationId) },
        subtotalSet: bag(l.subtotal, c),
        totalTaxSet: bag(l.tax, c),
        lineItem: lineItem(order, l.figures, left.get(l.spec.lineItemId) ?? 0),
      })),
    ),
    refundShippingLines: connection(
      refund.shipping && ship
        ? [{ id: gid('RefundShippingLine', refund.shipping.refundShippingLineId), shippingLine: ship, subtotalAmountSet: bag(rf.shipping, c), taxAmountSet: bag(rf.shippingTax, c) }]
        : [],
    ),
    orderAdjustments: connection([]),
    transactions: connection([
      {
        id: gid('OrderTransaction', refund.transaction.id),
        kind: 'REFUND',
        status: 'SUCCESS',
        gateway: order.gateway,
        test: false,
        processedAt: utc(refund.createdAt),
        amountSet: bag(rf.total, c),
        parentTransaction: { id: gid('OrderTransaction', refund.transaction.parentId) },
      },
    ]),
  };
}

export interface SampleGqlOptions {
  cancellation?: SampleCancellation;
  /** Refunds without a cancellation. */
  refunds?: SampleRefund[];
  test?: boolean;
  fulfilled?: boolean;
  /** Default: createdAt + 3 s, or the cancellation time. */
  updatedAt?: string;
  localizedFields?: GqlLocalizedField[];
  /** Replace the figures' current total (an order edit that raised it). */
  currentTotal?: string;
}

/** The sample order as `readFullOrder` returns it for the same state as `buildOrder` describes. */
export function sampleGqlOrder(order: SampleOrder, options: SampleGqlOptions = {}): FullOrder {
  const c = order.currency;
  const f = orderFigures(order);
  const refundSpecs = options.cancellation?.refunds ?? options.refunds ?? [];
  const refunds = refundSpecs.map((r, i) => sampleGqlRefund(order, r, refundSpecs.slice(0, i)));
  const refundedTotal = refundSpecs.reduce((sum, r, i) => sum.plus(refundFigures(order, r, refundSpecs.slice(0, i)).total), ZERO);
  const fullyRefunded = refundSpecs.length > 0 && refundedTotal.equals(f.total);
  const left = quantitiesLeft(order, refundSpecs);
  const currentTotal = options.currentTotal ? new Decimal(options.currentTotal) : fullyRefunded ? ZERO : f.total.minus(refundedTotal);
  const ship = shippingLine(order);
  const createdAt = utc(order.createdAt);
  const updatedAt = utc(options.updatedAt ?? options.cancellation?.cancelledAt ?? new Date(Date.parse(order.createdAt) + 3_000).toISOString());
  const taxByRate = new Map<string, Decimal>();
  for (const l of f.lines) taxByRate.set(new Decimal(l.line.taxRate).toString(), (taxByRate.get(new Decimal(l.line.taxRate).toString()) ?? ZERO).plus(l.tax));
  if (order.shipping) {
    const key = new Decimal(order.shipping.taxRate).toString();
    taxByRate.set(key, (taxByRate.get(key) ?? ZERO).plus(f.shippingTax));
  }
  return {
    order: {
      id: gid('Order', order.id),
      name: `#${order.orderNumber}`,
      createdAt,
      updatedAt,
      processedAt: createdAt,
      closedAt: null,
      cancelledAt: options.cancellation ? utc(options.cancellation.cancelledAt) : null,
      cancelReason: options.cancellation ? options.cancellation.reason.toUpperCase() : null,
      test: options.test ?? false,
      email: order.customer.email,
      phone: null,
      note: null,
      tags: [],
      currencyCode: c,
      presentmentCurrencyCode: c,
      taxesIncluded: false,
      taxExempt: false,
      displayFinancialStatus: refundSpecs.length === 0 ? 'PAID' : fullyRefunded ? 'REFUNDED' : 'PARTIALLY_REFUNDED',
      displayFulfillmentStatus: options.fulfilled ? 'FULFILLED' : 'UNFULFILLED',
      paymentGatewayNames: [order.gateway],
      customAttributes: order.noteAttributes.map((a) => ({ key: a.name, value: a.value })),
      subtotalPriceSet: bag(f.subtotal, c),
      currentSubtotalPriceSet: bag(f.subtotal, c),
      totalPriceSet: bag(f.total, c),
      currentTotalPriceSet: bag(currentTotal, c),
      totalTaxSet: bag(f.tax, c),
      currentTotalTaxSet: bag(f.tax, c),
      totalDiscountsSet: bag(f.discountTotal, c),
      currentTotalDiscountsSet: bag(f.discountTotal, c),
      totalShippingPriceSet: bag(f.shipping, c),
      taxLines: [...taxByRate.entries()]
        .sort(([a], [b]) => new Decimal(b).comparedTo(new Decimal(a)))
        .map(([rate, amount]) => taxLine(amount, rate, c)),
      billingAddress: address(order.billingAddress),
      shippingAddress: address(order.billingAddress),
      customer: {
        id: gid('Customer', order.customer.id),
        firstName: order.billingAddress.firstName,
        lastName: order.billingAddress.lastName,
        defaultEmailAddress: { emailAddress: order.customer.email },
        defaultPhoneNumber: { phoneNumber: order.customer.phone },
      },
      localizedFields: connection(options.localizedFields ?? []),
      lineItems: connection(f.lines.map((l) => lineItem(order, l, left.get(l.line.id) ?? 0))),
      shippingLines: connection(ship ? [ship] : []),
      refunds: refunds.map((r) => ({ id: r.id, createdAt: r.createdAt })),
    },
    refunds,
  };
}
