/**
 * Not part of `npm run bench`: what each step of the webhook acknowledgement path costs in CPU, in
 * process, without HTTP — to decide where to cut. Steps are timed round-robin (every step takes one
 * sample per round, so a burst of background load on this shared machine hits all of them alike) and
 * the median per-delivery cost is printed.
 *
 *   node --import tsx bench/ack-path-parts.ts [rounds=7] [deliveriesPerSample=400]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { scanShopifyBody } from '../connectors/shopify/body-scan.js';
import { createShopifySource, parseShopifyJson, shopifyWebhookHeaders } from '../connectors/shopify/index.js';
import { demoOrder, SAMPLE_SHOP } from '../connectors/shopify/samples/index.js';
import type { SourceEvent } from '../src/connector.js';
import { createLogger } from '../src/log.js';
import { Connections } from '../src/pipeline/connections.js';
import { Inbox } from '../src/pipeline/inbox.js';
import { LowdbStore } from '../src/store/lowdb-store.js';
import { median } from './stats.js';

const rounds = Number(process.argv[2] ?? 7);
const perSample = Number(process.argv[3] ?? 400);
const SECRET = 'parts-secret';

const bodies = Array.from({ length: 200 }, (_, n) => {
  const order = demoOrder(n);
  const headers = Object.fromEntries(
    Object.entries(shopifyWebhookHeaders({ topic: order.topic, shop: SAMPLE_SHOP, body: order.body, secret: SECRET, eventId: `e-${n}` })).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return { text: order.body, bytes: Buffer.from(order.body), headers };
});
const source = createShopifySource({ apiSecretKey: SECRET, apiVersion: '2026-01' });
const events: SourceEvent[] = [];
for (const b of bodies) {
  const verdict = await source.webhook!.receive({ rawBody: b.text, headers: b.headers });
  if (!verdict.ok) throw new Error(verdict.error);
  events.push(verdict.events[0]!);
}
const sink = new Writable({ write: (_c, _e, done) => done() });
const log = createLogger('info', sink);
const silent = createLogger('silent');

const dir = mkdtempSync(path.join(tmpdir(), 'puente-parts-'));
const store = new LowdbStore({ dataDir: path.join(dir, 'a') });
await store.open();
const connections = new Connections([]);
let seq = 0;

/** `prepare` makes a sample's inputs before its clock starts; `run` gets the input for delivery i. */
type Step = { name: string; run: (i: number, input?: unknown) => unknown | Promise<unknown>; batch?: boolean; prepare?: (i: number) => unknown };
const steps: Step[] = [
  { name: 'Buffer → utf8 string', run: (i) => bodies[i % bodies.length]!.bytes.toString('utf8') },
  { name: 'JSON.parse (native, for scale)', run: (i) => JSON.parse(bodies[i % bodies.length]!.text) },
  { name: 'JSON.stringify of the payload (native)', run: (i) => JSON.stringify(events[i % events.length]!.payload) },
  { name: 'parseShopifyJson (exact, token by token)', run: (i) => parseShopifyJson(bodies[i % bodies.length]!.text) },
  { name: 'scanShopifyBody (what the receiver does)', run: (i) => scanShopifyBody(bodies[i % bodies.length]!.bytes, ['id', 'total_price', 'refunds']) },
  {
    name: 'Shopify receive (verify + scan + refs)',
    run: (i) => source.webhook!.receive({ rawBody: bodies[i % bodies.length]!.text, rawBytes: bodies[i % bodies.length]!.bytes, headers: bodies[i % bodies.length]!.headers }),
  },
  {
    name: 'pino line (the Inbox one)',
    run: (i) => log.info({ eventId: `evt_${i}`, source: 'shopify:x', kind: 'order.paid', orderId: '123', duplicate: false, status: 'received' }, 'event stored'),
  },
  {
    name: 'Inbox.accept → LowdbStore (32 at once, durable)',
    batch: true,
    run: (i) => new Inbox(store, connections, silent).accept([{ ...events[i % events.length]!, deliveryId: `d-${seq++}` }]),
  },
];

const samples = new Map<string, number[]>(steps.map((s) => [s.name, []]));
for (let round = 0; round < rounds + 1; round++) {
  for (const step of steps) {
    const inputs = step.prepare ? Array.from({ length: perSample }, (_, i) => step.prepare!(i)) : [];
    const c0 = process.cpuUsage();
    if (step.batch) {
      for (let i = 0; i < perSample; i += 32) await Promise.all(Array.from({ length: 32 }, (_, k) => step.run(i + k, inputs[i + k])));
    } else {
      for (let i = 0; i < perSample; i++) await step.run(i, inputs[i]);
    }
    const cpu = process.cpuUsage(c0);
    // Round 0 warms up.
    if (round > 0) samples.get(step.name)!.push((cpu.user + cpu.system) / perSample);
  }
}
console.log(`CPU µs per delivery, median of ${rounds} samples of ${perSample}:`);
for (const step of steps) console.log(`  ${median(samples.get(step.name)!).toFixed(1).padStart(8)}  ${step.name}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
