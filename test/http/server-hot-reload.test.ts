/**
 * The whole story through the composition root (startPuente, embedded APIDIAN sandbox, mappings in a
 * temp folder): an order whose tax rate the mapping does not know is parked; the admin adds the rate
 * to the lookup on disk; the running server reloads it; `puente replay` sends the document through
 * again; it is issued once, by the new revision. A broken edit afterwards leaves that revision live.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FINAL_CONSUMER_ORDER, buildOrder, toShopifyJson } from '../../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { APIDIAN_SANDBOX_DEMO_TOKEN } from '../../connectors/apidian/sandbox/index.js';
import { runReplayCommand } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startPuente, type RunningPuente } from '../../src/server.js';
import type { DocumentRecord } from '../../src/store/store.js';
import { mappingsCopy } from '../cli/helpers.js';

const SECRET = 'hot-reload-shopify-secret';
const SHOP = 'puente-demo.myshopify.com';
const ADMIN = 'hot-reload-admin-token-0123456789';

let root: string;
let mappingsDir: string;
let puente: RunningPuente;

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function admin<T>(route: string): Promise<T> {
  const response = await fetch(`${puente.url}${route}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

interface MappingsView {
  mappings: { id: string; revision: number }[];
  lastReload: { ok: boolean; trigger: string; errors: { file: string; line?: number; column?: number; message: string }[] };
}

const revisionOf = (view: MappingsView, id: string) => view.mappings.find((m) => m.id === id)?.revision;

beforeAll(async () => {
  mappingsDir = mappingsCopy();
  root = path.dirname(mappingsDir);
  const config = parseConfig(
    `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${root}/data
adminToken: ${ADMIN}
mappingsDir: ${mappingsDir}
shopify: { apiSecret: ${SECRET}, apiVersion: "2026-01" }
pipeline: { tickMs: 100, statusPollMs: 150 }
sandboxes: { apidian: { port: 0 } }
targets:
  co:
    type: apidian
    baseUrl: embedded
    token: ${APIDIAN_SANDBOX_DEMO_TOKEN}
    supplierNit: "900123456"
    softwarePin: "12345"
    environment: 2
    requestsPerMinute: 600
    resolutions:
      invoice: { prefix: SETP, resolutionNumber: "18760000001", technicalKey: fc8eac422eba16e22ffd8c6f94b3f40a6e38162c, from: 990000000, to: 995000000 }
      credit_note: { prefix: NC, from: 1, to: 99999999 }
      debit_note: { prefix: ND, from: 1, to: 99999999 }
    batch: { maxDocuments: 10, lingerMs: 100 }
connections:
  - { id: shop, source: { type: shopify, shop: ${SHOP} }, target: co, timezone: America/Bogota }
`,
    path.join(root, 'puente.config.yaml'),
    {},
  );
  puente = await startPuente(config, { logger: createLogger('silent') });
});

afterAll(async () => {
  await puente?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('hot reload and replay in the running server', () => {
  it('parks an unknown tax rate, picks up the fixed lookup, replays it and issues exactly one invoice', async () => {
    const start = await admin<MappingsView>('/api/mappings');
    expect(start.lastReload).toMatchObject({ ok: true, trigger: 'start' });
    expect(revisionOf(start, 'shopify-order-invoice')).toBe(4);

    // A product taxed at 16 %, which the shipped lookup does not know.
    const order = { ...SAMPLE_FINAL_CONSUMER_ORDER, lines: SAMPLE_FINAL_CONSUMER_ORDER.lines.map((line) => ({ ...line, taxRate: '0.16' })) };
    const body = toShopifyJson(buildOrder(order));
    const headers = shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body, secret: SECRET, eventId: 'hot-reload-evt-1' });
    expect((await fetch(`${puente.url}/webhooks/shopify`, { method: 'POST', headers, body })).status).toBe(200);
    const parked = await eventually(async () => {
      const { documents } = await admin<{ documents: DocumentRecord[] }>('/api/documents?status=needs_attention');
      return documents[0];
    }, 'the invoice to be parked');
    expect(parked.attention).toMatchObject({ kind: 'mapping', path: 'lines[0].taxes[0].code' });
    expect(parked.attention?.reason).toMatch(/0\.16 has no entry in lookup taxByRate/);

    // The admin adds the rate on disk; the server notices by itself.
    const file = path.join(mappingsDir, 'shopify', 'order-invoice.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace(/^  revision: 4$/m, '  revision: 5')
        .replace('"CO:0.05": { code: IVA, percent: "5" }', '"CO:0.05": { code: IVA, percent: "5" }\n      "CO:0.16": { code: IVA, percent: "16" }'),
    );
    const reloaded = await eventually(async () => {
      const view = await admin<MappingsView>('/api/mappings');
      return revisionOf(view, 'shopify-order-invoice') === 5 ? view : undefined;
    }, 'revision 5 to go live');
    expect(reloaded.lastReload).toMatchObject({ ok: true, trigger: 'change', errors: [] });

    // `puente replay`, in-process, against the running server.
    let out = '';
    const code = await runReplayCommand(['--status', 'needs_attention', '--kind', 'mapping', '--url', puente.url, '--token', ADMIN], {
      stdout: { write: (chunk: string) => (out += chunk) },
      stderr: { write: (chunk: string) => (out += chunk) },
      cwd: root,
      env: {},
    });
    expect(code).toBe(0);
    expect(out).toContain(`replayed 1 document`);
    expect(out).toContain(parked.id);

    const issued = await eventually(async () => {
      const document = await admin<DocumentRecord>(`/api/documents/${parked.id}`);
      return document.status === 'issued' || document.status === 'needs_attention' ? document : undefined;
    }, 'the replayed invoice to be settled');
    expect(issued).toMatchObject({ status: 'issued', id: parked.id, idempotencyKey: parked.idempotencyKey });
    expect(issued.provenance?.mappings).toContainEqual(expect.objectContaining({ id: 'shopify-order-invoice', revision: 5 }));
    expect(issued.fiscal?.lines[0]?.taxes[0]).toMatchObject({ code: 'IVA', percent: '16.00' });
    const { documents } = await admin<{ documents: DocumentRecord[] }>('/api/documents?limit=1000');
    expect(documents).toHaveLength(1);

    // A second replay of the issued invoice is refused.
    const again = await fetch(`${puente.url}/api/documents/${parked.id}/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(again.status).toBe(409);
  });

  it('a broken edit leaves the running revision live and shows the error', async () => {
    const file = path.join(mappingsDir, 'shopify', 'order-invoice.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^  revision: 5$/m, '  revision: 6\n  owner: [unclosed'));
    const failed = await eventually(async () => {
      const view = await admin<MappingsView>('/api/mappings');
      return view.lastReload.ok ? undefined : view;
    }, 'the failed reload to show');
    expect(failed.lastReload.trigger).toBe('change');
    expect(failed.lastReload.errors[0]).toMatchObject({ file, line: expect.any(Number), column: expect.any(Number), message: expect.stringMatching(/YAML syntax error/) });
    expect(revisionOf(failed, 'shopify-order-invoice')).toBe(5);
    expect(puente.mappings.current.byId('shopify-order-invoice')?.revision).toBe(5);
  });
});
