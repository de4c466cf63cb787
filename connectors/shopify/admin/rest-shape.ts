/**
 * Turns GraphQL Admin API orders and refunds into the REST-shaped JSON that Shopify's webhooks
 * deliver (reference §1.9), so that a sweep's events go through the very mappings a webhook's do
 * (mappings/shopify/order-invoice.yaml, refund-credit-note.yaml).
 *
 * Conventions kept from the webhook path (connectors/shopify/payload-json.ts):
 *   - every id is the numeric tail of the GID, as a string (`gid://shopify/Order/123` → "123");
 *   - money is a decimal string in the shop's currency (`shopMoney`), with the `*_set` twin holding
 *     both shop and presentment money; tax rates are numbers (0.19) as in the webhook body.
 * Where REST writes a number for money (`refund_line_items[].subtotal`, `total_tax`), this writes
 * the same decimal string: the mappings read the `*_set` twin first, and amounts are never floats here.
 */
import { Dec } from '../../../src/domain/money.js';
import type {
  GqlAttribute,
  GqlDiscountAllocation,
  GqlLineItem,
  GqlLocalizedField,
  GqlMailingAddress,
  GqlMoneyBag,
  GqlOrder,
  GqlRefund,
  GqlShippingLine,
  GqlTaxLine,
} from './queries.js';

export type RestObject = Record<string, unknown>;

/** `gid://shopify/Order/6123456789012` → `6123456789012`. */
export function legacyId(gid: string): string {
  const match = /^gid:\/\/shopify\/[A-Za-z]+\/(\d+)(?:\?.*)?$/.exec(gid);
  if (!match) throw new Error(`"${gid}" is not a Shopify GID with a numeric id`);
  return match[1]!;
}

export function orderGid(orderId: string): string {
  return orderId.startsWith('gid://') ? orderId : `gid://shopify/Order/${orderId}`;
}

const optionalId = (gid: string | null | undefined): string | null => (gid ? legacyId(gid) : null);

/** A MoneyBag as REST writes it: `{shop_money: {amount, currency_code}, presentment_money: {…}}`. */
function moneySet(bag: GqlMoneyBag): RestObject {
  return {
    shop_money: { amount: bag.shopMoney.amount, currency_code: bag.shopMoney.currencyCode },
    presentment_money: { amount: bag.presentmentMoney.amount, currency_code: bag.presentmentMoney.currencyCode },
  };
}

/** The scalar field and its `_set` twin: `{price: "1.00", price_set: {...}}`. */
function money(name: string, bag: GqlMoneyBag | null | undefined): RestObject {
  if (!bag) return {};
  return { [name]: bag.shopMoney.amount, [`${name}_set`]: moneySet(bag) };
}

function taxLines(lines: GqlTaxLine[]): RestObject[] {
  return lines.map((line) => ({
    channel_liable: line.channelLiable ?? false,
    price: line.priceSet.shopMoney.amount,
    price_set: moneySet(line.priceSet),
    // A Float in GraphQL (0.19), a JSON number in the webhook body: the same value either way.
    rate: line.rate,
    title: line.title,
  }));
}

function discountAllocations(allocations: GqlDiscountAllocation[]): RestObject[] {
  return allocations.map((a) => ({
    amount: a.allocatedAmountSet.shopMoney.amount,
    amount_set: moneySet(a.allocatedAmountSet),
    discount_application_index: a.discountApplication.index,
  }));
}

const attributes = (list: GqlAttribute[]): RestObject[] => list.map((a) => ({ name: a.key, value: a.value }));

function address(a: GqlMailingAddress | null): RestObject | null {
  if (!a) return null;
  return {
    first_name: a.firstName,
    last_name: a.lastName,
    name: a.name,
    company: a.company,
    address1: a.address1,
    address2: a.address2,
    city: a.city,
    province: a.province,
    province_code: a.provinceCode,
    zip: a.zip,
    country: a.country,
    country_code: a.countryCodeV2,
    phone: a.phone,
    latitude: a.latitude,
    longitude: a.longitude,
  };
}

function restLineItem(item: GqlLineItem): RestObject {
  return {
    id: legacyId(item.id),
    admin_graphql_api_id: item.id,
    name: item.name,
    title: item.title,
    variant_title: item.variantTitle,
    vendor: item.vendor,
    sku: item.sku,
    quantity: item.quantity,
    current_quantity: item.currentQuantity,
    gift_card: item.isGiftCard,
    taxable: item.taxable,
    requires_shipping: item.requiresShipping,
    product_id: optionalId(item.product?.id),
    variant_id: optionalId(item.variant?.id),
    ...money('price', item.originalUnitPriceSet),
    ...money('total_discount', item.totalDiscountSet),
    properties: attributes(item.customAttributes),
    tax_lines: taxLines(item.taxLines),
    discount_allocations: discountAllocations(item.discountAllocations),
  };
}

function restShippingLine(line: GqlShippingLine): RestObject {
  return {
    id: optionalId(line.id),
    title: line.title,
    code: line.code,
    source: line.source,
    carrier_identifier: line.carrierIdentifier,
    phone: line.phone,
    is_removed: line.isRemoved,
    ...money('price', line.originalPriceSet),
    ...money('discounted_price', line.discountedPriceSet),
    tax_lines: taxLines(line.taxLines),
    discount_allocations: discountAllocations(line.discountAllocations),
  };
}

/** REST's lower-case enum values (`PARTIALLY_REFUNDED` → `partially_refunded`). */
const lower = (value: string | null | undefined): string | null => (value ? value.toLowerCase() : null);

/** GraphQL's display fulfillment status → REST `fulfillment_status` (null, partial, fulfilled, restocked). */
function fulfillmentStatus(status: string): string | null {
  switch (status) {
    case 'FULFILLED':
      return 'fulfilled';
    case 'PARTIALLY_FULFILLED':
      return 'partial';
    case 'RESTOCKED':
      return 'restocked';
    default:
      return null;
  }
}

/** The localized fields as `{TAX_CREDENTIAL_CO: "900373115-3", …}` — what Puente attaches as `puente_localized_fields`. */
export function localizedFieldMap(fields: GqlLocalizedField[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) out[field.key] = field.value;
  return out;
}

/** The REST refund (refunds/create body) for a GraphQL refund of `order`. */
export function restRefund(order: Pick<GqlOrder, 'id' | 'currencyCode'>, refund: GqlRefund): RestObject {
  const orderId = legacyId(order.id);
  const refundId = legacyId(refund.id);
  return {
    id: refundId,
    admin_graphql_api_id: refund.id,
    order_id: orderId,
    created_at: refund.createdAt,
    processed_at: refund.createdAt,
    note: refund.note,
    refund_line_items: refund.refundLineItems.nodes.map((rli) => ({
      id: optionalId(rli.id),
      line_item_id: legacyId(rli.lineItem.id),
      location_id: optionalId(rli.location?.id),
      quantity: rli.quantity,
      restock_type: lower(rli.restockType),
      ...money('subtotal', rli.subtotalSet),
      ...money('total_tax', rli.totalTaxSet),
      line_item: restLineItem(rli.lineItem),
    })),
    refund_shipping_lines: refund.refundShippingLines.nodes.map((rsl) => ({
      id: legacyId(rsl.id),
      shipping_line_id: optionalId(rsl.shippingLine.id),
      subtotal_amount_set: moneySet(rsl.subtotalAmountSet),
      tax_amount_set: moneySet(rsl.taxAmountSet),
      shipping_line: restShippingLine(rsl.shippingLine),
    })),
    order_adjustments: refund.orderAdjustments.nodes.map((adjustment) => ({
      id: legacyId(adjustment.id),
      order_id: orderId,
      refund_id: refundId,
      // GraphQL dropped `kind` (2025-01): shipping refunds are refund_shipping_lines now, so what
      // remains as an adjustment is a refund discrepancy; its reason says which.
      kind: 'refund_discrepancy',
      reason: lower(adjustment.reason),
      ...money('amount', adjustment.amountSet),
      ...money('tax_amount', adjustment.taxAmountSet),
    })),
    transactions: refund.transactions.nodes.map((t) => ({
      id: legacyId(t.id),
      order_id: orderId,
      kind: lower(t.kind),
      status: lower(t.status),
      gateway: t.gateway,
      test: t.test,
      processed_at: t.processedAt,
      amount: t.amountSet.presentmentMoney.amount,
      currency: t.amountSet.presentmentMoney.currencyCode,
      amount_set: moneySet(t.amountSet),
      parent_id: optionalId(t.parentTransaction?.id),
    })),
  };
}

/**
 * What the order has charged so far, refunds not deducted: the current total plus every successful
 * refund transaction — the same figure the webhook receiver puts in `orderTotal`, in shop money.
 */
export function chargedTotal(order: Pick<GqlOrder, 'currentTotalPriceSet'>, refunds: GqlRefund[]): string {
  let total = new Dec(order.currentTotalPriceSet.shopMoney.amount);
  for (const refund of refunds) {
    for (const t of refund.transactions.nodes) {
      if (t.kind === 'REFUND' && t.status === 'SUCCESS') total = total.plus(t.amountSet.shopMoney.amount);
    }
  }
  return total.toFixed();
}

/** The REST order (orders/* webhook body) for a GraphQL order with all its line items and refunds read. */
export function restOrder(order: GqlOrder, refunds: GqlRefund[]): RestObject {
  const customer = order.customer;
  const rest: RestObject = {
    id: legacyId(order.id),
    admin_graphql_api_id: order.id,
    name: order.name,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    processed_at: order.processedAt,
    closed_at: order.closedAt,
    cancelled_at: order.cancelledAt,
    cancel_reason: lower(order.cancelReason),
    test: order.test,
    email: order.email,
    contact_email: order.email,
    phone: order.phone,
    note: order.note,
    tags: order.tags.join(', '),
    currency: order.currencyCode,
    presentment_currency: order.presentmentCurrencyCode,
    taxes_included: order.taxesIncluded,
    tax_exempt: order.taxExempt,
    financial_status: lower(order.displayFinancialStatus),
    fulfillment_status: fulfillmentStatus(order.displayFulfillmentStatus),
    payment_gateway_names: order.paymentGatewayNames,
    note_attributes: attributes(order.customAttributes),
    ...money('subtotal_price', order.subtotalPriceSet),
    ...money('current_subtotal_price', order.currentSubtotalPriceSet),
    ...money('total_price', order.totalPriceSet),
    ...money('current_total_price', order.currentTotalPriceSet),
    ...money('total_tax', order.totalTaxSet),
    ...money('current_total_tax', order.currentTotalTaxSet),
    ...money('total_discounts', order.totalDiscountsSet),
    ...money('current_total_discounts', order.currentTotalDiscountsSet),
    total_shipping_price_set: moneySet(order.totalShippingPriceSet),
    tax_lines: taxLines(order.taxLines),
    billing_address: address(order.billingAddress),
    shipping_address: address(order.shippingAddress),
    customer: customer
      ? {
          id: legacyId(customer.id),
          admin_graphql_api_id: customer.id,
          first_name: customer.firstName,
          last_name: customer.lastName,
          email: customer.defaultEmailAddress?.emailAddress ?? null,
          phone: customer.defaultPhoneNumber?.phoneNumber ?? null,
        }
      : null,
    line_items: order.lineItems.nodes.map(restLineItem),
    shipping_lines: order.shippingLines.nodes.map(restShippingLine),
    refunds: refunds.map((refund) => restRefund(order, refund)),
  };
  // Webhook bodies lack these (GraphQL only, reference §1.10); `complete` adds them the same way.
  rest.puente_localized_fields = localizedFieldMap(order.localizedFields.nodes);
  return rest;
}
