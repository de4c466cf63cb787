/**
 * The install side as `startPuente` wires it: settings saved on the page become a live connection,
 * survive a restart (restored from the store before the pipeline runs), are sealed with the key from
 * PUENTE_SECRET_KEY, and app/uninstalled delivered to /webhooks/shopify stops the shop.
 */
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APIDIAN_SANDBOX_DEMO_TOKEN, APIDIAN_TEST_TECHNICAL_KEY } from '../../../connectors/apidian/sandbox/index.js';
import { shopifyWebhookHeaders } from '../../../connectors/shopify/index.js';
import { parseConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { startPuente, type RunningPuente } from '../../../src/server.js';
import { tempDir } from '../../e2e/processes.js';

const ADMIN = 'wiring-admin-token-0123456789abcdef';
const SECRET = 'wiring-shopify-secret';
const SHOP = 'wired-shop.myshopify.com';
const dir = tempDir('puente-shopify-wiring-');
const env = { PUENTE_SECRET_KEY: Buffer.alloc(32, 9).toString('hex') };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(): ReturnType<typeof parseConfig> {
  const mappings = path.join(dir, 'mappings');
  for (const folder of ['shopify', 'apidian']) cpSync(path.resolve('mappings', folder), path.join(mappings, folder), { recursive: true });
  const text = `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${mappings}
shopify: { apiKey: wiring-key, apiSecret: ${SECRET}, apiVersion: "2026-01", appUrl: "https://puente.example.com" }
sandboxes:
  apidian: { port: 0 }
targets:
  co:
    type: apidian
    baseUrl: embedded
    token: ${APIDIAN_SANDBOX_DEMO_TOKEN}
    supplierNit: "900123456"
    resolutions:
      invoice: { prefix: SETP, technicalKey: ${APIDIAN_TEST_TECHNICAL_KEY}, from: 990000000, to: 995000000 }
      credit_note: { prefix: NC, from: 1, to: 99999999 }
      debit_note: { prefix: ND, from: 1, to: 99999999 }
connections: []
`;
  return parseConfig(text, path.join(dir, 'puente.config.yaml'), {});
}

async function start(): Promise<RunningPuente> {
  const previous = process.env.PUENTE_SECRET_KEY;
  process.env.PUENTE_SECRET_KEY = env.PUENTE_SECRET_KEY;
  try {
    return await startPuente(config(), { logger: createLogger('silent') });
  } finally {
    if (previous === undefined) delete process.env.PUENTE_SECRET_KEY;
    else process.env.PUENTE_SECRET_KEY = previous;
  }
}

describe('startPuente with the Shopify app', () => {
  it('saves a shop\'s settings, restores them after a restart, and stops the shop on uninstall', async () => {
    let puente = await start();
    try {
      expect(puente.connections.map((c) => c.id)).toEqual([]);
      const form = new URLSearchParams({
        targetType: 'apidian',
        'apidian.baseUrl': puente.sandboxes.apidian!,
        'apidian.token': APIDIAN_SANDBOX_DEMO_TOKEN,
        'apidian.supplierNit': '900123456',
        'apidian.environment': '2',
        'apidian.invoicePrefix': 'SETP',
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
        triggerDelayMinutes: '0',
        country: 'CO',
        timezone: 'America/Bogota',
        'taxId.company': 'on',
      });
      const saved = await fetch(`${puente.url}/app?shop=${SHOP}`, { method: 'POST', redirect: 'manual', headers: { authorization: `Bearer ${ADMIN}` }, body: form });
      expect(saved.status).toBe(303);
      // No secret key file: the key came from PUENTE_SECRET_KEY; the token is nowhere in clear.
      expect(readdirSync(path.join(dir, 'data'))).not.toContain('secret-key');
      for (const entry of readdirSync(path.join(dir, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.name.includes('sandbox'))) {
        expect(readFileSync(path.join(entry.parentPath, entry.name), 'utf8'), entry.name).not.toContain(APIDIAN_SANDBOX_DEMO_TOKEN);
      }
    } finally {
      await puente.close();
    }

    puente = await start();
    try {
      const restored = puente.connections.find((c) => c.source === `shopify:${SHOP}`);
      expect(restored?.id).toBe('shopify-wired-shop');
      expect(restored?.settings.taxId.sources).toEqual(['company']);

      const body = JSON.stringify({ id: 1, myshopify_domain: SHOP });
      const forged = await fetch(`${puente.url}/webhooks/shopify`, {
        method: 'POST',
        headers: shopifyWebhookHeaders({ topic: 'app/uninstalled', shop: SHOP, body, secret: 'not-the-secret' }),
        body,
      });
      expect(forged.status).toBe(401);
      const uninstalled = await fetch(`${puente.url}/webhooks/shopify`, {
        method: 'POST',
        headers: shopifyWebhookHeaders({ topic: 'app/uninstalled', shop: SHOP, body, secret: SECRET }),
        body,
      });
      expect(uninstalled.status).toBe(200);
      const state = await puente.store.getState<{ status: string }>(`installation:shopify:${SHOP}`);
      expect(state?.value.status).toBe('uninstalled');
    } finally {
      await puente.close();
    }

    // Uninstalled shops are not restored.
    puente = await start();
    try {
      expect(puente.connections.find((c) => c.source === `shopify:${SHOP}`)).toBeUndefined();
    } finally {
      await puente.close();
    }
  }, 60_000);
});
