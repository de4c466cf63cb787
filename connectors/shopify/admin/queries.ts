/**
 * The GraphQL Admin API operations Puente runs (API version 2025-10 or later), and the shapes of
 * what they answer. Every field is a field of the Admin API schema; deprecated ones are avoided
 * (`WebhookSubscription.uri`, not `endpoint`/`callbackUrl`; `Customer.defaultEmailAddress`, not
 * `email`; `OrderAdjustment` without the removed `kind`).
 *
 * Orders are listed cheaply (ids and update times) and each is then read on its own, with its
 * refunds read one by one: Shopify refuses a single query above 1,000 cost points, and nested
 * connections multiply, so bounded pieces keep every query well under that.
 */

// ─── shapes ──────────────────────────────────────────────────────────────────────────────────

export interface GqlMoney {
  amount: string;
  currencyCode: string;
}
export interface GqlMoneyBag {
  shopMoney: GqlMoney;
  presentmentMoney: GqlMoney;
}
export interface GqlPageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface GqlConnection<T> {
  pageInfo: GqlPageInfo;
  nodes: T[];
}
export interface GqlTaxLine {
  title: string;
  rate: number | null;
  channelLiable: boolean | null;
  priceSet: GqlMoneyBag;
}
export interface GqlDiscountAllocation {
  allocatedAmountSet: GqlMoneyBag;
  discountApplication: { index: number };
}
export interface GqlAttribute {
  key: string;
  value: string | null;
}
export interface GqlLineItem {
  id: string;
  name: string;
  title: string;
  variantTitle: string | null;
  vendor: string | null;
  sku: string | null;
  quantity: number;
  currentQuantity: number;
  isGiftCard: boolean;
  taxable: boolean;
  requiresShipping: boolean;
  originalUnitPriceSet: GqlMoneyBag;
  totalDiscountSet: GqlMoneyBag;
  customAttributes: GqlAttribute[];
  taxLines: GqlTaxLine[];
  discountAllocations: GqlDiscountAllocation[];
  variant: { id: string } | null;
  product: { id: string } | null;
}
export interface GqlShippingLine {
  id: string | null;
  title: string;
  code: string | null;
  source: string | null;
  carrierIdentifier: string | null;
  phone: string | null;
  isRemoved: boolean;
  originalPriceSet: GqlMoneyBag;
  discountedPriceSet: GqlMoneyBag;
  taxLines: GqlTaxLine[];
  discountAllocations: GqlDiscountAllocation[];
}
export interface GqlMailingAddress {
  firstName: string | null;
  lastName: string | null;
  name: string | null;
  company: string | null;
  address1: string | null;
  address2: string | null;
  city: string | null;
  province: string | null;
  provinceCode: string | null;
  zip: string | null;
  country: string | null;
  countryCodeV2: string | null;
  phone: string | null;
  latitude: number | null;
  longitude: number | null;
}
export interface GqlCustomer {
  id: string;
  firstName: string | null;
  lastName: string | null;
  defaultEmailAddress: { emailAddress: string | null } | null;
  defaultPhoneNumber: { phoneNumber: string } | null;
}
export interface GqlLocalizedField {
  countryCode: string;
  key: string;
  purpose: string;
  title: string;
  value: string;
}
export interface GqlRefundSummary {
  id: string;
  createdAt: string;
}
export interface GqlOrder {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  processedAt: string;
  closedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  test: boolean;
  email: string | null;
  phone: string | null;
  note: string | null;
  tags: string[];
  currencyCode: string;
  presentmentCurrencyCode: string;
  taxesIncluded: boolean;
  taxExempt: boolean;
  displayFinancialStatus: string | null;
  displayFulfillmentStatus: string;
  paymentGatewayNames: string[];
  customAttributes: GqlAttribute[];
  subtotalPriceSet: GqlMoneyBag | null;
  currentSubtotalPriceSet: GqlMoneyBag;
  totalPriceSet: GqlMoneyBag;
  currentTotalPriceSet: GqlMoneyBag;
  totalTaxSet: GqlMoneyBag | null;
  currentTotalTaxSet: GqlMoneyBag;
  totalDiscountsSet: GqlMoneyBag | null;
  currentTotalDiscountsSet: GqlMoneyBag;
  totalShippingPriceSet: GqlMoneyBag;
  taxLines: GqlTaxLine[];
  billingAddress: GqlMailingAddress | null;
  shippingAddress: GqlMailingAddress | null;
  customer: GqlCustomer | null;
  localizedFields: GqlConnection<GqlLocalizedField>;
  lineItems: GqlConnection<GqlLineItem>;
  shippingLines: GqlConnection<GqlShippingLine>;
  refunds: GqlRefundSummary[];
}
export interface GqlRefundLineItem {
  /** Nullable in the schema. */
  id: string | null;
  quantity: number;
  restockType: string;
  location: { id: string } | null;
  subtotalSet: GqlMoneyBag;
  totalTaxSet: GqlMoneyBag;
  lineItem: GqlLineItem;
}
export interface GqlRefundShippingLine {
  id: string;
  shippingLine: GqlShippingLine;
  subtotalAmountSet: GqlMoneyBag;
  taxAmountSet: GqlMoneyBag;
}
export interface GqlOrderAdjustment {
  id: string;
  amountSet: GqlMoneyBag;
  taxAmountSet: GqlMoneyBag;
  reason: string | null;
}
export interface GqlTransaction {
  id: string;
  kind: string;
  status: string;
  gateway: string | null;
  test: boolean;
  processedAt: string | null;
  amountSet: GqlMoneyBag;
  parentTransaction: { id: string } | null;
}
export interface GqlRefund {
  id: string;
  createdAt: string;
  updatedAt: string;
  note: string | null;
  refundLineItems: GqlConnection<GqlRefundLineItem>;
  refundShippingLines: GqlConnection<GqlRefundShippingLine>;
  orderAdjustments: GqlConnection<GqlOrderAdjustment>;
  transactions: GqlConnection<GqlTransaction>;
}

// ─── fragments ───────────────────────────────────────────────────────────────────────────────

const MONEY_BAG = `{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }`;
const TAX_LINE = `{ title rate channelLiable priceSet ${MONEY_BAG} }`;
const DISCOUNT_ALLOCATION = `{ allocatedAmountSet ${MONEY_BAG} discountApplication { index } }`;
const ADDRESS = `{ firstName lastName name company address1 address2 city province provinceCode zip country countryCodeV2 phone latitude longitude }`;

const LINE_ITEM_FIELDS = `id name title variantTitle vendor sku quantity currentQuantity isGiftCard taxable requiresShipping
  originalUnitPriceSet ${MONEY_BAG} totalDiscountSet ${MONEY_BAG}
  customAttributes { key value }
  taxLines ${TAX_LINE}
  discountAllocations ${DISCOUNT_ALLOCATION}
  variant { id } product { id }`;

const SHIPPING_LINE_FIELDS = `id title code source carrierIdentifier phone isRemoved
  originalPriceSet ${MONEY_BAG} discountedPriceSet ${MONEY_BAG}
  taxLines ${TAX_LINE}
  discountAllocations ${DISCOUNT_ALLOCATION}`;

/** Page sizes of the nested connections; the rest is fetched page by page when there is more. */
export const PAGE = { lineItems: 50, shippingLines: 10, localizedFields: 20, refundLineItems: 25, refundShippingLines: 10, orderAdjustments: 10, transactions: 10 } as const;

// ─── operations ──────────────────────────────────────────────────────────────────────────────

/** The sweep's listing: orders changed since a moment, oldest change first. */
export const ORDERS_PAGE = `query PuenteOrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { id updatedAt }
  }
}`;

export const ORDERS_COUNT = `query PuenteOrdersCount($query: String) {
  ordersCount(query: $query, limit: null) { count precision }
}`;

export const ORDER_DETAIL = `query PuenteOrder($id: ID!) {
  order(id: $id) {
    id name createdAt updatedAt processedAt closedAt cancelledAt cancelReason test email phone note tags
    currencyCode presentmentCurrencyCode taxesIncluded taxExempt displayFinancialStatus displayFulfillmentStatus
    paymentGatewayNames
    customAttributes { key value }
    subtotalPriceSet ${MONEY_BAG} currentSubtotalPriceSet ${MONEY_BAG}
    totalPriceSet ${MONEY_BAG} currentTotalPriceSet ${MONEY_BAG}
    totalTaxSet ${MONEY_BAG} currentTotalTaxSet ${MONEY_BAG}
    totalDiscountsSet ${MONEY_BAG} currentTotalDiscountsSet ${MONEY_BAG}
    totalShippingPriceSet ${MONEY_BAG}
    taxLines ${TAX_LINE}
    billingAddress ${ADDRESS}
    shippingAddress ${ADDRESS}
    customer { id firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
    localizedFields(first: ${PAGE.localizedFields}) { pageInfo { hasNextPage endCursor } nodes { countryCode key purpose title value } }
    lineItems(first: ${PAGE.lineItems}) { pageInfo { hasNextPage endCursor } nodes { ${LINE_ITEM_FIELDS} } }
    shippingLines(first: ${PAGE.shippingLines}, includeRemovals: true) { pageInfo { hasNextPage endCursor } nodes { ${SHIPPING_LINE_FIELDS} } }
    refunds { id createdAt }
  }
}`;

/** More line items of an order with over PAGE.lineItems of them. */
export const ORDER_LINE_ITEMS_PAGE = `query PuenteOrderLineItems($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: ${PAGE.lineItems}, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${LINE_ITEM_FIELDS} } }
  }
}`;

export const REFUND_DETAIL = `query PuenteRefund($id: ID!, $after: String) {
  node(id: $id) {
    ... on Refund {
      id createdAt updatedAt note
      refundLineItems(first: ${PAGE.refundLineItems}, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { id quantity restockType location { id } subtotalSet ${MONEY_BAG} totalTaxSet ${MONEY_BAG} lineItem { ${LINE_ITEM_FIELDS} } }
      }
      refundShippingLines(first: ${PAGE.refundShippingLines}) {
        pageInfo { hasNextPage endCursor }
        nodes { id subtotalAmountSet ${MONEY_BAG} taxAmountSet ${MONEY_BAG} shippingLine { ${SHIPPING_LINE_FIELDS} } }
      }
      orderAdjustments(first: ${PAGE.orderAdjustments}) {
        pageInfo { hasNextPage endCursor }
        nodes { id amountSet ${MONEY_BAG} taxAmountSet ${MONEY_BAG} reason }
      }
      transactions(first: ${PAGE.transactions}) {
        pageInfo { hasNextPage endCursor }
        nodes { id kind status gateway test processedAt amountSet ${MONEY_BAG} parentTransaction { id } }
      }
    }
  }
}`;

export const ORDER_LOCALIZED_FIELDS = `query PuenteOrderLocalizedFields($id: ID!) {
  order(id: $id) {
    id
    localizedFields(first: ${PAGE.localizedFields}) { pageInfo { hasNextPage endCursor } nodes { countryCode key purpose title value } }
  }
}`;

export const WEBHOOK_SUBSCRIPTIONS = `query PuenteWebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri }
  }
}`;

export const WEBHOOK_SUBSCRIPTION_CREATE = `mutation PuenteWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}`;

export const WEBHOOK_SUBSCRIPTION_DELETE = `mutation PuenteWebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}`;

export const METAFIELDS_SET = `mutation PuenteMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key }
    userErrors { field message code }
  }
}`;

export const ORDER_METAFIELD = `query PuenteOrderMetafield($id: ID!, $namespace: String!, $key: String!) {
  order(id: $id) {
    id
    metafield(namespace: $namespace, key: $key) { id value }
  }
}`;

export const TAGS_ADD = `mutation PuenteTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}`;

export interface UserError {
  field: string[] | null;
  message: string;
  code?: string | null;
}
