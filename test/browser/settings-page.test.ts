/**
 * The settings page in a real browser (Debian's Chromium through playwright-core): an admin signs in,
 * picks APIDIAN, submits a wrong token and sees the error on that field, corrects it against a real
 * APIDIAN sandbox, sees the saved state and the last documents — and the screenshot is checked to be
 * a real rendering, not a blank or broken page.
 */
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetTypes, type RunningSandbox } from '../../connectors/index.js';
import { APIDIAN_SANDBOX_DEMO_TOKEN, APIDIAN_TEST_TECHNICAL_KEY } from '../../connectors/apidian/sandbox/index.js';
import { ADMIN_TOKEN, startApp, type RunningApp } from '../shopify/app/helpers.js';
import { decodePng, distinctColours, pixelAt } from './png.js';

const SHOP = 'tienda-andina.myshopify.com';
const VIEWPORT = { width: 1100, height: 900 };

let sandbox: RunningSandbox;
let running: RunningApp;
let browser: Browser;

beforeAll(async () => {
  sandbox = await targetTypes.apidian!.startSandbox({ port: 0 });
  // No appUrl: OAuth is off and cookies are not Secure, so plain http on loopback works.
  running = await startApp({}, '');
  await running.store.createDocument({
    idempotencyKey: 'browser-doc-1',
    connectionId: 'shopify-tienda-andina',
    target: 'apidian',
    kind: 'invoice',
    source: `shopify:${SHOP}`,
    orderId: '6123456789012',
    eventId: 'evt_browser',
    series: 'SETP',
    status: 'issued',
    result: { fiscalNumber: 'SETP990000042', uuid: 'cufe-browser-42', issuedAt: '2026-03-14T10:30:00-05:00' },
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
  await sandbox?.close();
});

describe('settings page in Chromium', () => {
  it('takes a store owner from a wrong token to a saved, tested configuration', async () => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();

    // Sign in with the admin token.
    const first = await page.goto(`${running.url}/app?shop=${SHOP}`);
    expect(first?.status()).toBe(401);
    await page.fill('#f-admin-token', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`**/app?shop=${SHOP}`), page.click('#sign-in')]);
    await expect.poll(() => page.locator('#status').textContent()).toContain('Not installed through Shopify yet');

    // Only the chosen service's fields are shown.
    await page.check('#target-apidian');
    expect(await page.isVisible('#f-apidian-token')).toBe(true);
    expect(await page.isVisible('#f-unidigital-password')).toBe(false);

    const fill = async (token: string) => {
      await page.check('#target-apidian');
      const values: Record<string, string> = {
        '#f-apidian-baseUrl': sandbox.baseUrl,
        '#f-apidian-token': token,
        '#f-apidian-supplierNit': '900123456',
        '#f-apidian-softwarePin': '12345',
        '#f-apidian-invoicePrefix': 'SETP',
        '#f-apidian-invoiceResolutionNumber': '18760000001',
        '#f-apidian-invoiceTechnicalKey': APIDIAN_TEST_TECHNICAL_KEY,
        '#f-apidian-invoiceFrom': '990000000',
        '#f-apidian-invoiceTo': '995000000',
        '#f-apidian-creditPrefix': 'NC',
        '#f-apidian-creditFrom': '1',
        '#f-apidian-creditTo': '99999999',
        '#f-apidian-debitPrefix': 'ND',
        '#f-apidian-debitFrom': '1',
        '#f-apidian-debitTo': '99999999',
        '#f-delay': '5',
      };
      for (const [selector, value] of Object.entries(values)) await page.fill(selector, value);
      await page.selectOption('#f-apidian-environment', '2');
    };

    // A wrong token: the error is on the token field, and nothing is saved.
    await fill('0'.repeat(64));
    await Promise.all([page.waitForLoadState('load'), page.click('#save')]);
    const tokenError = page.locator('p.error[data-field="apidian.token"]');
    await tokenError.waitFor({ state: 'visible' });
    expect(await tokenError.textContent()).toMatch(/APIDIAN refused/);
    expect(await page.locator('#banner').textContent()).toMatch(/Nothing was saved/);
    expect(await page.getAttribute('#f-apidian-token', 'class')).toContain('invalid');
    // What was typed is still there (secrets excepted), so only the token must be entered again.
    expect(await page.inputValue('#f-apidian-invoicePrefix')).toBe('SETP');
    expect(await page.inputValue('#f-apidian-token')).toBe('');
    expect(await running.app.installations.get(SHOP)).toBeUndefined();

    // The right token against the sandbox: saved, and the connection is live.
    await fill(APIDIAN_SANDBOX_DEMO_TOKEN);
    await Promise.all([page.waitForURL(`**/app?shop=${SHOP}&saved=1`), page.click('#save')]);
    const banner = page.locator('#banner');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.textContent()).toContain('Saved. The connection was tested');
    expect(await page.locator('#status').textContent()).toContain('configured');
    expect((await running.app.installations.get(SHOP))?.settings?.targetType).toBe('apidian');
    expect(running.connections.get('shopify-tienda-andina')?.settings.triggerDelayMinutes).toBe(5);
    // The saved choice is shown again: APIDIAN selected and its fields visible.
    expect(await page.isChecked('#target-apidian')).toBe(true);
    expect(await page.isVisible('#f-apidian-baseUrl')).toBe(true);

    // The last documents are listed.
    const row = page.locator('#documents tbody tr').first();
    expect(await row.isVisible()).toBe(true);
    expect(await row.textContent()).toMatch(/SETP990000042.*cufe-browser-42.*issued/);
    expect(await page.isVisible('#save')).toBe(true);

    // The screenshot is a real rendering: a PNG of the viewport's width, many colours, the blue
    // header at the top, a white form card below it.
    const png = decodePng(await page.screenshot({ fullPage: true }));
    expect(png.width).toBe(VIEWPORT.width);
    expect(png.height).toBeGreaterThanOrEqual(VIEWPORT.height);
    expect(distinctColours(png)).toBeGreaterThan(40);
    const [r, g, b] = pixelAt(png, 5, 5);
    expect([r, g, b]).toEqual([11, 92, 173]);
    const box = (await page.locator('#settings fieldset').first().boundingBox())!;
    expect(pixelAt(png, Math.round(box.x + 4), Math.round(box.y + box.height / 2))).toEqual([255, 255, 255]);
    expect(pixelAt(png, 2, Math.round(box.y + box.height / 2))).not.toEqual([255, 255, 255]);

    await context.close();
  }, 90_000);
});
