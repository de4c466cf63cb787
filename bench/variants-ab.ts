/**
 * Not part of `npm run bench`: full Puente (durable store) in variants, next to the bare HMAC server,
 * in alternating short closed-loop runs, each Puente run on a fresh store, so background load on a
 * shared machine hits every variant alike. Prints each run and the medians of rate, share of bare,
 * and server CPU per delivery.
 *
 *   node --import tsx bench/variants-ab.ts [rounds=3] [seconds=5] [only=name,name]
 */
import { SAMPLE_SHOP } from '../connectors/shopify/samples/index.js';
import { startBareServer } from './bare-server.js';
import { LoadGenerator } from './ingest.js';
import { startPuenteUnderTest, type PuenteVariant } from './puente-under-test.js';
import { median } from './stats.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const only = process.argv[4]?.split(',');
const SECRET = 'bench-shopify-app-secret';

const puente = (variant: PuenteVariant) => async () => {
  const p = await startPuenteUnderTest(SECRET, SAMPLE_SHOP, variant);
  return { url: p.url, close: () => p.discard() };
};
const all: Record<string, () => Promise<{ url: string; close: () => Promise<void> }>> = {
  bare: () => startBareServer(SECRET),
  express: puente({ door: 'express' }),
  'front door': puente({}),
};
const servers = Object.entries(all).filter(([name]) => name === 'bare' || !only || only.includes(name));

const loadgen = LoadGenerator.start();
await loadgen.prepare({ secret: SECRET, shop: SAMPLE_SHOP, distinctOrders: 2_000 });
const rates: Record<string, number[]> = {};
const shares: Record<string, number[]> = {};
const cpus: Record<string, number[]> = {};
let n = 0;
for (let round = 0; round < rounds; round++) {
  let bare = Number.NaN;
  // The bare server first, then the variants in an order that turns each round, so none always runs last.
  const variants = servers.slice(1);
  const turned = [servers[0]!, ...variants.slice(round % variants.length), ...variants.slice(0, round % variants.length)];
  for (const [name, start] of turned) {
    const server = await start();
    const r = await loadgen.run({ mode: 'closed', url: server.url, eventIdPrefix: `ab-${n++}`, concurrency: 32, warmupMs: 1_000, durationMs: seconds * 1_000 });
    await server.close();
    if (name === 'bare') bare = r.perSecond;
    (rates[name] ??= []).push(r.perSecond);
    (shares[name] ??= []).push(r.perSecond / bare);
    (cpus[name] ??= []).push(r.serverCpuUsPerDelivery!);
    const failed = Object.values(r.failures).reduce((a, b) => a + b, 0);
    console.log(
      `round ${round + 1} ${name.padEnd(18)} ${r.perSecond.toFixed(0).padStart(6)}/s ${((r.perSecond / bare) * 100).toFixed(1).padStart(5)} % of bare  ` +
        `CPU ${r.serverCpuUsPerDelivery!.toFixed(0).padStart(5)} µs/delivery  p50 ${r.latencyMs.p50.toFixed(1)} p99 ${r.latencyMs.p99.toFixed(1)} ms${failed ? `  ${failed} failed` : ''}`,
    );
  }
}
await loadgen.stop();
for (const [name] of servers) {
  console.log(`median ${name.padEnd(18)} ${median(rates[name]!).toFixed(0).padStart(6)}/s ${(median(shares[name]!) * 100).toFixed(1).padStart(5)} % of bare  CPU ${median(cpus[name]!).toFixed(0).padStart(5)} µs/delivery`);
}
