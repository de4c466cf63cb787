/**
 * What Puente does when Shopify says the app's relationship with a shop or a customer changed:
 * app/uninstalled and the three mandatory compliance topics (reference §1.7). Every action is done
 * and durable before the promise resolves, so the webhook is answered 2xx only afterwards; each one
 * is idempotent, so a redelivery repeats it harmlessly.
 *
 * What is kept and removed is written down in docs/privacy.md; `scrubOrderPayload` is the rule.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../src/log.js';
import type { DocumentRecord, EventRecord, EventStatus, Store } from '../../src/store/store.js';
import type { ShopifySessionStore } from './sessions.js';

const ShopifyId = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);
const Customer = z.looseObject({
  id: ShopifyId.optional().nullable(),
  email: z.string().optional().nullable(),
  phone: z.string().optional().nullable(),
});

export const CustomersRedactPayload = z.looseObject({
  shop_domain: z.string().optional(),
  customer: Customer,
  orders_to_redact: z.array(ShopifyId).default([]),
});
export type CustomersRedactPayload = z.infer<typeof CustomersRedactPayload>;

export const CustomersDataRequestPayload = z.looseObject({
  shop_domain: z.string().optional(),
  customer: Customer,
  orders_requested: z.array(ShopifyId).default([]),
  data_request: z.looseObject({ id: ShopifyId }).optional(),
});
export type CustomersDataRequestPayload = z.infer<typeof CustomersDataRequestPayload>;

export const ShopRedactPayload = z.looseObject({ shop_domain: z.string().optional() });

/** What the webhook receiver hands compliance and uninstall deliveries to. */
export interface ShopifyAppLifecycleHandler {
  onUninstalled(shop: string): Promise<void>;
  onCustomersRedact(shop: string, payload: CustomersRedactPayload): Promise<{ events: number }>;
  onShopRedact(shop: string): Promise<{ events: number }>;
  onDataRequest(shop: string, payload: CustomersDataRequestPayload): Promise<{ exportId: string }>;
}

export interface ShopifyAppLifecycleDeps {
  store: Store;
  sessions: ShopifySessionStore;
  /** Stops the shop's processing: its live connection goes, its installation is marked uninstalled. */
  stopShop(shop: string): Promise<void>;
  /** Forgets the shop's saved settings and invoicing credentials (shop/redact). */
  forgetShop(shop: string): Promise<void>;
  log: Logger;
  clock?: () => Date;
}

export const PRIVACY_EXPORT_PREFIX = 'privacy-export:';
/** Marks a payload that was redacted (and when), for the export and for audits. */
const REDACTED_MARK = 'puente_redacted_at';

/** Keys whose values are personal data not needed for any fiscal document, removed wherever they appear. */
const PERSONAL_KEYS = new Set([
  'email',
  'contact_email',
  'phone',
  'browser_ip',
  'client_details',
  'landing_site',
  'landing_site_ref',
  'referring_site',
  'order_status_url',
  'customer_locale',
  'shipping_address',
  'payment_details',
  'note',
  'device_id',
  'latitude',
  'longitude',
  'default_address',
  'addresses',
]);

/** Cart attributes that carry what an invoice needs (buyer tax id, legal name, exchange rate). */
const FISCAL_NOTE_ATTRIBUTES = ['NIT', 'DV', 'Razón social', 'RUC', 'RIF', 'tasa_bcv'];

/** Billing address fields an invoice carries as the buyer's identity and fiscal address. */
const BILLING_IDENTITY = ['name', 'first_name', 'last_name', 'company', 'country', 'country_code'];
const BILLING_FISCAL_ADDRESS = ['address1', 'address2', 'city', 'province', 'province_code', 'zip'];

export interface ScrubOptions {
  /** An issued document used this order's billing address: keep it (it is part of the fiscal record). */
  keepFiscalAddress: boolean;
  /** Cart attributes to keep (the installation's tax-id attribute is added to the defaults). */
  keepNoteAttributes?: readonly string[];
  redactedAt: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => record[key] !== undefined).map((key) => [key, record[key]]));
}

/**
 * A copy of a stored Shopify payload (order, refund or order edit) without the buyer's personal data
 * that no fiscal document needs. Kept: ids, amounts, lines, taxes, dates; the buyer's name, company
 * and tax-id cart attributes; the billing street address only when an issued document used it.
 */
function scrubOrderPayload(payload: unknown, options: ScrubOptions): unknown {
  const keepAttributes = new Set([...FISCAL_NOTE_ATTRIBUTES, ...(options.keepNoteAttributes ?? [])]);
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (Array.isArray(value)) {
      if (key === 'note_attributes') {
        return value.filter((attribute) => isRecord(attribute) && typeof attribute.name === 'string' && keepAttributes.has(attribute.name));
      }
      // Line item properties are personalisation (engraving texts, names), never fiscal data.
      if (key === 'properties') return [];
      return value.map((item) => walk(item, undefined));
    }
    if (!isRecord(value)) return value;
    if (key === 'customer') return value.id === undefined ? {} : { id: value.id };
    if (key === 'billing_address') {
      return pick(value, options.keepFiscalAddress ? [...BILLING_IDENTITY, ...BILLING_FISCAL_ADDRESS] : BILLING_IDENTITY);
    }
    const out: Record<string, unknown> = {};
    for (const [name, child] of Object.entries(value)) {
      if (PERSONAL_KEYS.has(name)) continue;
      out[name] = walk(child, name);
    }
    return out;
  };
  const scrubbed = walk(payload, undefined);
  return isRecord(scrubbed) ? { ...scrubbed, [REDACTED_MARK]: options.redactedAt } : scrubbed;
}

const STATUSES: EventStatus[] = ['received', 'waiting', 'processed', 'ignored', 'unroutable', 'needs_attention'];
const MAX_PAGE = 1000;

export class ShopifyAppLifecycle implements ShopifyAppLifecycleHandler {
  readonly #deps: ShopifyAppLifecycleDeps;
  readonly #clock: () => Date;

  constructor(deps: ShopifyAppLifecycleDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  async onUninstalled(shop: string): Promise<void> {
    const sessions = await this.#deps.sessions.deleteShop(shop);
    await this.#deps.stopShop(shop);
    this.#deps.log.info({ shop, sessions }, 'shopify app uninstalled: token removed, processing stopped');
  }

  async onCustomersRedact(shop: string, payload: CustomersRedactPayload): Promise<{ events: number }> {
    const events = await this.#customerEvents(shop, payload.customer, payload.orders_to_redact);
    const redacted = await this.#scrub(events);
    this.#deps.log.info({ shop, orders: payload.orders_to_redact.length, events: redacted }, 'customers/redact done');
    return { events: redacted };
  }

  async onShopRedact(shop: string): Promise<{ events: number }> {
    const redacted = await this.#scrub(await this.#shopEvents(shop));
    await this.#deps.sessions.deleteShop(shop);
    await this.#deps.forgetShop(shop);
    for (const entry of await this.#deps.store.listState<{ shop: string }>(PRIVACY_EXPORT_PREFIX)) {
      if (entry.value.shop === shop) await this.#deps.store.deleteState(entry.key);
    }
    this.#deps.log.info({ shop, events: redacted }, 'shop/redact done: personal data removed, settings and sessions forgotten');
    return { events: redacted };
  }

  async onDataRequest(shop: string, payload: CustomersDataRequestPayload): Promise<{ exportId: string }> {
    const events = await this.#customerEvents(shop, payload.customer, payload.orders_requested);
    const orderIds = [...new Set(events.map((event) => event.orderId))];
    const documents: DocumentRecord[] = [];
    for (const orderId of orderIds) {
      documents.push(...(await this.#deps.store.listDocuments({ orderId, limit: MAX_PAGE })).filter((d) => d.source === `shopify:${shop}`));
    }
    const requestId = payload.data_request?.id;
    const exportId = requestId ? `shopify-${shop}-${requestId}` : `shopify-${shop}-${randomUUID()}`;
    const record = {
      id: exportId,
      shop,
      generatedAt: this.#clock().toISOString(),
      request: { id: requestId ?? null, customer: payload.customer, ordersRequested: payload.orders_requested },
      explanation:
        'Everything Puente holds on this customer: the order and refund deliveries Shopify sent (as stored, after any redaction) ' +
        'and the fiscal documents issued or prepared for those orders.',
      events: events.map((event) => ({
        id: event.id,
        kind: event.kind,
        topic: event.topic,
        orderId: event.orderId,
        refundId: event.refundId ?? null,
        receivedAt: event.receivedAt,
        status: event.status,
        payload: event.payload,
      })),
      documents: documents.map((document) => ({
        id: document.id,
        kind: document.kind,
        orderId: document.orderId,
        status: document.status,
        series: document.series,
        number: document.number ?? null,
        buyer: document.fiscal?.buyer ?? null,
        result: document.result ?? null,
      })),
    };
    await this.#deps.store.putState(`${PRIVACY_EXPORT_PREFIX}${exportId}`, record);
    this.#deps.log.info({ shop, exportId, events: events.length, documents: documents.length }, 'customers/data_request: export ready');
    return { exportId };
  }

  /** The shop's events about this customer: the orders named, plus any whose payload names the customer. */
  async #customerEvents(shop: string, customer: z.infer<typeof Customer>, orderIds: readonly string[]): Promise<EventRecord[]> {
    const source = `shopify:${shop}`;
    const found = new Map<string, EventRecord>();
    for (const orderId of orderIds) {
      for (const event of await this.#deps.store.listEvents({ source, orderId, limit: MAX_PAGE })) found.set(event.id, event);
    }
    const email = customer.email?.toLowerCase();
    const matches = (payload: unknown): boolean => {
      if (!isRecord(payload)) return false;
      const buyer = isRecord(payload.customer) ? payload.customer : {};
      if (customer.id && buyer.id !== undefined && String(buyer.id) === customer.id) return true;
      return !!email && [payload.email, payload.contact_email, buyer.email].some((value) => typeof value === 'string' && value.toLowerCase() === email);
    };
    const matchedOrders = new Set<string>();
    for (const event of await this.#shopEvents(shop)) {
      if (matches(event.payload)) matchedOrders.add(event.orderId);
    }
    // A refund delivery does not name the customer: it belongs to them through its order.
    for (const orderId of matchedOrders) {
      if (orderIds.includes(orderId)) continue;
      for (const event of await this.#deps.store.listEvents({ source, orderId, limit: MAX_PAGE })) found.set(event.id, event);
    }
    return [...found.values()];
  }

  async #shopEvents(shop: string): Promise<EventRecord[]> {
    const source = `shopify:${shop}`;
    const all: EventRecord[] = [];
    // One query per status: the store lists at most 1000 events per query. Archived events count too.
    for (const status of STATUSES) all.push(...(await this.#deps.store.listEvents({ source, status, limit: MAX_PAGE, archived: 'include' })));
    return all;
  }

  async #scrub(events: EventRecord[]): Promise<number> {
    const redactedAt = this.#clock().toISOString();
    const issuedOrders = new Map<string, boolean>();
    let count = 0;
    for (const event of events) {
      let keepFiscalAddress = issuedOrders.get(event.orderId);
      if (keepFiscalAddress === undefined) {
        const documents = await this.#deps.store.listDocuments({ orderId: event.orderId, limit: MAX_PAGE });
        keepFiscalAddress = documents.some((d) => d.source === event.source && d.status === 'issued');
        issuedOrders.set(event.orderId, keepFiscalAddress);
      }
      await this.#deps.store.updateEvent(event.id, { payload: scrubOrderPayload(event.payload, { keepFiscalAddress, redactedAt }) });
      count++;
    }
    return count;
  }
}
