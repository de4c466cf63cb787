/**
 * Not part of `npm run bench`: the webhook-ingest part alone, repeated, for working on the ingest path
 * on a noisy machine. Each round measures the bare server and Puente in the same run (the ratio is
 * what compares across rounds), then Puente open-loop; the medians of the rounds are printed at the end.
 *
 *   node --import tsx bench/ingest-only.ts [rounds=3] [closedSeconds=8] [openSeconds=10]
 */
import os from 'node:os';
import { benchIngest, type IngestSettings } from './ingest.js';
import { median } from './stats.js';

const rounds = Number(process.argv[2] ?? 3);
const closedSeconds = Number(process.argv[3] ?? 8);
const openSeconds = Number(process.argv[4] ?? 10);

const settings: IngestSettings = {
  concurrency: 32,
  closedWarmupMs: 2_000,
  closedDurationMs: closedSeconds * 1_000,
  diagnosticDurationMs: 3_000,
  openRatePerSecond: 500,
  openWarmupMs: 2_000,
  openDurationMs: openSeconds * 1_000,
  distinctOrders: 2_000,
};

const f = (n: number, digits = 1) => n.toFixed(digits);
const shares: number[] = [];
const p99s: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const load = os.loadavg()[0]!;
  // Each phase's start with the heap in use then: what earlier phases leave behind is what the open loop runs with.
  const r = await benchIngest(settings, (line) => {
    // With --expose-gc: what is still reachable, not what merely has not been collected yet.
    (globalThis as { gc?: () => void }).gc?.();
    console.log(`  ${line} (heap in use ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB)`);
  });
  const share = r.puenteClosed.perSecond / r.bare.perSecond;
  shares.push(share);
  p99s.push(r.puenteOpen.latencyMs.p99);
  const cpu = (x: { serverCpuUsPerDelivery?: number }) => f(x.serverCpuUsPerDelivery ?? Number.NaN, 0);
  console.log(
    `round ${round} (load ${f(load, 2)}): bare ${f(r.bare.perSecond, 0)}/s · Puente ${f(r.puenteClosed.perSecond, 0)}/s ` +
      `(p50 ${f(r.puenteClosed.latencyMs.p50)} p99 ${f(r.puenteClosed.latencyMs.p99)} ms) = ${f(share * 100)} % · ` +
      `HTTP path only ${f(r.httpPathOnly.perSecond, 0)}/s = ${f((r.httpPathOnly.perSecond / r.bare.perSecond) * 100)} % · ` +
      `open 500/s p50 ${f(r.puenteOpen.latencyMs.p50)} p99 ${f(r.puenteOpen.latencyMs.p99)} max ${f(r.puenteOpen.latencyMs.max)} ms, ` +
      `failures ${JSON.stringify(r.puenteOpen.failures)} late sends ${r.puenteOpen.lateSends ?? 0}\n` +
      `  server CPU µs/delivery: bare ${cpu(r.bare)}, Puente closed ${cpu(r.puenteClosed)}, HTTP path only ${cpu(r.httpPathOnly)}, Puente open ${cpu(r.puenteOpen)}`,
  );
}
console.log(`median of ${rounds}: Puente/bare ${f(median(shares) * 100)} %, open-loop p99 ${f(median(p99s))} ms`);
