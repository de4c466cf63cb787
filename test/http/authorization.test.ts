/**
 * Every route the server mounts is covered by an authorization check. The routes are not listed by
 * hand: they are read from the express app that `startPuente` builds (its router stack), so a route
 * added later is checked as soon as it exists — and one that falls under no policy fails this test
 * until it is given one.
 *
 *   /healthz                      public
 *   /api/**                       admin token: 401 without it, with a wrong one of the same or of
 *                                 another length, or in another scheme; anything but 401 with it
 *   /app/** (settings pages)      admin token or a Shopify session: 401 (or a redirect away) without
 *   /auth/** (Shopify OAuth)      the install flow starts unauthenticated; never a 2xx page without
 *                                 Shopify's signed parameters
 *   /webhooks/**                  a signature: 401 when it is wrong, never 2xx
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceTypes, targetTypes } from '../../connectors/index.js';
import { parseConfig } from '../../src/config.js';
import { startPuente, type RunningPuente } from '../../src/server.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../e2e/processes.js';

const ADMIN = 'authz-admin-token-0123456789abcdef';
const SECRET = 'authz-shopify-secret';

type Policy = 'public' | 'admin' | 'page' | 'oauth' | 'webhook';

/** Where each route belongs. A path this does not place makes the test fail: decide, then add it here. */
function policyFor(routePath: string): Policy | undefined {
  if (routePath === '/healthz') return 'public';
  if (routePath === '/api' || routePath.startsWith('/api/')) return 'admin';
  if (routePath.startsWith('/webhooks/')) return 'webhook';
  if (routePath === '/app' || routePath.startsWith('/app/')) return 'page';
  if (routePath === '/auth' || routePath.startsWith('/auth/')) return 'oauth';
  return undefined;
}

interface Route {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  rawPath?: string | RegExp | (string | RegExp)[];
  handle?: { stack?: Layer[] };
  name?: string;
}

/** The routes in an express 5 router stack, with their mount prefixes; sub-routers are walked. */
function routesOf(stack: Layer[], prefix = ''): Route[] {
  const routes: Route[] = [];
  const paths = (raw: Layer['rawPath'] | string | string[]): string[] =>
    (Array.isArray(raw) ? raw : [raw]).map((p) => {
      if (typeof p !== 'string') throw new Error(`a route is mounted on a regular expression (${String(p)}); give it a string path so it can be checked`);
      return p === '/' ? '' : p;
    });
  for (const layer of stack) {
    if (layer.route) {
      for (const p of paths(layer.route.path)) {
        for (const method of Object.keys(layer.route.methods)) if (method !== '_all') routes.push({ method: method.toUpperCase(), path: `${prefix}${p}` || '/' });
      }
    } else if (layer.handle?.stack) {
      for (const p of paths(layer.rawPath)) routes.push(...routesOf(layer.handle.stack, `${prefix}${p}`));
    } else if (layer.rawPath !== undefined && paths(layer.rawPath).some((p) => p !== '')) {
      // Middleware mounted on a path (static files, say) answers under it like a route.
      for (const p of paths(layer.rawPath)) routes.push({ method: 'GET', path: `${prefix}${p}` });
    }
  }
  return routes;
}

let puente: RunningPuente;
let routes: Route[];
let connectionIds: string[];
let sourceNames: string[];
let targetNames: string[];

/** Concrete URLs for a route pattern: `:id`-like params get a value; webhook params every known name. */
function concrete(route: Route): string[] {
  let urls = [route.path];
  const values = (param: string): string[] => {
    if (route.path.startsWith('/webhooks/')) {
      if (param === 'connection') return connectionIds;
      if (param === 'source') return sourceNames;
      if (param === 'target') return targetNames;
    }
    return ['does-not-exist'];
  };
  for (;;) {
    const match = /:([A-Za-z_][A-Za-z0-9_]*)/.exec(urls[0]!);
    if (!match) break;
    urls = urls.flatMap((url) => values(match[1]!).map((value) => url.replace(match[0], encodeURIComponent(value))));
  }
  return urls.map((url) => url.replace(/[{}*]/g, ''));
}

async function call(method: string, url: string, headers: Record<string, string> = {}): Promise<Response> {
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return fetch(`${puente.url}${url}`, {
    method,
    redirect: 'manual',
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(hasBody ? { body: '{}' } : {}),
  });
}

beforeAll(async () => {
  const dir = tempDir('puente-authz-');
  const mappings = path.join(dir, 'mappings');
  for (const folder of ['shopify', 'apidian']) cpSync(path.resolve('mappings', folder), path.join(mappings, folder), { recursive: true });
  const config = `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${mappings}
shopify: { apiKey: authz-api-key, apiSecret: ${SECRET}, apiVersion: "2026-01", appUrl: "http://localhost" }
sandboxes:
  apidian: { port: 0 }
  tuimprenta: { port: 0 }
targets:
  co:
    type: apidian
    baseUrl: embedded
    token: authz-apidian-token
    supplierNit: "900123456"
    softwarePin: "12345"
    environment: 2
    resolutions:
      invoice: { prefix: SETP, resolutionNumber: "18760000001", technicalKey: fc8eac422eba16e22ffd8c6f94b3f40a6e38162c, from: 990000000, to: 995000000 }
      credit_note: { prefix: NC, from: 1, to: 99999999 }
      debit_note: { prefix: ND, from: 1, to: 99999999 }
  ve:
    type: tuimprenta
    baseUrl: embedded
    apiKey: authz-tuimprenta-key
    webhookSecret: authz-tuimprenta-webhook-secret
connections:
  - { id: shop-co, source: { type: shopify, shop: authz-co.myshopify.com }, target: co, timezone: America/Bogota }
  - { id: shop-ve, source: { type: shopify, shop: authz-ve.myshopify.com }, target: ve, country: VE, timezone: America/Caracas, targetSettings: { series: A } }
  - id: shop-woo
    source: { type: woocommerce, url: "http://127.0.0.1:9", consumerKey: ck_authz0123456789, consumerSecret: cs_authz0123456789, webhookSecret: authz-woo-webhook-secret }
    target: co
    sweepMinutes: 0
  - id: erp-odoo
    source: { type: odoo, url: "http://127.0.0.1:9", database: authz, username: authz@example.com, apiKey: authz-odoo-key }
    target: co
    sweepMinutes: 0
`;
  puente = await startPuente(parseConfig(config, path.join(dir, 'puente.config.yaml'), {}), { logger: createLogger('silent') });
  routes = routesOf((puente.app as unknown as { router: { stack: Layer[] } }).router.stack);
  connectionIds = puente.connections.map((c) => c.id);
  // Every source and target type this build ships, configured or not.
  sourceNames = Object.keys(sourceTypes);
  targetNames = Object.keys(targetTypes);
}, 60_000);

afterAll(async () => {
  await puente?.close();
});

describe('the route inventory', () => {
  it('finds the routes this test knows must exist, so the walk itself is not broken', () => {
    const listed = routes.map((r) => `${r.method} ${r.path}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /api/documents',
        'GET /api/documents/:id',
        'GET /api/health/deep',
        'POST /api/replay',
        'POST /api/documents/:id/void',
        'GET /api/number-closures',
        'POST /api/number-closures/:documentId/retry',
        'POST /webhooks/:source',
      ]),
    );
  });

  it('places every route under an authorization policy', () => {
    const unplaced = routes.filter((r) => !policyFor(r.path)).map((r) => `${r.method} ${r.path}`);
    expect(unplaced, 'routes with no authorization policy: add them to policyFor() in this file').toEqual([]);
  });
});

describe('admin routes', () => {
  const sameLength = 'x'.repeat(ADMIN.length);
  const admin = () => routes.filter((r) => policyFor(r.path) === 'admin');

  it('refuse a request without the token, with a wrong one (same length or not), or in another scheme', async () => {
    expect(admin().length).toBeGreaterThan(5);
    for (const route of admin()) {
      for (const url of concrete(route)) {
        const label = `${route.method} ${url}`;
        const attempts: Record<string, string>[] = [
          {},
          { authorization: `Bearer ${sameLength}` },
          { authorization: `Bearer ${ADMIN.slice(0, -1)}` },
          { authorization: `Bearer ${ADMIN}x` },
          { authorization: 'Bearer ' },
          { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` },
          { authorization: ADMIN },
          { authorization: `bearer ${ADMIN}`.replace('bearer', 'Token') },
        ];
        for (const headers of attempts) {
          const response = await call(route.method, url, headers);
          expect(response.status, `${label} with ${JSON.stringify(headers)}`).toBe(401);
          expect(response.headers.get('www-authenticate'), label).toBe('Bearer');
        }
        // Nor in the query string.
        const query = await call(route.method, `${url}?token=${ADMIN}&access_token=${ADMIN}`);
        expect(query.status, `${label}?token=`).toBe(401);
      }
    }
  });

  it('serve a request with the token (the answer may be 4xx about the request, never 401/403/5xx)', async () => {
    for (const route of admin()) {
      for (const url of concrete(route)) {
        const response = await call(route.method, url, { authorization: `Bearer ${ADMIN}` });
        expect([401, 403], `${route.method} ${url}`).not.toContain(response.status);
        expect(response.status, `${route.method} ${url}`).toBeLessThan(500);
      }
    }
  });
});

describe('settings pages', () => {
  const pages = () => routes.filter((r) => policyFor(r.path) === 'page');

  it('refuse a visitor with neither the admin token nor a Shopify session', async () => {
    for (const route of pages()) {
      for (const url of concrete(route)) {
        const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${'y'.repeat(ADMIN.length)}` }, { authorization: 'Bearer wrong' }];
        for (const headers of attempts) {
          const response = await call(route.method, url, headers);
          const label = `${route.method} ${url} with ${JSON.stringify(headers)}`;
          if (response.status >= 300 && response.status < 400) {
            // Sent to log in (OAuth) instead: never to another page of the app.
            const location = response.headers.get('location') ?? '';
            expect(location, label).not.toMatch(/^\/app(\/|$|\?)/);
          } else {
            expect(response.status, label).toBe(401);
          }
        }
      }
    }
  });

  it('serve the admin token holder', async () => {
    for (const route of pages()) {
      for (const url of concrete(route)) {
        const response = await call(route.method, url, { authorization: `Bearer ${ADMIN}` });
        expect([401, 403], `${route.method} ${url}`).not.toContain(response.status);
      }
    }
  });
});

describe('the Shopify install flow', () => {
  it('never serves a page to a request without Shopify\'s signed parameters', async () => {
    for (const route of routes.filter((r) => policyFor(r.path) === 'oauth')) {
      for (const url of concrete(route)) {
        const response = await call(route.method, `${url}?shop=authz-co.myshopify.com&hmac=00&code=forged&state=forged&timestamp=1`);
        const label = `${route.method} ${url} answered ${response.status}`;
        expect(response.status >= 200 && response.status < 300, label).toBe(false);
        // Nor signs anyone in: no session cookie, no way into the app's pages.
        expect(response.headers.get('set-cookie') ?? '', label).not.toMatch(/puente_app=[^;]/);
        expect(response.headers.get('location') ?? '', label).not.toMatch(/^(https?:\/\/(localhost|127\.0\.0\.1)[^/]*)?\/app(\/|$|\?)/);
      }
    }
  });
});

describe('webhook receivers', () => {
  /** Every signature header a receiver may read, each with a value that cannot verify. */
  const FORGED = {
    'x-shopify-hmac-sha256': Buffer.alloc(32, 7).toString('base64'),
    'x-shopify-topic': 'orders/paid',
    'x-shopify-shop-domain': 'authz-co.myshopify.com',
    'x-shopify-api-version': '2026-01',
    'x-shopify-webhook-id': 'forged-webhook',
    'x-wc-webhook-signature': Buffer.alloc(32, 7).toString('base64'),
    'x-wc-webhook-topic': 'order.updated',
    'x-wc-webhook-delivery-id': '1',
    'x-tuimprenta-signature': `sha256=${'ab'.repeat(32)}`,
  };

  /**
   * Odoo signs nothing (reference: its outbound webhooks have no signature); its receiver never believes
   * the body and re-reads the move through the API. A body naming no move is 400, never 2xx.
   */
  const UNSIGNED_BY_DESIGN = ['/webhooks/odoo/'];
  const unsignedConnections = () => puente.connections.filter((c) => c.sourceSystem === 'odoo').map((c) => c.id);

  it('answer 401 to a delivery with a forged signature on every configured source and callback, and never 2xx anywhere', async () => {
    const webhookRoutes = routes.filter((r) => policyFor(r.path) === 'webhook');
    expect(webhookRoutes.length).toBeGreaterThan(0);
    const refused = new Set<string>();
    for (const route of webhookRoutes) {
      for (const url of concrete(route)) {
        const response = await call(route.method, url, FORGED);
        expect(response.status >= 200 && response.status < 300, `${route.method} ${url} accepted a forged delivery`).toBe(false);
        if (response.status === 401) refused.add(url);
        else if (UNSIGNED_BY_DESIGN.some((prefix) => url.startsWith(prefix)) && unsignedConnections().includes(url.split('/').pop()!)) expect(response.status, url).toBe(400);
        else expect(response.status, `${route.method} ${url}`).toBe(404);
      }
    }
    // Each configured source's receiver and each target that calls back was reached and refused.
    expect([...refused]).toEqual(expect.arrayContaining(['/webhooks/shopify', '/webhooks/tuimprenta/shop-ve', '/webhooks/woocommerce/shop-woo']));
    expect(await puente.store.listEvents({ limit: 10 })).toEqual([]);
  });
});

describe('the liveness probe', () => {
  it('is public and says nothing about the data', async () => {
    const response = await call('GET', '/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
