/**
 * Not part of `npm run bench`: a CPU profile of Puente's webhook ingest under load, of the measured
 * window only — not of start-up, warm-up or the inspection after the run — and a summary of where the
 * time went, for deciding what to cut.
 *
 *   node --import tsx bench/profile-ingest.ts [closed|open] [clients or deliveries/s] [seconds] [puente|http-path]
 *
 * Default: closed loop, 32 clients, 8 s, full Puente (durable store). `http-path` profiles the
 * diagnostic HTTP path over the in-memory inbox instead. The server runs in this process (the build, as
 * in the bench), the load generator in a child; the profile (Chrome DevTools format) is written to the
 * system's temp directory and its path printed.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SAMPLE_SHOP } from '../connectors/shopify/samples/index.js';
import type { ChildMessage, LoadJob, ParentMessage } from './load-protocol.js';
import { startHttpPathOnly, startPuenteUnderTest } from './puente-under-test.js';

const SECRET = 'bench-shopify-app-secret';
const mode = process.argv[2] === 'open' ? 'open' : 'closed';
const load = Number(process.argv[3] ?? (mode === 'open' ? 500 : 32));
const seconds = Number(process.argv[4] ?? 8);
const subject = process.argv[5] === 'http-path' ? 'http-path' : 'puente';

const child = fork(new URL('./loadgen.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--import', 'tsx'] });
const ask = (message: ParentMessage) =>
  new Promise<ChildMessage>((resolve, reject) => {
    child.once('message', (reply: ChildMessage) => (reply.type === 'error' ? reject(new Error(reply.message)) : resolve(reply)));
    child.send(message);
  });
const job = (url: string, eventIdPrefix: string, durationMs: number): LoadJob =>
  mode === 'closed'
    ? { url, eventIdPrefix, warmupMs: 0, durationMs, mode, concurrency: load }
    : { url, eventIdPrefix, warmupMs: 0, durationMs, mode, ratePerSecond: load, maxSockets: 1024, drainTimeoutMs: 20_000 };

await ask({ type: 'prepare', source: { secret: SECRET, shop: SAMPLE_SHOP, distinctOrders: 2_000 } });
const server = subject === 'puente' ? await startPuenteUnderTest(SECRET, SAMPLE_SHOP) : await startHttpPathOnly(SECRET, SAMPLE_SHOP);
await ask({ type: 'run', job: job(server.url, 'warm-up', 2_000) });

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const cpuBefore = process.cpuUsage();
const reply = await ask({ type: 'run', job: job(server.url, 'profiled', seconds * 1_000) });
const cpu = process.cpuUsage(cpuBefore);
const { profile } = await session.post('Profiler.stop');
session.disconnect();
if ('discard' in server) await server.discard();
else await server.close();
child.send({ type: 'exit' } satisfies ParentMessage);

const file = path.join(tmpdir(), `puente-ingest-${subject}-${mode}-${Date.now()}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
if (reply.type === 'result') {
  const r = reply.result;
  console.log(`${subject}, ${mode} loop: ${r.ok} answered 200 in ${seconds} s (${(r.ok / seconds).toFixed(0)}/s), failures ${JSON.stringify(r.failures)}`);
  console.log(`latency ms p50 ${r.latencyMs.p50.toFixed(1)} p99 ${r.latencyMs.p99.toFixed(1)}; server CPU ${((cpu.user + cpu.system) / r.sent).toFixed(0)} µs per delivery (profiler included)`);
}
console.log(`profile: ${file}\n`);
summarise(profile);

/** The functions that took the most time: by their own samples, and with everything they called. */
function summarise({ nodes, samples = [], timeDeltas = [] }: Profiler.Profile): void {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of nodes) for (const childId of node.children ?? []) parent.set(childId, node.id);
  const own = new Map<number, number>();
  samples.forEach((id, i) => own.set(id, (own.get(id) ?? 0) + (timeDeltas[i] ?? 0)));
  const total = [...own.values()].reduce((a, b) => a + b, 0);
  const name = (node: Profiler.ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of own) {
    const leaf = name(byId.get(id)!);
    self.set(leaf, (self.get(leaf) ?? 0) + time);
    // Each function once per stack, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = name(byId.get(at)!);
      if (!seen.has(frame)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + time);
      seen.add(frame);
    }
  }
  const top = (title: string, table: Map<string, number>, count: number) => {
    console.log(title);
    for (const [frame, time] of [...table].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`  ${((time / total) * 100).toFixed(1).padStart(5)} %  ${frame}`);
  };
  top('own time', self, 25);
  top('with callees', inclusive, 40);
}
