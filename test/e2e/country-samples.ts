/**
 * Shopify sample orders of a Venezuelan store (VES, IVA 16 / 8 / 31 %) and a Paraguayan store
 * (PYG, IVA 10 / 5 / 0 %), built with the same builders as the Colombian samples. Used by the
 * end-to-end tests of the Venezuelan and Paraguayan targets and by the stage-1 goldens
 * (mappings/shopify/fixtures/paid-order-ve-rif, paid-order-py-ruc), so both tell one story.
 */
import {
  buildOrder,
  type SampleAddress,
  type SampleCancellation,
  type SampleLine,
  type SampleOrder,
  type SampleRefund,
  type WireObject,
} from '../../connectors/shopify/samples/index.js';

const COUNTRY_NAMES = { VE: 'Venezuela', PY: 'Paraguay' } as const;

/**
 * buildOrder for a store outside Colombia: the sample builder writes every address in Colombia,
 * so the billing, shipping and customer addresses are moved to `country`.
 */
export function buildCountryOrder(order: SampleOrder, country: keyof typeof COUNTRY_NAMES, cancellation?: SampleCancellation): WireObject {
  const built = buildOrder(order, cancellation) as WireObject & Record<string, WireObject | undefined>;
  const customer = built.customer as (WireObject & { default_address?: WireObject }) | undefined;
  for (const address of [built.billing_address, built.shipping_address, customer?.default_address]) {
    if (!address) continue;
    address.country = COUNTRY_NAMES[country];
    address.country_code = country;
  }
  return built;
}

type Product = Omit<SampleLine, 'id' | 'quantity'>;

// ─── Venezuela ───────────────────────────────────────────────────────────────────────────────────

export const VE_SHOP = 'bodega-avila.myshopify.com';
/** The buyer's RIF with its SENIAT check digit (J-31234567 → 5). */
export const VE_BUYER_RIF = 'J-31234567-5';

const VE_PRODUCTS = {
  blender: {
    productId: 9101000000001n,
    variantId: 48100000000001n,
    sku: 'LIC-600-ROJ',
    title: 'Licuadora 600 W',
    variantTitle: 'Roja',
    vendor: 'Hogar Ávila',
    unitPrice: '1450.00',
    taxRate: '0.16',
    grams: 2100,
  },
  flour: {
    productId: 9101000000002n,
    variantId: 48100000000002n,
    sku: 'HAR-MAIZ-1K',
    title: 'Harina de maíz precocida',
    variantTitle: '1 kg',
    vendor: 'Molinos del Llano',
    unitPrice: '62.50',
    taxRate: '0.08',
    grams: 1000,
  },
  whisky: {
    productId: 9101000000003n,
    variantId: 48100000000003n,
    sku: 'WHI-12A-750',
    title: 'Whisky 12 años',
    variantTitle: '750 ml',
    vendor: 'Licores Importados',
    unitPrice: '2300.00',
    taxRate: '0.31',
    grams: 1300,
  },
} satisfies Record<string, Product>;

const CARACAS_COMPANY: SampleAddress = {
  firstName: 'Mariela',
  lastName: 'Contreras',
  company: 'Distribuidora El Samán, C.A.',
  address1: 'Av. Francisco de Miranda, Torre Delta, piso 6',
  address2: 'Oficina 6-B',
  city: 'Caracas',
  province: 'Distrito Capital',
  provinceCode: 'DC',
  zip: '1060',
  phone: '+582125550142',
};

/** orders/paid in VES: IVA 16 % (with part of a discount code), 8 % and 31 %, shipping at 16 %, RIF buyer. */
export const VE_PAID_ORDER: SampleOrder = {
  shop: VE_SHOP,
  currency: 'VES',
  id: 7300000000101n,
  orderNumber: 3101,
  token: 'b7e1c0d94f2a4b6e8c1d3f5a7b9c2e40',
  confirmationNumber: 'VE7K2PQ9M',
  createdAt: '2026-05-12T10:20:00-04:00',
  lines: [
    { id: 17300000000101n, quantity: 2, ...VE_PRODUCTS.blender },
    { id: 17300000000102n, quantity: 4, ...VE_PRODUCTS.flour },
    { id: 17300000000103n, quantity: 1, ...VE_PRODUCTS.whisky },
  ],
  discount: { code: 'AVILA100', amount: '100.00' },
  shipping: { id: 5300000000101n, title: 'Envío Caracas', price: '80.00', taxRate: '0.16' },
  customer: { id: 7500000000101n, email: 'compras@elsaman.example', phone: '+582125550142', createdAt: '2026-01-10T09:00:00-04:00' },
  billingAddress: CARACAS_COMPANY,
  noteAttributes: [
    { name: 'NIT', value: VE_BUYER_RIF },
    { name: 'Razón social', value: 'Distribuidora El Samán, C.A.' },
  ],
  landingSite: '/',
  gateway: 'shopify_payments',
};

/** refunds/create: one blender returned (no shipping refunded). */
export const VE_PARTIAL_REFUND: SampleRefund = {
  id: 1300000000101n,
  createdAt: '2026-05-13T15:00:00-04:00',
  note: 'Devolución de una licuadora',
  userId: 1400000000101n,
  lines: [{ refundLineItemId: 5300000000901n, lineItemId: 17300000000101n, quantity: 1, restockType: 'return', locationId: 1090000000001n }],
  transaction: { id: 7300000000902n, parentId: 7300000000901n, paymentId: 'veRefund0001' },
};

/** The same order after an edit that adds two more bags of flour as a new line (orders/updated). */
export const VE_RAISED_ORDER: SampleOrder = {
  ...VE_PAID_ORDER,
  lines: [...VE_PAID_ORDER.lines, { id: 17300000000104n, quantity: 2, ...VE_PRODUCTS.flour }],
};

// ─── Paraguay ────────────────────────────────────────────────────────────────────────────────────

export const PY_SHOP = 'tienda-ypora.myshopify.com';
/** The buyer's RUC with its SET check digit (80034512 → 6). */
export const PY_BUYER_RUC = '80034512-6';

const PY_PRODUCTS = {
  yerba: {
    productId: 9201000000001n,
    variantId: 48200000000001n,
    sku: 'YER-1K-TRAD',
    title: 'Yerba mate tradicional',
    variantTitle: '1 kg',
    vendor: 'Yerbatera del Guairá',
    unitPrice: '28500.00',
    taxRate: '0.05',
    grams: 1000,
  },
  thermos: {
    productId: 9201000000002n,
    variantId: 48200000000002n,
    sku: 'TER-1L-ACE',
    title: 'Termo de acero 1 L',
    variantTitle: null,
    vendor: 'Guampa S.A.',
    unitPrice: '185000.00',
    taxRate: '0.1',
    grams: 700,
  },
  book: {
    productId: 9201000000003n,
    variantId: 48200000000003n,
    sku: 'LIB-GUA-001',
    title: 'Libro: Diccionario guaraní',
    variantTitle: null,
    vendor: 'Editorial Ñandutí',
    unitPrice: '60000.00',
    taxRate: '0',
    grams: 600,
  },
} satisfies Record<string, Product>;

const ASUNCION_COMPANY: SampleAddress = {
  firstName: 'Rodrigo',
  lastName: 'Benítez',
  company: 'Comercial Ypacaraí S.A.',
  address1: 'Avda. Mariscal López 1234',
  address2: null,
  city: 'Asunción',
  province: 'Asunción',
  provinceCode: 'ASU',
  zip: '1209',
  phone: '+595215550142',
};

/** orders/paid in PYG: IVA 5 % and 10 %, an exento line, shipping at 10 %, RUC buyer. */
export const PY_PAID_ORDER: SampleOrder = {
  shop: PY_SHOP,
  currency: 'PYG',
  id: 7400000000201n,
  orderNumber: 4201,
  token: 'c3a9f1e27d5b4c0a9e8f6d4b2a1c3e57',
  confirmationNumber: 'PY4N8RT2K',
  createdAt: '2026-05-12T10:20:00-03:00',
  lines: [
    { id: 17400000000201n, quantity: 2, ...PY_PRODUCTS.yerba },
    { id: 17400000000202n, quantity: 1, ...PY_PRODUCTS.thermos },
    { id: 17400000000203n, quantity: 1, ...PY_PRODUCTS.book },
  ],
  shipping: { id: 5400000000201n, title: 'Envío Asunción', price: '20000.00', taxRate: '0.1' },
  customer: { id: 7600000000201n, email: 'compras@ypacarai.example', phone: '+595215550142', createdAt: '2026-02-01T09:00:00-03:00' },
  billingAddress: ASUNCION_COMPANY,
  noteAttributes: [
    { name: 'NIT', value: PY_BUYER_RUC },
    { name: 'Razón social', value: 'Comercial Ypacaraí S.A.' },
  ],
  landingSite: '/',
  gateway: 'shopify_payments',
};

/** refunds/create: one bag of yerba returned. */
export const PY_PARTIAL_REFUND: SampleRefund = {
  id: 1400000000201n,
  createdAt: '2026-05-13T15:00:00-03:00',
  note: 'Devolución de una yerba',
  userId: 1400000000202n,
  lines: [{ refundLineItemId: 5400000000901n, lineItemId: 17400000000201n, quantity: 1, restockType: 'return', locationId: 1090000000002n }],
  transaction: { id: 7400000000902n, parentId: 7400000000901n, paymentId: 'pyRefund0001' },
};

/** The same order after an edit that adds a second thermos as a new line (orders/updated). */
export const PY_RAISED_ORDER: SampleOrder = {
  ...PY_PAID_ORDER,
  lines: [...PY_PAID_ORDER.lines, { id: 17400000000204n, quantity: 1, ...PY_PRODUCTS.thermos }],
};
