/**
 * The connectors this build of Puente ships, by type. The composition root (src/server.ts) builds
 * sources and targets from configuration through this table; nothing else names a connector.
 */
import type { SourceConnector, TargetConnector } from '../src/connector.js';
import type { Logger } from '../src/log.js';
import type { Store } from '../src/store/store.js';
import { ShopifySourceSettings, shopifySourceKey } from './shopify/config.js';
import type { ShopifyAdmin } from './shopify/admin/index.js';
import type { ShopifyAppLifecycleHandler } from './shopify/lifecycle.js';
import { shopifyBuyerTaxId, type TaxIdChain } from './shopify/tax-id.js';
import { createApidianTarget } from './apidian/index.js';
import { parseApidianTargetConfig } from './apidian/config.js';
import { APIDIAN_SANDBOX_DEMO_TOKEN, startApidianSandbox } from './apidian/sandbox/index.js';
import { createShopifyAppSource } from './shopify/index.js';
import { createOdooSource, parseOdooSourceBlock, testOdooConnection } from './odoo/index.js';
import { WooCommerceSourceSettings, wooCommerceSourceKey } from './woocommerce/config.js';
import { createWooCommerceSource } from './woocommerce/index.js';
import { startWooCommerceSandbox } from './woocommerce/sandbox/index.js';
import { ODOO_SANDBOX_API_KEY, ODOO_SANDBOX_DATABASE, ODOO_SANDBOX_LOGIN, startOdooSandbox } from './odoo/sandbox/index.js';
import { createTuimprentaTarget } from './tuimprenta/index.js';
import { parseTuimprentaTargetConfig } from './tuimprenta/config.js';
import { TUIMPRENTA_SANDBOX_API_KEY, TUIMPRENTA_SANDBOX_WEBHOOK_SECRET, startTuimprentaSandbox } from './tuimprenta/sandbox/index.js';
import { createFacturapiTarget } from './facturapi/index.js';
import { parseFacturapiTargetConfig } from './facturapi/config.js';
import { FACTURAPI_SANDBOX_DEMO_API_KEY, FACTURAPI_SANDBOX_DEMO_RUC, FACTURAPI_SANDBOX_DEMO_TENANT, startFacturapiSandbox } from './facturapi/sandbox/index.js';
import { createUnidigitalTarget } from './unidigital/index.js';
import { parseUnidigitalTargetConfig } from './unidigital/config.js';
import { UNIDIGITAL_SANDBOX_DEMO_PASSWORD, UNIDIGITAL_SANDBOX_DEMO_USER, UNIDIGITAL_SANDBOX_SERIES_ID, startUnidigitalSandbox } from './unidigital/sandbox/index.js';

export interface RunningSandbox {
  /** Base URL a target's `baseUrl` should use to reach it. */
  baseUrl: string;
  /** scheme://host:port, where the `/_sandbox/*` test endpoints live. */
  origin: string;
  /** Lines `puente sandbox NAME` prints under its address (demo credentials, …). */
  notes: string[];
  close(): Promise<void>;
}

export interface SandboxOptions {
  port: number;
  host?: string;
  dataFile?: string;
  /** The simulated API's own rate limit, where it has one. */
  requestsPerMinute?: number;
}

export interface TargetType {
  create(block: Record<string, unknown>, deps: { logger: Logger }): TargetConnector;
  /** Starts this target's local simulator (`puente sandbox NAME`, and accounts whose baseUrl is `embedded`). */
  startSandbox(options: SandboxOptions): Promise<RunningSandbox>;
}

/** The options that were given (sandboxes keep their own defaults for the rest). */
function given<T extends object>(options: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as never;
}

export const targetTypes: Record<string, TargetType> = {
  apidian: {
    create: (block, deps) => createApidianTarget(parseApidianTargetConfig(block), { logger: deps.logger }),
    async startSandbox(options) {
      const sandbox = await startApidianSandbox(given(options));
      return {
        baseUrl: `${sandbox.url}/api`,
        origin: sandbox.url,
        notes: [`demo company token  ${APIDIAN_SANDBOX_DEMO_TOKEN}`, `routes              ${sandbox.url}/api/ubl2.1/…`],
        close: () => sandbox.close(),
      };
    },
  },
  tuimprenta: {
    create: (block, deps) => createTuimprentaTarget(parseTuimprentaTargetConfig(block), { logger: deps.logger }),
    async startSandbox(options) {
      const sandbox = await startTuimprentaSandbox(given(options));
      return {
        baseUrl: sandbox.url,
        origin: sandbox.url,
        notes: [
          `demo API key        ${TUIMPRENTA_SANDBOX_API_KEY}`,
          `webhook secret      ${TUIMPRENTA_SANDBOX_WEBHOOK_SECRET}`,
          `routes              ${sandbox.url}/v1/…`,
        ],
        close: () => sandbox.close(),
      };
    },
  },
  facturapi: {
    create: (block, deps) => createFacturapiTarget(parseFacturapiTargetConfig(block), { logger: deps.logger }),
    async startSandbox(options) {
      const sandbox = await startFacturapiSandbox(given(options));
      return {
        baseUrl: sandbox.url,
        origin: sandbox.url,
        notes: [
          `demo tenant         ${FACTURAPI_SANDBOX_DEMO_TENANT} (issuer RUC ${FACTURAPI_SANDBOX_DEMO_RUC}, tipoContribuyente 2)`,
          `demo API key        ${FACTURAPI_SANDBOX_DEMO_API_KEY}`,
          `routes              ${sandbox.url}/${FACTURAPI_SANDBOX_DEMO_TENANT}/lote/create, /de/estado, /evento/…`,
        ],
        close: () => sandbox.close(),
      };
    },
  },
  unidigital: {
    // Reading the series counters at start lets the first Number continue from the imprenta's.
    create: (block, deps) => createUnidigitalTarget(parseUnidigitalTargetConfig(block), { logger: deps.logger, readCountersOnCreate: true }),
    // Unidigital has no numeric rate limit (its 429 means "previous request still processing"), so requestsPerMinute is not used.
    async startSandbox({ requestsPerMinute: _unused, ...options }) {
      const sandbox = await startUnidigitalSandbox(given(options));
      return {
        baseUrl: sandbox.baseUrl,
        origin: sandbox.url,
        notes: [
          `demo user           ${UNIDIGITAL_SANDBOX_DEMO_USER} / password ${UNIDIGITAL_SANDBOX_DEMO_PASSWORD}`,
          `series A strongId   ${UNIDIGITAL_SANDBOX_SERIES_ID}`,
          `control numbers     ${sandbox.sandbox.settings.controlNumberDelayMs / 1000} s after approval (POST ${sandbox.url}/_sandbox/settings {controlNumberDelayMs})`,
          `routes              ${sandbox.baseUrl}/…`,
        ],
        close: () => sandbox.close(),
      };
    },
  },
};

/** One connection's source, as the composition root hands it to its source type. */
export interface SourceBinding {
  connectionId: string;
  /** `woocommerce:shop.example` */
  source: string;
  settings: Record<string, unknown>;
}

export interface SourceType {
  /** Validates a connection's `source` block; a ZodError's paths are reported under `connections[i].source`. */
  parse(block: Record<string, unknown>): { source: string; settings: Record<string, unknown> };
  /** Minutes between reconciliation sweeps when the connection does not say (0: no sweep). */
  defaultSweepMinutes: number;
  /**
   * The buyer's tax id in an order payload, by the connection's chain (`taxId.sources`), for stage 1
   * as `buyerTaxId`. Sources whose mappings read the id themselves leave it out.
   */
  buyerTaxId?(order: unknown, country: string, chain: TaxIdChain): string;
  /** Checks a connection's credentials and what the source offers, saying which step failed and why. */
  testConnection?(settings: Record<string, unknown>): Promise<SourceConnectionTest>;
  /** Starts a local simulator of the store or ERP (`puente sandbox NAME`), where there is one. */
  startSandbox?(options: Pick<SandboxOptions, 'port' | 'host'>): Promise<RunningSandbox>;
}

export type SourceConnectionTest = { ok: true } & Record<string, unknown> | { ok: false; error: string } & Record<string, unknown>;

export const sourceTypes: Record<string, SourceType> = {
  shopify: {
    parse(block) {
      const settings = ShopifySourceSettings.parse(block);
      return { source: shopifySourceKey(settings.shop), settings };
    },
    defaultSweepMinutes: 10,
    buyerTaxId: shopifyBuyerTaxId,
  },
  woocommerce: {
    parse(block) {
      const settings = WooCommerceSourceSettings.parse(block);
      return { source: wooCommerceSourceKey(settings.url), settings };
    },
    // WooCommerce never retries a failed delivery: the sweep is what recovers a lost one.
    defaultSweepMinutes: 5,
    async startSandbox(options) {
      const sandbox = await startWooCommerceSandbox(given(options));
      return {
        baseUrl: sandbox.url,
        origin: sandbox.url,
        notes: [
          `consumer key        ${sandbox.consumerKey}`,
          `consumer secret     ${sandbox.consumerSecret}`,
          `webhook secret      ${sandbox.webhookSecret}`,
          `deliver webhooks    POST ${sandbox.url}/_sandbox/webhook {"deliveryUrl": "http://127.0.0.1:3000/webhooks/woocommerce/<connection>"}`,
          `an order            POST ${sandbox.url}/_sandbox/orders, then …/orders/<id>/pay (connectors/woocommerce/README.md)`,
        ],
        close: () => sandbox.close(),
      };
    },
  },
  odoo: {
    parse: parseOdooSourceBlock,
    testConnection: (settings) => testOdooConnection(settings),
    // Polling is how Odoo moves arrive (its webhook is an optional, unsigned, never-retried hint).
    defaultSweepMinutes: 1,
    async startSandbox(options) {
      const sandbox = await startOdooSandbox(given(options));
      return {
        baseUrl: sandbox.url,
        origin: sandbox.url,
        notes: [
          `database            ${ODOO_SANDBOX_DATABASE}`,
          `username            ${ODOO_SANDBOX_LOGIN}`,
          `API key             ${ODOO_SANDBOX_API_KEY}`,
          `post an invoice     POST ${sandbox.url}/_sandbox/invoices (connectors/odoo/README.md)`,
        ],
        close: () => sandbox.close(),
      };
    },
  },
};

export interface SourceDeps {
  shopify: {
    apiKey: string;
    apiSecretKey: string;
    apiVersion: string;
    /** What app/uninstalled and the compliance topics do (the Shopify app's install side). */
    lifecycle?: ShopifyAppLifecycleHandler;
    /** The offline token an OAuth install stored for a shop. */
    installedToken?: (shop: string) => Promise<string | undefined>;
    /** Where Puente is reached from Shopify (webhook subscriptions point there). */
    publicUrl?: string;
    /** Admin API origin instead of https://<shop> (a local simulator). */
    adminOrigin?: string;
  };
  bindings: SourceBinding[];
  store: Store;
  logger: Logger;
}

function shopifySource(deps: SourceDeps): { source: SourceConnector; admin: ShopifyAdmin } {
  const { installedToken, publicUrl, adminOrigin, ...receiver } = deps.shopify;
  return createShopifyAppSource({
    ...receiver,
    shops: () => deps.bindings.filter((b) => b.source.startsWith('shopify:')).map((b) => b.settings as ShopifySourceSettings),
    ...(installedToken ? { installedToken } : {}),
    ...(publicUrl ? { publicUrl } : {}),
    ...(adminOrigin ? { adminOrigin } : {}),
    logger: deps.logger.child({ source: 'shopify-admin' }),
  });
}

/** The sources, plus the Shopify Admin API client the app needs beside them (webhook subscriptions). */
export function createSourceSet(deps: SourceDeps): { sources: Record<string, SourceConnector>; shopifyAdmin: ShopifyAdmin } {
  const shopify = shopifySource(deps);
  return { sources: { ...createOtherSources(deps), shopify: shopify.source }, shopifyAdmin: shopify.admin };
}

export function createSources(deps: SourceDeps): Record<string, SourceConnector> {
  return createSourceSet(deps).sources;
}

function createOtherSources(deps: SourceDeps): Record<string, SourceConnector> {
  return {
    woocommerce: createWooCommerceSource({ bindings: () => deps.bindings, logger: deps.logger.child({ source: 'woocommerce' }) }),
    odoo: createOdooSource({ bindings: () => deps.bindings, logger: deps.logger.child({ source: 'odoo' }) }),
  };
}
