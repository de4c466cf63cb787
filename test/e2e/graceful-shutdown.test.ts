/**
 * Graceful shutdown, end to end: `puente serve` in a child process, a standalone APIDIAN sandbox in
 * another, an APIDIAN account paced slowly enough that batches are still being sent when SIGTERM
 * arrives. Puente must exit 0 each time; with a grace period the send in progress finishes (no batch
 * is left `sending`); without one it is left for the next start to reconcile; a second signal exits
 * at once (1). After a restart every order has exactly one invoice at the sandbox — nothing lost,
 * nothing issued twice.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoOrder } from '../../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { mappingsCopy } from '../cli/helpers.js';
import { apidianTargetsYaml } from './apidian-target.js';
import { eventually, startCli, tempDir, writeYaml, type RunningProcess } from './processes.js';

const SECRET = 'shutdown-shopify-secret';
const SHOP = 'puente-demo.myshopify.com';
const ADMIN = 'shutdown-admin-token';
const READY = /Puente is running at (http:\/\/[\d.:]+)/;

let sandbox: RunningProcess;
let puente: RunningProcess | undefined;
let dir: string;
let configFile: string;

/** 60 requests a minute: an APIDIAN batch of 3 (3 × add-to-batch + send) takes about 4 s to send. */
function configFor(sandboxUrl: string): string {
  return `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${mappingsCopy()}
log: { level: info }
shopify: { apiSecret: ${SECRET}, apiVersion: "2026-01" }
pipeline: { tickMs: 100, statusPollMs: 200 }
${apidianTargetsYaml(`${sandboxUrl}/api`, { requestsPerMinute: 60, batch: { maxDocuments: 3, lingerMs: 100 } })}
connections:
  - { id: shop, source: { type: shopify, shop: ${SHOP} }, target: co, timezone: America/Bogota }
`;
}

function serve(env: NodeJS.ProcessEnv = {}): Promise<RunningProcess> {
  return startCli(['serve'], { PUENTE_CONFIG: configFile, ...env }, READY, 30_000);
}

async function deliver(n: number): Promise<void> {
  const order = demoOrder(n);
  const headers = shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body: order.body, secret: SECRET, eventId: `evt-shutdown-${n}` });
  const response = await fetch(`${puente!.url}/webhooks/shopify`, { method: 'POST', headers, body: order.body });
  expect(response.status).toBe(200);
}

async function documents(status?: string): Promise<any[]> {
  const query = status ? `?status=${status}&limit=1000` : '?limit=1000';
  const response = await fetch(`${puente!.url}/api/documents${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as { documents: any[] }).documents;
}

/** SIGTERM, and the exit code it ends with. */
async function terminate(process: RunningProcess): Promise<number | null> {
  await process.stop('SIGTERM');
  return process.child.exitCode;
}

/** Reads the data directory Puente left behind (the process has exited and released it). */
async function leftBehind(): Promise<{ sending: number; inFlight: number; documents: number; events: number }> {
  const store = new LowdbStore({ dataDir: path.join(dir, 'data') });
  await store.open();
  try {
    return {
      sending: (await store.listBatches({ status: 'sending', limit: 1000 })).length,
      inFlight: (await store.listDocuments({ status: 'in_flight', limit: 1000 })).length,
      documents: (await store.listDocuments({ limit: 1000 })).length,
      events: (await store.listEvents({ limit: 1000 })).length,
    };
  } finally {
    await store.close();
  }
}

describe('SIGTERM while documents are being sent', () => {
  beforeAll(async () => {
    dir = tempDir('puente-shutdown-');
    sandbox = await startCli(
      ['sandbox', 'apidian', '--port', '0', '--requests-per-minute', '1000', '--data', `${dir}/sandbox.json`],
      {},
      /apidian sandbox listening at (http:\/\/[\d.:]+)\/api/,
    );
    configFile = writeYaml(dir, 'puente.config.yaml', configFor(sandbox.url));
  }, 60_000);

  afterAll(async () => {
    await puente?.stop('SIGKILL');
    await sandbox?.stop();
  });

  it('exits 0 each time, and after restarts every order has exactly one invoice', async () => {
    // 1. A grace long enough for the batch in progress: it finishes before Puente exits.
    puente = await serve({ PUENTE_SHUTDOWN_GRACE_MS: '30000' });
    for (const n of [1, 2, 3]) await deliver(n);
    await eventually(async () => ((await documents('in_flight')).length > 0 ? true : undefined), 'a batch in flight', 20_000);
    expect(await terminate(puente)).toBe(0);
    expect(puente.output()).toMatch(/shutting down/);
    let state = await leftBehind();
    // Every acknowledged webhook is on disk; the send that was in progress finished (no batch left sending).
    expect(state.events).toBe(3);
    expect(state.sending).toBe(0);

    // 2. A second signal while the first waits for the send: exit at once, with 1.
    puente = await serve({ PUENTE_SHUTDOWN_GRACE_MS: '60000' });
    for (const n of [4, 5, 6]) await deliver(n);
    await eventually(async () => ((await documents('in_flight')).length > 0 ? true : undefined), 'a batch in flight', 20_000);
    puente.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(await terminate(puente)).toBe(1);
    expect(puente.output()).toMatch(/second signal: exiting without waiting/);

    // 3. No grace: whatever is being sent is left for the next start to reconcile; still exit 0.
    puente = await serve({ PUENTE_SHUTDOWN_GRACE_MS: '0' });
    for (const n of [7, 8, 9, 10, 11, 12]) await deliver(n);
    await eventually(async () => ((await documents('in_flight')).length > 0 ? true : undefined), 'a batch in flight', 20_000);
    expect(await terminate(puente)).toBe(0);
    expect(puente.output()).toMatch(/a send outlived the grace period/);
    // Every acknowledged webhook is on disk, whether or not its document was made before the stop.
    state = await leftBehind();
    expect(state.events).toBe(12);

    // 4. Restart: everything is issued, once.
    puente = await serve();
    const issued = await eventually(async () => {
      const docs = await documents();
      return docs.length === 12 && docs.every((d) => d.status === 'issued') ? docs : undefined;
    }, 'all twelve invoices issued after the restart', 90_000);
    expect(await terminate(puente)).toBe(0);

    const response = await fetch(`${sandbox.url}/_sandbox/documents`);
    const atSandbox = ((await response.json()) as { documents: { kind: string; fiscalNumber: string; number: number }[] }).documents;
    const invoices = atSandbox.filter((d) => d.kind === 'invoice');
    expect(invoices).toHaveLength(12);
    expect(new Set(invoices.map((d) => d.fiscalNumber)).size).toBe(12);
    expect(invoices.map((d) => d.fiscalNumber).sort()).toEqual(issued.map((d) => d.result.fiscalNumber).sort());
    expect(new Set(issued.map((d) => d.orderId)).size).toBe(12);
    // Gapless: the resolution's first twelve numbers, each used once.
    expect(invoices.map((d) => d.number).sort()).toEqual(Array.from({ length: 12 }, (_, i) => 990000000 + i));
  }, 240_000);
});
