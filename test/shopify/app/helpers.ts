/**
 * The install side of the Shopify app on a real express server and a real store in a temp directory:
 * createShopifyApp's router, the Shopify webhook receiver wired to its lifecycle, and the inbox.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { targetTypes } from '../../../connectors/index.js';
import { createShopifySource } from '../../../connectors/shopify/index.js';
import { jsonErrorHandler } from '../../../src/http/errors.js';
import { createShopifyApp, type ShopifyApp, type ShopifyAppOptions } from '../../../src/http/pages/index.js';
import { webhookRouter } from '../../../src/http/webhooks.js';
import { createLogger } from '../../../src/log.js';
import { Connections } from '../../../src/pipeline/connections.js';
import { Inbox } from '../../../src/pipeline/inbox.js';
import { LowdbStore } from '../../../src/store/lowdb-store.js';
import { listenOnLoopback } from '../../loopback.js';

export const API_KEY = 'test-client-id-0123';
export const API_SECRET = 'shpss_test_app_secret_abcdef';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const SECRET_KEY = Buffer.alloc(32, 42).toString('base64');
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

export interface RunningApp {
  url: string;
  dir: string;
  store: LowdbStore;
  connections: Connections;
  app: ShopifyApp;
  installed: string[];
  close(): Promise<void>;
}

export async function startApp(overrides: Partial<ShopifyAppOptions> = {}, appUrl = 'https://puente.example.com'): Promise<RunningApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'puente-shopify-app-'));
  const store = new LowdbStore({ dataDir: dir });
  await store.open();
  const log = createLogger('silent');
  const connections = new Connections([]);
  const installed: string[] = [];
  const shopifyApp = createShopifyApp({
    store,
    connections,
    targetTypes,
    shopify: { apiKey: API_KEY, apiSecret: API_SECRET, apiVersion: '2026-01', appUrl },
    adminToken: ADMIN_TOKEN,
    dataDir: dir,
    log,
    env: { PUENTE_SECRET_KEY: SECRET_KEY },
    onInstalled: async (shop) => {
      installed.push(shop);
    },
    ...overrides,
  });
  const source = createShopifySource({ apiSecretKey: API_SECRET, apiVersion: '2026-01', lifecycle: shopifyApp.lifecycle });
  const inbox = new Inbox(store, connections, log);
  const app = express();
  app.use('/webhooks', webhookRouter({ shopify: source }, inbox, log, 1024 * 1024, () => undefined));
  app.use(shopifyApp.router);
  app.use(jsonErrorHandler);
  const server = await listenOnLoopback(app);
  return {
    url: server.url,
    dir,
    store,
    connections,
    app: shopifyApp,
    installed,
    async close() {
      await server.close();
      await shopifyApp.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signs an OAuth callback query as Shopify does: hex HMAC-SHA256 of the sorted query without `hmac`. */
export function signQuery(query: Record<string, string>, secret = API_SECRET): Record<string, string> {
  const sorted = new URLSearchParams();
  for (const key of Object.keys(query).sort((a, b) => a.localeCompare(b))) sorted.append(key, query[key]!);
  return { ...query, hmac: createHmac('sha256', secret).update(sorted.toString()).digest('hex') };
}

/** `name=value` pairs of a response's Set-Cookie headers, for the next request's Cookie header. */
export function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!.trim())
    // A cookie set to nothing is a deletion: don't send it back.
    .filter((pair) => pair.slice(pair.indexOf('=') + 1) !== '')
    .join('; ');
}

/** A Shopify session token (App Bridge's JWT) for `shop`, signed with `secret`. */
export function sessionToken(shop: string, secret = API_SECRET, audience = API_KEY): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: `https://${shop}/admin`, dest: `https://${shop}`, aud: audience, sub: '1', exp: now + 60, nbf: now - 1, iat: now - 1 })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
