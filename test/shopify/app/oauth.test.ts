/**
 * The install flow end to end over HTTP, with Shopify's token endpoint played by nock: /auth begins
 * with the right redirect and a signed state cookie; /auth/callback checks shop, HMAC and state,
 * exchanges the code, keeps the token sealed, marks the shop installed and signs the owner in.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, API_SECRET, BROWSER_UA, cookiesOf, signQuery, startApp, type RunningApp } from './helpers.js';

const SHOP = 'acme-co.myshopify.com';
const TOKEN = 'shpat_live_token_that_must_never_be_stored_in_clear';

let running: RunningApp;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => {
  nock.enableNetConnect();
});
beforeEach(async () => {
  running = await startApp();
});
afterEach(async () => {
  nock.cleanAll();
  await running.close();
});

const get = (pathAndQuery: string, cookie = '') =>
  fetch(`${running.url}${pathAndQuery}`, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA, ...(cookie ? { cookie } : {}) } });

async function begin(shop = SHOP): Promise<{ state: string; cookie: string; location: URL }> {
  const response = await get(`/auth?shop=${shop}`);
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location')!);
  return { state: location.searchParams.get('state')!, cookie: cookiesOf(response), location };
}

function callbackPath(query: Record<string, string>): string {
  return `/auth/callback?${new URLSearchParams(query).toString()}`;
}

const timestamp = () => String(Math.floor(Date.now() / 1000));

describe('GET /auth', () => {
  it('redirects to the shop\'s consent screen with client id, scopes, state and callback', async () => {
    const { state, cookie, location } = await begin();
    expect(location.origin).toBe(`https://${SHOP}`);
    expect(location.pathname).toBe('/admin/oauth/authorize');
    expect(location.searchParams.get('client_id')).toBe(API_KEY);
    // read_orders is implied by write_orders; the library sends the shortest equivalent list.
    expect(location.searchParams.get('scope')).toBe('write_orders');
    expect(location.searchParams.get('redirect_uri')).toBe('https://puente.example.com/auth/callback');
    expect(state).toMatch(/^[0-9a-f]{20,}$/);
    // The state is also in a signed cookie, which is what the callback compares against.
    expect(cookie).toContain(`shopify_app_state=${state}`);
    expect(cookie).toContain('shopify_app_state.sig=');
  });

  it.each(['evil.example.com', 'acme.myshopify.com.evil.com', '', 'acme%00.myshopify.com', 'https://evil.com/?x=.myshopify.com'])(
    'refuses shop %j without redirecting',
    async (shop) => {
      const response = await get(`/auth?shop=${encodeURIComponent(shop)}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toMatch(/must be a Shopify shop domain/);
    },
  );
});

describe('GET /auth/callback', () => {
  it('exchanges the code, stores the session sealed, marks the shop installed and signs the owner in', async () => {
    const { state, cookie } = await begin();
    let exchanged: Record<string, unknown> | undefined;
    const tokenEndpoint = nock(`https://${SHOP}`)
      .post('/admin/oauth/access_token', (body) => {
        exchanged = body as Record<string, unknown>;
        return true;
      })
      .reply(200, { access_token: TOKEN, scope: 'read_orders,write_orders' });

    const response = await get(callbackPath(signQuery({ code: 'auth-code-123', shop: SHOP, state, timestamp: timestamp() })), cookie);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`/app?shop=${SHOP}`);
    expect(tokenEndpoint.isDone()).toBe(true);
    expect(exchanged).toMatchObject({ client_id: API_KEY, client_secret: API_SECRET, code: 'auth-code-123' });

    const session = await running.app.sessions.offlineSession(SHOP);
    expect(session?.accessToken).toBe(TOKEN);
    expect(session?.id).toBe(`offline_${SHOP}`);
    expect(running.installed).toEqual([SHOP]);
    expect((await running.app.installations.get(SHOP))?.status).toBe('installed');

    // The owner is signed in for that shop (HttpOnly cookie), and only that shop.
    const appCookie = response.headers.getSetCookie().find((line) => line.startsWith('puente_app='))!;
    expect(appCookie).toMatch(/HttpOnly/);
    expect(appCookie).toMatch(/SameSite=Lax/);
    expect(appCookie).toMatch(/Secure/);
    const page = await get(`/app?shop=${SHOP}`, cookiesOf(response));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Installed. Fill in the settings below');
    expect((await get('/app?shop=other-shop.myshopify.com', cookiesOf(response))).status).toBe(403);

    // Nowhere in the store's files is the token in clear (each store write is durable when it resolves).
    const files = readdirSync(running.dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.some((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8').includes('shopify-session:'))).toBe(true);
    for (const entry of files) expect(readFileSync(path.join(entry.parentPath, entry.name), 'utf8')).not.toContain(TOKEN);
  });

  it('refuses a callback whose HMAC was not made with the app secret, without exchanging the code', async () => {
    const { state, cookie } = await begin();
    const tokenEndpoint = nock(`https://${SHOP}`).post('/admin/oauth/access_token').reply(200, { access_token: TOKEN, scope: 'read_orders' });
    const forged = signQuery({ code: 'c', shop: SHOP, state, timestamp: timestamp() }, 'not-the-app-secret');
    const response = await get(callbackPath(forged), cookie);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/HMAC does not match/);
    expect(tokenEndpoint.isDone()).toBe(false);
    expect(await running.app.sessions.offlineSession(SHOP)).toBeUndefined();
    expect(running.installed).toEqual([]);
  });

  it('refuses a callback whose state is not the one this browser was given', async () => {
    const { cookie } = await begin();
    const tokenEndpoint = nock(`https://${SHOP}`).post('/admin/oauth/access_token').reply(200, { access_token: TOKEN, scope: 'read_orders' });
    const response = await get(callbackPath(signQuery({ code: 'c', shop: SHOP, state: 'f'.repeat(64), timestamp: timestamp() })), cookie);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/state does not match/);
    expect(tokenEndpoint.isDone()).toBe(false);
    expect(await running.app.sessions.offlineSession(SHOP)).toBeUndefined();
  });

  it('refuses a callback without the state cookie (another browser, or expired)', async () => {
    const { state } = await begin();
    const response = await get(callbackPath(signQuery({ code: 'c', shop: SHOP, state, timestamp: timestamp() })));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/no install in progress .* Start again at \/auth\?shop=/);
  });

  it('refuses a callback for a shop domain that is not Shopify\'s, even correctly signed', async () => {
    const { state, cookie } = await begin();
    const response = await get(callbackPath(signQuery({ code: 'c', shop: 'evil.example.com', state, timestamp: timestamp() })), cookie);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/no valid shop/);
    expect(await running.app.sessions.findSessionsByShop('evil.example.com')).toEqual([]);
  });

  it('reports a refused code exchange as such, storing nothing', async () => {
    const { state, cookie } = await begin();
    nock(`https://${SHOP}`).post('/admin/oauth/access_token').reply(400, { error: 'invalid_request', error_description: 'code already used' });
    const response = await get(callbackPath(signQuery({ code: 'used', shop: SHOP, state, timestamp: timestamp() })), cookie);
    expect(response.status).toBe(502);
    expect(await response.text()).toMatch(/refused to exchange the authorization code/);
    expect(await running.app.sessions.offlineSession(SHOP)).toBeUndefined();
  });
});

describe('OAuth not configured', () => {
  it('answers 503 naming the missing settings', async () => {
    const bare = await startApp({ shopify: { apiKey: '', apiSecret: API_SECRET, apiVersion: '2026-01', appUrl: '' } });
    try {
      const response = await fetch(`${bare.url}/auth?shop=${SHOP}`, { redirect: 'manual' });
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/shopify\.apiKey .* and shopify\.appUrl/);
    } finally {
      await bare.close();
    }
  });
});
