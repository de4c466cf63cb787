/**
 * The settings page over HTTP: who may see and post it, CSRF, escaping, and that saving tests the
 * credentials against a real (sandbox) APIDIAN, stores them sealed and makes the connection live.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { targetTypes, type RunningSandbox } from '../../../connectors/index.js';
import { APIDIAN_SANDBOX_DEMO_TOKEN, APIDIAN_TEST_TECHNICAL_KEY } from '../../../connectors/apidian/sandbox/index.js';
import { ADMIN_TOKEN, sessionToken, startApp, type RunningApp } from './helpers.js';

const SHOP = 'acme-co.myshopify.com';
let sandbox: RunningSandbox;
let running: RunningApp;

beforeAll(async () => {
  sandbox = await targetTypes.apidian!.startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  running = await startApp();
});
afterEach(async () => {
  await running.close();
});

function form(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    targetType: 'apidian',
    'apidian.baseUrl': sandbox.baseUrl,
    'apidian.token': APIDIAN_SANDBOX_DEMO_TOKEN,
    'apidian.supplierNit': '900123456',
    'apidian.softwarePin': '12345',
    'apidian.environment': '2',
    'apidian.invoicePrefix': 'SETP',
    'apidian.invoiceResolutionNumber': '18760000001',
    'apidian.invoiceTechnicalKey': APIDIAN_TEST_TECHNICAL_KEY,
    'apidian.invoiceFrom': '990000000',
    'apidian.invoiceTo': '995000000',
    'apidian.creditPrefix': 'NC',
    'apidian.creditFrom': '1',
    'apidian.creditTo': '99999999',
    'apidian.debitPrefix': 'ND',
    'apidian.debitFrom': '1',
    'apidian.debitTo': '99999999',
    trigger: 'paid',
    triggerDelayMinutes: '15',
    country: 'CO',
    timezone: 'America/Bogota',
    'taxId.localized': 'on',
    'taxId.noteAttribute': 'on',
    noteAttribute: 'Cédula o NIT',
    'taxId.validateCheckDigit': 'on',
    ...overrides,
  };
}

async function signInAdmin(): Promise<string> {
  const response = await fetch(`${running.url}/app/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ adminToken: ADMIN_TOKEN }) });
  expect(response.status).toBe(303);
  return response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
}

async function pageWithCsrf(cookie: string, shop = SHOP, query = ''): Promise<{ html: string; csrf: string }> {
  const response = await fetch(`${running.url}/app?shop=${shop}${query}`, { headers: { cookie } });
  expect(response.status).toBe(200);
  const html = await response.text();
  return { html, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]! };
}

function post(cookie: string, body: Record<string, string>, shop = SHOP, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${running.url}/app?shop=${shop}`, { method: 'POST', redirect: 'manual', headers: { cookie, ...headers }, body: new URLSearchParams(body) });
}

describe('who may see the page', () => {
  it('sends an unknown visitor to Shopify sign-in (with a shop) or to the admin sign-in (without)', async () => {
    const withShop = await fetch(`${running.url}/app?shop=${SHOP}`, { redirect: 'manual' });
    expect(withShop.status).toBe(302);
    expect(withShop.headers.get('location')).toBe(`/auth?shop=${SHOP}`);
    const bare = await fetch(`${running.url}/app`, { redirect: 'manual' });
    expect(bare.status).toBe(401);
    expect(await bare.text()).toContain('id="f-admin-token"');
    for (const [method, url] of [['POST', `/app?shop=${SHOP}`], ['POST', '/app'], ['POST', '/app/logout']] as const) {
      expect((await fetch(`${running.url}${url}`, { method, redirect: 'manual' })).status, `${method} ${url}`).toBe(401);
    }
  });

  it('signs a store owner in from a Shopify session token, for their shop only', async () => {
    const forged = await fetch(`${running.url}/app?shop=${SHOP}&id_token=${sessionToken(SHOP, 'wrong-secret')}`, { redirect: 'manual' });
    expect(forged.status).toBe(302);
    expect(forged.headers.get('location')).toBe(`/auth?shop=${SHOP}`);

    const first = await fetch(`${running.url}/app?shop=${SHOP}&id_token=${sessionToken(SHOP)}`, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(`/app?shop=${SHOP}`);
    const cookie = first.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const { csrf } = await pageWithCsrf(cookie);
    expect(csrf.length).toBeGreaterThan(20);
    expect((await fetch(`${running.url}/app?shop=other.myshopify.com`, { headers: { cookie } })).status).toBe(403);
    // The token itself, sent as App Bridge sends it, also works (and needs no CSRF token).
    const viaHeader = await fetch(`${running.url}/app?shop=${SHOP}`, { headers: { authorization: `Bearer ${sessionToken(SHOP)}` } });
    expect(viaHeader.status).toBe(200);
  });

  it('refuses a wrong admin token and a forged cookie', async () => {
    const wrong = await fetch(`${running.url}/app/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ adminToken: 'nope' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const cookie = await signInAdmin();
    const forged = cookie.replace(/\.([A-Za-z0-9_-]+)$/, '.AAAA$1');
    expect((await fetch(`${running.url}/app?shop=${SHOP}`, { redirect: 'manual', headers: { cookie: forged } })).status).toBe(302);
  });

  it('serves the page without scripts or external assets, with a strict CSP', async () => {
    const cookie = await signInAdmin();
    const response = await fetch(`${running.url}/app?shop=${SHOP}`, { headers: { cookie } });
    const html = await response.text();
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain('Your invoicing service');
  });
});

describe('saving', () => {
  it('refuses a post without the CSRF token, saving nothing', async () => {
    const cookie = await signInAdmin();
    const response = await post(cookie, form());
    expect(response.status).toBe(403);
    expect(await running.app.installations.get(SHOP)).toBeUndefined();
  });

  it('escapes what was typed when the page is shown again', async () => {
    const cookie = await signInAdmin();
    const { csrf } = await pageWithCsrf(cookie);
    const response = await post(cookie, form({ csrf, 'apidian.supplierNit': '<script>alert(1)</script>', noteAttribute: '"><img src=x onerror=alert(2)>' }));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('"><img');
    expect(html).toMatch(/data-field="apidian.supplierNit"/);
    expect(await running.app.installations.get(SHOP)).toBeUndefined();
  });

  it('tests the credentials first: a wrong token is shown on its field and nothing is saved', async () => {
    const cookie = await signInAdmin();
    const { csrf } = await pageWithCsrf(cookie);
    const wrongToken = 'a'.repeat(64);
    const response = await post(cookie, form({ csrf, 'apidian.token': wrongToken }));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/<p class="error" data-field="apidian.token">APIDIAN refused/);
    expect(html).not.toContain(wrongToken);
    expect(await running.app.installations.get(SHOP)).toBeUndefined();
    expect(running.connections.all()).toEqual([]);
  });

  it('saves tested credentials sealed and makes the connection live', async () => {
    const cookie = await signInAdmin();
    const { csrf } = await pageWithCsrf(cookie);
    const response = await post(cookie, form({ csrf }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/app?shop=${SHOP}&saved=1`);

    const entry = await running.store.getState<Record<string, any>>(`installation:shopify:${SHOP}`);
    expect(JSON.stringify(entry!.value)).not.toContain(APIDIAN_SANDBOX_DEMO_TOKEN);
    expect(entry!.value.settings.sealedSecrets).toMatch(/^enc:v1:/);
    expect(entry!.value.settings.account.resolutions.invoice.prefix).toBe('SETP');

    const connection = running.connections.get('shopify-acme-co')!;
    expect(connection.source).toBe(`shopify:${SHOP}`);
    expect(connection.target.name).toBe('apidian');
    expect(connection.settings.triggerDelayMinutes).toBe(15);
    expect(connection.settings.taxId).toEqual({ validateCheckDigit: true, sources: ['localized', 'noteAttribute'], noteAttribute: 'Cédula o NIT' });

    // Shown again: the values, never the token; saving again with the secret left empty keeps it.
    const { html, csrf: csrf2 } = await pageWithCsrf(cookie, SHOP, '&saved=1');
    expect(html).toContain('Saved. The connection was tested');
    expect(html).toContain('Installed and configured');
    expect(html).not.toContain(APIDIAN_SANDBOX_DEMO_TOKEN);
    expect(html).toContain('value="SETP"');
    const again = await post(cookie, form({ csrf: csrf2, 'apidian.token': '', trigger: 'fulfilled' }));
    expect(again.status).toBe(303);
    expect(running.connections.get('shopify-acme-co')!.settings.trigger).toBe('fulfilled');

    // After a restart the installation comes back as a live connection.
    running.connections.remove('shopify-acme-co');
    expect(await running.app.restore()).toEqual([SHOP]);
    expect(running.connections.get('shopify-acme-co')?.settings.trigger).toBe('fulfilled');
  });

  it('lists the shop\'s last documents', async () => {
    await running.store.createDocument({
      idempotencyKey: 'k1',
      connectionId: 'shopify-acme-co',
      target: 'apidian',
      kind: 'invoice',
      source: `shopify:${SHOP}`,
      orderId: '6123456789012',
      eventId: 'evt_1',
      series: 'SETP',
      status: 'issued',
      result: { fiscalNumber: 'SETP990000007', uuid: 'cufe-abc-123', issuedAt: '2026-03-14T10:30:00-05:00' },
    });
    const cookie = await signInAdmin();
    const { html } = await pageWithCsrf(cookie);
    expect(html).toMatch(/<table id="documents">[\s\S]*Invoice[\s\S]*6123456789012[\s\S]*SETP990000007[\s\S]*cufe-abc-123[\s\S]*issued/);
  });

  it('accepts the admin bearer token without a CSRF token (browsers never send it on their own)', async () => {
    const response = await post('', form(), SHOP, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(response.status).toBe(303);
    expect(running.connections.get('shopify-acme-co')).toBeDefined();
  });
});
