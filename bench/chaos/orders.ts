/**
 * The chaos run's orders: seeded stories (paid; paid + partial refunds; paid + an edit that raises
 * the total; both; paid + cancellation) for one shop, the Shopify deliveries each story sends, and
 * — computed independently of Puente, in decimal from the sample builder's figures — the documents
 * the invoicing API must end up with for each order.
 *
 * Stories are chosen so the expected documents do not depend on the order deliveries arrive in:
 * refunds touch distinct lines (no shared rounding remainder), an order has at most one raise, and
 * a cancellation refunds everything, so whichever of the refund and the cancellation is seen first,
 * exactly one credit note for the whole invoice results.
 */
import {
  buildOrder,
  buildRefund,
  orderFigures,
  refundFigures,
  toShopifyJson,
  type SampleLine,
  type SampleOrder,
  type SampleRefund,
} from '../../connectors/shopify/samples/index.js';
import { Dec } from '../../src/domain/money.js';
import type { Random } from './random.js';

export type Country = 'CO' | 'VE' | 'PY';

type Product = Omit<SampleLine, 'id' | 'quantity'>;

interface CountryProfile {
  currency: string;
  offset: string;
  countryName: string;
  buyerTaxId: string;
  products: Product[];
  shippingPrice: string;
  shippingRate: string;
  /** Discount codes only where the currency has cents (a PYG discount split over lines would not). */
  discount?: string;
}

const product = (sku: string, title: string, unitPrice: string, taxRate: string, n: number): Product => ({
  productId: 9900000000000n + BigInt(n),
  variantId: 49900000000000n + BigInt(n),
  sku,
  title,
  variantTitle: null,
  vendor: 'Proveedor Caos',
  unitPrice,
  taxRate,
  grams: 500,
});

/** Several tax rates per country: standard, reduced, and exempt or luxury. */
export const COUNTRIES: Record<Country, CountryProfile> = {
  CO: {
    currency: 'COP',
    offset: '-05:00',
    countryName: 'Colombia',
    buyerTaxId: '900373115-3',
    products: [
      product('CO-AUD', 'Audífonos', '119000.00', '0.19', 1),
      product('CO-CAF', 'Café Huila 500 g', '32000.00', '0.05', 2),
      product('CO-LIB', 'Libro', '45000.00', '0', 3),
      product('CO-TAZ', 'Taza de cerámica', '18990.00', '0.19', 4),
    ],
    shippingPrice: '12000.00',
    shippingRate: '0.19',
    discount: '5000.00',
  },
  VE: {
    currency: 'VES',
    offset: '-04:00',
    countryName: 'Venezuela',
    buyerTaxId: 'J-31234567-5',
    products: [
      product('VE-LIC', 'Licuadora 600 W', '1450.00', '0.16', 11),
      product('VE-HAR', 'Harina de maíz 1 kg', '62.50', '0.08', 12),
      product('VE-WHI', 'Whisky 12 años', '2300.00', '0.31', 13),
      product('VE-OLL', 'Olla 5 L', '315.75', '0.16', 14),
    ],
    shippingPrice: '80.00',
    shippingRate: '0.16',
    discount: '100.00',
  },
  PY: {
    currency: 'PYG',
    offset: '-03:00',
    countryName: 'Paraguay',
    buyerTaxId: '80034512-6',
    products: [
      product('PY-YER', 'Yerba mate 1 kg', '28500.00', '0.05', 21),
      product('PY-TER', 'Termo de acero 1 L', '185000.00', '0.1', 22),
      product('PY-LIB', 'Diccionario guaraní', '60000.00', '0', 23),
      product('PY-BOM', 'Bombilla', '12000.00', '0.1', 24),
    ],
    shippingPrice: '20000.00',
    shippingRate: '0.1',
  },
};

export type StoryKind = 'paid' | 'refunds' | 'edit' | 'edit_refund' | 'cancel';

export interface Delivery {
  /** Index of the order in the whole run. */
  order: number;
  topic: 'orders/paid' | 'orders/updated' | 'orders/cancelled' | 'refunds/create';
  shop: string;
  /** The Shopify event id: the same on every duplicate of this delivery. */
  eventId: string;
  body: string;
}

/** What the invoicing API must hold for one order, amounts in the document currency. */
export interface ExpectedOrder {
  index: number;
  orderId: string;
  /** The buyer name every document of the order carries: how the checker tells orders apart. */
  buyer: string;
  story: StoryKind;
  invoice: Dec;
  credits: Dec[];
  debits: Dec[];
}

export interface GeneratedOrder {
  expected: ExpectedOrder;
  /** The story's deliveries, in the order the store would send them. */
  deliveries: Delivery[];
}

const dec = (value: { toFixed(dp: number): string }) => new Dec(value.toFixed(2));

/** The n-th order of the run for a shop in `country`, its story drawn from `random`. */
export function generateOrder(n: number, shop: string, country: Country, random: Random, seed: number): GeneratedOrder {
  const profile = COUNTRIES[country];
  const big = BigInt(n);
  const roll = random.next();
  const story: StoryKind = roll < 0.4 ? 'paid' : roll < 0.6 ? 'refunds' : roll < 0.75 ? 'edit' : roll < 0.87 ? 'edit_refund' : 'cancel';
  const lineCount = story === 'refunds' ? random.int(2, 4) : random.int(1, 4);
  const picked = random.shuffle([...profile.products]).slice(0, lineCount);
  const lines: SampleLine[] = picked.map((p, i) => ({ ...p, id: 18000000000000n + big * 10n + BigInt(i), quantity: random.int(1, 4) }));
  const withShipping = random.next() < 0.8;
  // A raise adds a line; the sample builder would re-spread a discount over it, which a real edit does not.
  const gross = lines.reduce((sum, l) => sum.plus(new Dec(l.unitPrice).times(l.quantity)), new Dec(0));
  // A discount code never takes more than the goods are worth (Shopify caps it); keep it well below.
  const discounted =
    profile.discount !== undefined && story !== 'edit' && story !== 'edit_refund' && gross.gt(new Dec(profile.discount).times(5)) && random.next() < 0.3;
  const buyer = `Caos ${n}`;
  const address = {
    firstName: 'Cliente',
    lastName: `Caos ${n}`,
    company: buyer,
    address1: `Calle ${1 + (n % 90)} # ${1 + (n % 50)}-${10 + (n % 80)}`,
    address2: null,
    city: 'Ciudad',
    province: 'Provincia',
    provinceCode: 'DC',
    zip: '110111',
    phone: '+570000000000',
  };
  const order: SampleOrder = {
    shop,
    currency: profile.currency,
    id: 8100000000000n + big,
    orderNumber: 100000 + n,
    token: (n.toString(16).padStart(8, '0') + 'c4a05').padEnd(32, '0'),
    confirmationNumber: `CAOS${n.toString(36).toUpperCase().padStart(6, '0')}`,
    createdAt: `2026-05-12T10:20:00${profile.offset}`,
    lines,
    ...(discounted ? { discount: { code: 'CAOS', amount: profile.discount! } } : {}),
    ...(withShipping
      ? { shipping: { id: 5800000000000n + big, title: 'Envío', price: profile.shippingPrice, taxRate: profile.shippingRate } }
      : {}),
    customer: { id: 7800000000000n + big, email: `caos${n}@correo.example`, phone: '+570000000000', createdAt: '2026-01-10T09:00:00-05:00' },
    billingAddress: address,
    noteAttributes: [
      { name: 'NIT', value: profile.buyerTaxId },
      { name: 'Razón social', value: buyer },
    ],
    landingSite: '/',
    gateway: 'manual',
  };

  const eventId = (k: string) => `chaos-${seed}-${n}-${k}`;
  const asCountry = (body: ReturnType<typeof buildOrder>) => localize(body, profile);
  const deliveries: Delivery[] = [];
  const push = (topic: Delivery['topic'], key: string, body: unknown) =>
    deliveries.push({ order: n, topic, shop, eventId: eventId(key), body: toShopifyJson(body as never) });

  const figures = orderFigures(order);
  const expected: ExpectedOrder = { index: n, orderId: order.id.toString(), buyer, story, invoice: dec(figures.total), credits: [], debits: [] };
  push('orders/paid', 'paid', asCountry(buildOrder(order)));
  // Shopify sends orders/updated on any change; one that does not raise the total issues nothing.
  if (random.next() < 0.25) push('orders/updated', 'touch', withUpdatedAt(asCountry(buildOrder(order)), `2026-05-12T10:40:00${profile.offset}`));

  let refundSeq = 0;
  const refundOf = (lineIndexes: number[], shipping: boolean, everything = false): SampleRefund => {
    refundSeq += 1;
    const id = 1800000000000n + big * 10n + BigInt(refundSeq);
    return {
      id,
      createdAt: `2026-05-13T15:0${refundSeq}:00${profile.offset}`,
      note: everything ? 'Pedido cancelado' : 'Devolución parcial',
      userId: null,
      lines: lineIndexes.map((i, k) => ({
        refundLineItemId: id * 10n + BigInt(k),
        lineItemId: lines[i]!.id,
        quantity: everything ? lines[i]!.quantity : random.int(1, lines[i]!.quantity),
        restockType: everything ? 'cancel' : 'return',
        locationId: 1090000000001n,
      })),
      ...(shipping && order.shipping ? { shipping: { refundShippingLineId: id * 10n + 9n } } : {}),
      transaction: { id: id + 1n, parentId: id + 2n, paymentId: `caos${n}r${refundSeq}` },
    };
  };
  const refund = (r: SampleRefund) => {
    expected.credits.push(creditNoteTotal(order, r));
    push('refunds/create', `refund-${refundSeq}`, buildRefund(order, r));
  };

  if (story === 'refunds') {
    // One or two refunds, each of a different line; the first may give the shipping back.
    const count = Math.min(lines.length, random.int(1, 2));
    const indexes = random.shuffle(lines.map((_, i) => i)).slice(0, count);
    indexes.forEach((i, k) => refund(refundOf([i], k === 0 && random.next() < 0.5)));
  }
  if (story === 'edit' || story === 'edit_refund') {
    const extra = profile.products[random.int(0, profile.products.length - 1)]!;
    const raised: SampleOrder = { ...order, lines: [...lines, { ...extra, id: 18000000000000n + big * 10n + 9n, quantity: random.int(1, 3) }] };
    expected.debits.push(dec(orderFigures(raised).total.minus(figures.total)));
    push('orders/updated', 'raise', withUpdatedAt(asCountry(buildOrder(raised)), `2026-05-12T11:00:00${profile.offset}`));
    if (story === 'edit_refund') refund(refundOf([random.int(0, lines.length - 1)], false));
  }
  if (story === 'cancel') {
    const everything = refundOf(lines.map((_, i) => i), true, true);
    const cancelledAt = `2026-05-13T18:00:00${profile.offset}`;
    push('orders/cancelled', 'cancel', asCountry(buildOrder(order, { cancelledAt, reason: 'customer', refunds: [everything] })));
    push('refunds/create', 'refund-cancel', buildRefund(order, everything));
    // Whichever is seen first — the refund or the cancellation — one credit note covers the invoice.
    expected.credits.push(expected.invoice);
  }
  return { expected, deliveries };
}

/**
 * What the credit note for a refund must total. Its base per line is what Shopify says was refunded
 * (the line's subtotal, discount already taken), but its tax is the rate applied to that base and
 * rounded half-up — as every fiscal document computes tax — not Shopify's prorated share of the
 * line's tax. The two can differ by a cent on a partial refund; the API checks the former.
 */
export function creditNoteTotal(order: SampleOrder, refund: SampleRefund): Dec {
  const figures = refundFigures(order, refund, []);
  let total = new Dec(0);
  for (const line of figures.lines) {
    const base = new Dec(line.subtotal.toFixed(2));
    total = total.plus(base).plus(base.times(line.figures.line.taxRate).toDecimalPlaces(2, Dec.ROUND_HALF_UP));
  }
  return total.plus(dec(figures.shipping)).plus(dec(figures.shippingTax));
}

/** The sample builder writes Colombian addresses; a store elsewhere has its own country. */
function localize(body: ReturnType<typeof buildOrder>, profile: CountryProfile) {
  const built = body as Record<string, unknown>;
  const customer = built.customer as Record<string, unknown> | undefined;
  for (const address of [built.billing_address, built.shipping_address, customer?.default_address]) {
    if (!address || typeof address !== 'object') continue;
    (address as Record<string, unknown>).country = profile.countryName;
    (address as Record<string, unknown>).country_code = Object.entries(COUNTRIES).find(([, p]) => p === profile)![0];
  }
  return body;
}

/** orders/updated carries the change's own updated_at: the edit id of the debit note it may call for. */
function withUpdatedAt(body: ReturnType<typeof buildOrder>, updatedAt: string) {
  (body as Record<string, unknown>).updated_at = updatedAt;
  return body;
}
