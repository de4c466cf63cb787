/**
 * Not part of `npm run bench`: runs only Puente's ingest under load, so the server can be profiled.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/puente-prof --import tsx bench/profile-open-loop.ts [rate] [seconds] [closed]
 *
 * With `closed` as third argument the load is closed-loop instead, with `rate` clients.
 *
 * Puente starts exactly as in the bench (bench/puente-under-test.ts); the load generator is a forked
 * child without the profiler flags, so the profile holds the server alone. Prints the latency summary
 * and the turns of the event loop that took longest.
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SAMPLE_SHOP } from '../connectors/shopify/samples/index.js';
import type { ChildMessage, LoadJob, ParentMessage } from './load-protocol.js';
import { startPuenteUnderTest } from './puente-under-test.js';

const SECRET = 'bench-shopify-app-secret';
const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 10);

const child = fork(new URL('./loadgen.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--import', 'tsx'] });
const ask = (message: ParentMessage) =>
  new Promise<ChildMessage>((resolve, reject) => {
    child.once('message', (reply: ChildMessage) => (reply.type === 'error' ? reject(new Error(reply.message)) : resolve(reply)));
    child.send(message);
  });

await ask({ type: 'prepare', source: { secret: SECRET, shop: SAMPLE_SHOP, distinctOrders: 2_000 } });
const puente = await startPuenteUnderTest(SECRET, SAMPLE_SHOP);
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const common = { url: puente.url, eventIdPrefix: 'profile', warmupMs: 2_000, durationMs: seconds * 1_000 };
const job: LoadJob =
  process.argv[4] === 'closed'
    ? { ...common, mode: 'closed', concurrency: rate }
    : { ...common, mode: 'open', ratePerSecond: rate, maxSockets: 1024, drainTimeoutMs: 20_000 };
const reply = await ask({ type: 'run', job });
delay.disable();
if (reply.type === 'result') {
  const r = reply.result;
  console.log(`ok ${r.ok}, failures ${JSON.stringify(r.failures)}, unanswered ${r.unanswered ?? 0}`);
  console.log(`latency ms p50 ${r.latencyMs.p50.toFixed(1)} p90 ${r.latencyMs.p90.toFixed(1)} p99 ${r.latencyMs.p99.toFixed(1)} max ${r.latencyMs.max.toFixed(1)}`);
  console.log(`per second: ${r.perSecondTimeline.join(' · ')}`);
}
console.log(`event-loop delay ms: p50 ${(delay.percentile(50) / 1e6).toFixed(1)} p99 ${(delay.percentile(99) / 1e6).toFixed(1)} max ${(delay.max / 1e6).toFixed(1)}`);
const store = await puente.closeAndInspect();
console.log(`store: ${store.events} events, ${(store.fileBytes / 1024 / 1024).toFixed(1)} MiB`);
child.send({ type: 'exit' } satisfies ParentMessage);
