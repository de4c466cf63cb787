/**
 * Not part of `npm run bench`: the HTTP path alone (in-memory inbox, no durable write) through the
 * front door and through express, next to the bare HMAC server, in alternating short closed-loop runs
 * so background load on a shared machine hits all three alike. Prints each run and the medians.
 *
 *   node --import tsx bench/doors-ab.ts [rounds=5] [seconds=3] [only=bare,front door,express]
 */
import { SAMPLE_SHOP } from '../connectors/shopify/samples/index.js';
import { startBareServer } from './bare-server.js';
import { LoadGenerator } from './ingest.js';
import { startHttpPathOnly } from './puente-under-test.js';
import { median } from './stats.js';

const rounds = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 3);
const SECRET = 'bench-shopify-app-secret';

const loadgen = LoadGenerator.start();
await loadgen.prepare({ secret: SECRET, shop: SAMPLE_SHOP, distinctOrders: 2_000 });
const all = {
  bare: () => startBareServer(SECRET),
  'front door': () => startHttpPathOnly(SECRET, SAMPLE_SHOP, 'front door'),
  express: () => startHttpPathOnly(SECRET, SAMPLE_SHOP, 'express'),
};
const only = process.argv[4]?.split(',');
const servers = Object.fromEntries(Object.entries(all).filter(([name]) => !only || only.includes(name)));
const rates: Record<string, number[]> = {};
const cpus: Record<string, number[]> = {};
let n = 0;
for (let round = 0; round < rounds; round++) {
  for (const [name, start] of Object.entries(servers)) {
    const server = await start();
    const r = await loadgen.run({ mode: 'closed', url: server.url, eventIdPrefix: `ab-${n++}`, concurrency: 32, warmupMs: 1_000, durationMs: seconds * 1_000 });
    await server.close();
    (rates[name] ??= []).push(r.perSecond);
    (cpus[name] ??= []).push(r.serverCpuUsPerDelivery!);
    console.log(`round ${round + 1} ${name.padEnd(10)} ${r.perSecond.toFixed(0).padStart(6)}/s  CPU ${r.serverCpuUsPerDelivery!.toFixed(0).padStart(5)} µs/delivery  p99 ${r.latencyMs.p99.toFixed(1)} ms`);
  }
}
await loadgen.stop();
for (const name of Object.keys(servers)) {
  console.log(`median ${name.padEnd(10)} ${median(rates[name]!).toFixed(0).padStart(6)}/s  CPU ${median(cpus[name]!).toFixed(0).padStart(5)} µs/delivery`);
}
