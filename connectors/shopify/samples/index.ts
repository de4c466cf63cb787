/**
 * Sample Shopify webhook bodies for a Colombian demo store (COP, prices before tax), used by the
 * demo, tests and benchmarks. The JSON files beside this module are these same bodies written out
 * by `generate.ts`; a test keeps the two identical.
 */
import {
  buildOrder,
  buildRefund,
  orderFigures,
  toShopifyJson,
  type SampleAddress,
  type SampleLine,
  type SampleOrder,
  type SampleRefund,
} from './build.js';

export const SAMPLE_SHOP = 'puente-demo.myshopify.com';
export const SAMPLE_CURRENCY = 'COP';

/** DIAN check digit (DV) of a NIT: weighted sum of the digits from the right, modulo 11. */
export function nitCheckDigit(nit: string): number {
  if (!/^[0-9]{1,15}$/.test(nit)) throw new Error('a NIT has 1 to 15 digits (without the check digit)');
  const weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  let sum = 0;
  const digits = nit.split('').reverse();
  digits.forEach((digit, i) => {
    sum += Number(digit) * weights[i]!;
  });
  const r = sum % 11;
  return r === 0 || r === 1 ? r : 11 - r;
}

/** The demo buyer's NIT with its DV: 900373115-3. */
export const SAMPLE_BUYER_NIT = `900373115-${nitCheckDigit('900373115')}`;

const CATALOG = {
  headphones: {
    productId: 8901234567801n,
    variantId: 47123456789011n,
    sku: 'AUD-BT-NEG',
    title: 'Audífonos inalámbricos Sonata',
    variantTitle: 'Negro',
    vendor: 'Sonata Audio',
    unitPrice: '119000.00',
    taxRate: '0.19',
    grams: 250,
  },
  coffee: {
    productId: 8901234567802n,
    variantId: 47123456789012n,
    sku: 'CAF-HUI-500',
    title: 'Café tostado en grano Huila',
    variantTitle: '500 g',
    vendor: 'Tostadores del Huila',
    unitPrice: '32000.00',
    taxRate: '0.05',
    grams: 520,
  },
  book: {
    productId: 8901234567803n,
    variantId: 47123456789013n,
    sku: 'LIB-CAS-001',
    title: 'Libro: Cien años de soledad',
    variantTitle: null,
    vendor: 'Editorial Macondo',
    unitPrice: '45000.00',
    taxRate: '0',
    grams: 480,
  },
} satisfies Record<string, Omit<SampleLine, 'id' | 'quantity'>>;

const BOGOTA_COMPANY: SampleAddress = {
  firstName: 'Andrea',
  lastName: 'Rincón',
  company: 'Tostadores Andinos S.A.S.',
  address1: 'Calle 93 # 11A-28',
  address2: 'Oficina 402',
  city: 'Bogotá',
  province: 'Bogotá, D.C.',
  provinceCode: 'DC',
  zip: '110221',
  phone: '+576015550142',
};

const MEDELLIN_PERSON: SampleAddress = {
  firstName: 'Laura',
  lastName: 'Gómez',
  company: null,
  address1: 'Carrera 43A # 1 Sur-50',
  address2: null,
  city: 'Medellín',
  province: 'Antioquia',
  provinceCode: 'ANT',
  zip: '050021',
  phone: '+573005550187',
};

/** orders/paid: three lines at IVA 19 %, 5 % and 0 %, a 20 000 COP discount code, shipping at 19 %. */
export const SAMPLE_PAID_ORDER: SampleOrder = {
  shop: SAMPLE_SHOP,
  currency: SAMPLE_CURRENCY,
  id: 6123456789012n,
  orderNumber: 1001,
  token: '3f9c2a7d81e64b0c9a5d2e7f10b4c6a8',
  confirmationNumber: 'KX7PZ3QHD',
  createdAt: '2026-03-14T10:21:35-05:00',
  lines: [
    { id: 15234567890101n, quantity: 2, ...CATALOG.headphones },
    { id: 15234567890102n, quantity: 3, ...CATALOG.coffee },
    { id: 15234567890103n, quantity: 1, ...CATALOG.book },
  ],
  discount: { code: 'BIENVENIDA20', amount: '20000.00' },
  shipping: { id: 5012345678901n, title: 'Envío estándar', price: '12000.00', taxRate: '0.19' },
  customer: { id: 7345678901234n, email: 'compras@tostadores-andinos.example', phone: '+576015550142', createdAt: '2025-11-02T09:12:44-05:00' },
  billingAddress: BOGOTA_COMPANY,
  noteAttributes: [
    { name: 'NIT', value: SAMPLE_BUYER_NIT },
    { name: 'Razón social', value: 'Tostadores Andinos S.A.S.' },
  ],
  landingSite: '/?utm_source=instagram&utm_medium=social',
  gateway: 'shopify_payments',
};

/** refunds/create: one unit of the headphones plus the whole shipping line. */
export const SAMPLE_PARTIAL_REFUND: SampleRefund = {
  id: 1012345678901n,
  createdAt: '2026-03-20T15:04:10-05:00',
  note: 'Devolución de un audífono; se reembolsa el envío',
  userId: 1123456789012n,
  lines: [
    { refundLineItemId: 5432109876541n, lineItemId: 15234567890101n, quantity: 1, restockType: 'return', locationId: 1081234567890n },
  ],
  shipping: { refundShippingLineId: 6543210987654n },
  transaction: { id: 7012345678902n, parentId: 7012345678901n, paymentId: 'cK3pQ9xV2mT8rJ5wN1zB7hL4d' },
};

/** The refund made when the order is cancelled: everything that was not refunded before. */
export const SAMPLE_CANCELLATION_REFUND: SampleRefund = {
  id: 1012345678902n,
  createdAt: '2026-03-22T11:30:00-05:00',
  note: 'Pedido cancelado por el cliente',
  userId: 1123456789012n,
  lines: [
    { refundLineItemId: 5432109876542n, lineItemId: 15234567890101n, quantity: 1, restockType: 'cancel', locationId: 1081234567890n },
    { refundLineItemId: 5432109876543n, lineItemId: 15234567890102n, quantity: 3, restockType: 'cancel', locationId: 1081234567890n },
    { refundLineItemId: 5432109876544n, lineItemId: 15234567890103n, quantity: 1, restockType: 'cancel', locationId: 1081234567890n },
  ],
  transaction: { id: 7012345678903n, parentId: 7012345678901n, paymentId: 'cK3pQ9xV2mT8rJ5wN1zB7hL4e' },
};

export const SAMPLE_CANCELLED_AT = '2026-03-22T11:30:00-05:00';

/** orders/paid from a final consumer (no tax id): one line, no discount, no shipping. */
export const SAMPLE_FINAL_CONSUMER_ORDER: SampleOrder = {
  shop: SAMPLE_SHOP,
  currency: SAMPLE_CURRENCY,
  id: 6123456789345n,
  orderNumber: 1002,
  token: 'a81c4e0f9b2d47c6b3e5f7a9d1c2e4b6',
  confirmationNumber: 'RM4TY8WQN',
  createdAt: '2026-03-15T18:45:02-05:00',
  lines: [{ id: 15234567890201n, quantity: 2, ...CATALOG.coffee }],
  customer: { id: 7345678901399n, email: 'laura.gomez@correo.example', phone: '+573005550187', createdAt: '2026-03-15T18:40:11-05:00' },
  billingAddress: MEDELLIN_PERSON,
  noteAttributes: [],
  landingSite: '/',
  gateway: 'shopify_payments',
};

/** The four sample bodies, as Shopify would send them (pretty-printed: HMACs cover any bytes). */
export const sampleBodies = {
  'order-paid.json': () => toShopifyJson(buildOrder(SAMPLE_PAID_ORDER), 2) + '\n',
  'refund-partial.json': () => toShopifyJson(buildRefund(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND), 2) + '\n',
  'order-cancelled.json': () =>
    toShopifyJson(
      buildOrder(SAMPLE_PAID_ORDER, {
        cancelledAt: SAMPLE_CANCELLED_AT,
        reason: 'customer',
        refunds: [SAMPLE_PARTIAL_REFUND, SAMPLE_CANCELLATION_REFUND],
      }),
      2,
    ) + '\n',
  'order-paid-final-consumer.json': () => toShopifyJson(buildOrder(SAMPLE_FINAL_CONSUMER_ORDER), 2) + '\n',
} as const;

export type SampleFileName = keyof typeof sampleBodies;

/** The topic each sample file is delivered under. */
export const SAMPLE_TOPICS: Record<SampleFileName, string> = {
  'order-paid.json': 'orders/paid',
  'refund-partial.json': 'refunds/create',
  'order-cancelled.json': 'orders/cancelled',
  'order-paid-final-consumer.json': 'orders/paid',
};

export interface DemoOrder {
  topic: 'orders/paid';
  shop: string;
  orderId: string;
  name: string;
  /** Total to pay, decimal string in COP. */
  totalPrice: string;
  /** Whether the buyer gave a NIT (else: final consumer). */
  hasTaxId: boolean;
  /** The compact webhook body, ids as bare numbers, ready to sign and send. */
  body: string;
}

const FIRST_NAMES = ['Camila', 'Santiago', 'Valentina', 'Mateo', 'Isabella', 'Samuel', 'Mariana', 'Nicolás'];
const LAST_NAMES = ['Restrepo', 'Vargas', 'Londoño', 'Cárdenas', 'Ospina', 'Salazar', 'Quintero', 'Mejía'];
const CITIES: Pick<SampleAddress, 'city' | 'province' | 'provinceCode' | 'zip'>[] = [
  { city: 'Bogotá', province: 'Bogotá, D.C.', provinceCode: 'DC', zip: '110111' },
  { city: 'Medellín', province: 'Antioquia', provinceCode: 'ANT', zip: '050001' },
  { city: 'Cali', province: 'Valle del Cauca', provinceCode: 'VAC', zip: '760001' },
  { city: 'Barranquilla', province: 'Atlántico', provinceCode: 'ATL', zip: '080001' },
];
const PRODUCTS = [CATALOG.headphones, CATALOG.coffee, CATALOG.book];

/**
 * The n-th demo order (n = 0, 1, 2, …): distinct ids, number and name, 1 to 3 lines with varying
 * quantities, a discount code on every fourth order, and a NIT buyer on every other order.
 * Deterministic: the same n always gives the same body.
 */
export function demoOrder(n: number): DemoOrder {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`demoOrder(n): n must be a whole number ≥ 0, got ${n}`);
  const big = BigInt(n);
  const lineCount = 1 + (n % 3);
  const lines: SampleLine[] = [];
  for (let i = 0; i < lineCount; i++) {
    const product = PRODUCTS[(n + i) % PRODUCTS.length]!;
    lines.push({ ...product, id: 16000000000000n + big * 10n + BigInt(i), quantity: 1 + ((n + 2 * i) % 4) });
  }
  const first = FIRST_NAMES[n % FIRST_NAMES.length]!;
  const last = LAST_NAMES[Math.floor(n / FIRST_NAMES.length) % LAST_NAMES.length]!;
  const place = CITIES[n % CITIES.length]!;
  const hasTaxId = n % 2 === 0;
  const nit = String(800000000 + ((n * 7919) % 199999999));
  const order: SampleOrder = {
    shop: SAMPLE_SHOP,
    currency: SAMPLE_CURRENCY,
    id: 6200000000000n + big,
    orderNumber: 2001 + n,
    token: (n.toString(16).padStart(8, '0') + 'd3m0').padEnd(32, '7'),
    confirmationNumber: `DEMO${n.toString(36).toUpperCase().padStart(5, '0')}`,
    createdAt: '2026-04-01T09:00:00-05:00',
    lines,
    ...(n % 4 === 0 ? { discount: { code: 'DEMO5000', amount: '5000.00' } } : {}),
    shipping: { id: 5100000000000n + big, title: 'Envío estándar', price: '12000.00', taxRate: '0.19' },
    customer: {
      id: 7400000000000n + big,
      email: `cliente${n}@correo.example`,
      phone: `+57300${String(5550000 + (n % 10000)).padStart(7, '0')}`,
      createdAt: '2026-03-01T08:00:00-05:00',
    },
    billingAddress: {
      firstName: first,
      lastName: last,
      company: hasTaxId ? `Comercializadora ${last} S.A.S.` : null,
      address1: `Calle ${10 + (n % 90)} # ${1 + (n % 50)}-${10 + (n % 80)}`,
      address2: null,
      phone: `+57300${String(5550000 + (n % 10000)).padStart(7, '0')}`,
      ...place,
    },
    noteAttributes: hasTaxId ? [{ name: 'NIT', value: `${nit}-${nitCheckDigit(nit)}` }] : [],
    landingSite: '/',
    gateway: 'shopify_payments',
  };
  return {
    topic: 'orders/paid',
    shop: SAMPLE_SHOP,
    orderId: order.id.toString(),
    name: `#${order.orderNumber}`,
    totalPrice: orderFigures(order).total.toFixed(2),
    hasTaxId,
    body: toShopifyJson(buildOrder(order)),
  };
}

export { buildOrder, buildRefund, orderFigures, refundFigures, toShopifyJson } from './build.js';
export type { SampleOrder, SampleRefund, SampleLine, SampleAddress, SampleCancellation, WireValue, WireObject } from './build.js';
