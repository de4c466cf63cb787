/**
 * Webhook ingest: the bare HMAC server and Puente, each driven by the forked load generator with the
 * same signed bodies, closed-loop; then Puente open-loop at a fixed rate. Every server under test
 * listens on 127.0.0.1 only and is closed before the next one starts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { demoOrder, SAMPLE_SHOP } from '../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../connectors/shopify/signing.js';
import { startBareServer } from './bare-server.js';
import type { ChildMessage, DeliverySource, LoadJob, LoadResult, ParentMessage } from './load-protocol.js';
import { startHttpPathOnly, startPuenteUnderTest, type StoreOnDisk } from './puente-under-test.js';

export interface IngestSettings {
  concurrency: number;
  closedWarmupMs: number;
  closedDurationMs: number;
  /** Measured period of the diagnostic run (Puente's HTTP path without the durable store). */
  diagnosticDurationMs: number;
  openRatePerSecond: number;
  openWarmupMs: number;
  openDurationMs: number;
  distinctOrders: number;
}

export interface IngestResults {
  settings: IngestSettings;
  meanBodyBytes: number;
  bare: LoadResult;
  puenteClosed: LoadResult & { store: StoreOnDisk };
  /** Diagnostic: Puente's HTTP app and inbox over an in-memory store (no serialisation, no disk). */
  httpPathOnly: LoadResult;
  puenteOpen: LoadResult & { store: StoreOnDisk };
}

const SECRET = 'bench-shopify-app-secret';

export class LoadGenerator {
  private constructor(private readonly child: ChildProcess) {}

  static start(): LoadGenerator {
    // fork() passes on this process's execArgv (`--import tsx`), so the child runs TypeScript too.
    const child = fork(new URL('./loadgen.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new LoadGenerator(child);
  }

  private ask(message: ParentMessage, timeoutMs: number): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`the load generator did not answer "${message.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (reply: ChildMessage) => {
        cleanup();
        if (reply.type === 'error') reject(new Error(`load generator: ${reply.message}`));
        else resolve(reply);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`the load generator exited (code ${code}) during "${message.type}"`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(message);
    });
  }

  async prepare(source: DeliverySource): Promise<number> {
    const reply = await this.ask({ type: 'prepare', source }, 60_000);
    if (reply.type !== 'prepared') throw new Error(`unexpected reply ${reply.type}`);
    return reply.meanBodyBytes;
  }

  /**
   * Runs a job against a server living in this process, and adds what this process's CPU spent per
   * delivery meanwhile: less sensitive to other load on the machine than the rates are.
   */
  async run(job: LoadJob): Promise<LoadResult> {
    const budget = job.warmupMs + job.durationMs + (job.mode === 'open' ? job.drainTimeoutMs : 0) + 30_000;
    const cpuBefore = process.cpuUsage();
    const reply = await this.ask({ type: 'run', job }, budget);
    const cpu = process.cpuUsage(cpuBefore);
    if (reply.type !== 'result') throw new Error(`unexpected reply ${reply.type}`);
    const { result } = reply;
    return { ...result, serverCpuUsPerDelivery: (cpu.user + cpu.system) / Math.max(1, result.sent) };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** One signed delivery from the parent; used to check a server really verifies before loading it. */
async function deliverOnce(url: string, eventId: string, secret: string): Promise<{ status: number; json: unknown }> {
  const order = demoOrder(0);
  const headers = shopifyWebhookHeaders({ topic: order.topic, shop: SAMPLE_SHOP, body: order.body, secret, eventId });
  const response = await fetch(url, { method: 'POST', headers, body: order.body });
  return { status: response.status, json: await response.json() };
}

async function expectRefusesBadSignature(url: string): Promise<void> {
  const { status } = await deliverOnce(url, 'bench-sanity-forged', 'not-the-secret');
  if (status !== 401) throw new Error(`${url} answered ${status} to a forged signature; expected 401 — not benchmarking a server that does not verify`);
}

function assertClean(label: string, result: LoadResult): void {
  const failures = Object.entries(result.failures);
  if (failures.length > 0 || (result.unanswered ?? 0) > 0) {
    const what = failures.map(([k, v]) => `${v}× ${k}`).join(', ');
    console.warn(`  ! ${label}: ${what}${result.unanswered ? ` ${result.unanswered} unanswered` : ''}`);
  }
}

/** The diagnostic run: Puente's HTTP path over an in-memory inbox, whose events are dropped afterwards. */
async function diagnosticRun(loadgen: LoadGenerator, job: LoadJob): Promise<LoadResult> {
  const pathOnly = await startHttpPathOnly(SECRET, SAMPLE_SHOP);
  let result: LoadResult;
  try {
    await expectRefusesBadSignature(pathOnly.url);
    result = await loadgen.run({ ...job, url: pathOnly.url });
    if (pathOnly.events() !== result.okIncludingWarmup) {
      throw new Error(`the diagnostic inbox recorded ${pathOnly.events()} events for ${result.okIncludingWarmup} answers 200`);
    }
  } finally {
    await pathOnly.close();
  }
  assertClean('diagnostic', result);
  return result;
}

export async function benchIngest(settings: IngestSettings, progress: (line: string) => void): Promise<IngestResults> {
  const loadgen = LoadGenerator.start();
  try {
    const meanBodyBytes = await loadgen.prepare({ secret: SECRET, shop: SAMPLE_SHOP, distinctOrders: settings.distinctOrders });
    const closed = (url: string, prefix: string): LoadJob => ({
      mode: 'closed',
      url,
      eventIdPrefix: prefix,
      concurrency: settings.concurrency,
      warmupMs: settings.closedWarmupMs,
      durationMs: settings.closedDurationMs,
    });

    progress(`bare node:http + HMAC, closed loop, ${settings.concurrency} clients…`);
    const bareServer = await startBareServer(SECRET);
    let bare: LoadResult;
    try {
      await expectRefusesBadSignature(bareServer.url);
      const { status } = await deliverOnce(bareServer.url, 'bench-sanity-bare', SECRET);
      if (status !== 200) throw new Error(`the bare server refused a correctly signed delivery (${status})`);
      bare = await loadgen.run(closed(bareServer.url, 'bench-bare'));
    } finally {
      await bareServer.close();
    }
    assertClean('bare', bare);

    const puenteRun = async (label: string, job: (url: string) => LoadJob) => {
      progress(label);
      const puente = await startPuenteUnderTest(SECRET, SAMPLE_SHOP);
      let result: LoadResult;
      try {
        await expectRefusesBadSignature(puente.url);
        const first = await deliverOnce(puente.url, 'bench-sanity-puente', SECRET);
        const again = await deliverOnce(puente.url, 'bench-sanity-puente', SECRET);
        const dup = (r: { json: unknown }) => (r.json as { received?: { duplicate: boolean }[] }).received?.[0]?.duplicate;
        if (first.status !== 200 || dup(first) !== false || again.status !== 200 || dup(again) !== true) {
          throw new Error(`Puente did not store-then-deduplicate the sanity delivery (${first.status}/${dup(first)}, ${again.status}/${dup(again)})`);
        }
        result = await loadgen.run(job(puente.url));
      } catch (error) {
        await puente.discard().catch(() => undefined);
        throw error;
      }
      const store = await puente.closeAndInspect();
      // Every 200 must be a durable, distinct event (the load's plus the one sanity delivery); deliveries
      // the client gave up on may be stored too, nothing else may be.
      const answered = result.okIncludingWarmup + 1;
      if (store.events < answered || store.events > result.sent + 1) {
        throw new Error(`Puente answered 200 to ${answered} of ${result.sent + 1} distinct deliveries but its store holds ${store.events} events`);
      }
      if (store.eventsTouchedByPipeline !== 0) throw new Error(`${store.eventsTouchedByPipeline} events were processed although the pipeline was stopped`);
      assertClean(label, result);
      return { ...result, store };
    };

    const puenteClosed = await puenteRun(`Puente, closed loop, ${settings.concurrency} clients…`, (url) => closed(url, 'bench-closed'));
    progress(`diagnostic: Puente's HTTP path without the durable store, closed loop…`);
    const httpPathOnly = await diagnosticRun(loadgen, { ...closed('', 'bench-diagnostic'), durationMs: settings.diagnosticDurationMs });

    const puenteOpen = await puenteRun(`Puente, open loop at ${settings.openRatePerSecond} deliveries/s…`, (url) => ({
      mode: 'open',
      url,
      eventIdPrefix: 'bench-open',
      ratePerSecond: settings.openRatePerSecond,
      warmupMs: settings.openWarmupMs,
      durationMs: settings.openDurationMs,
      maxSockets: 1024,
      drainTimeoutMs: 20_000,
    }));
    return { settings, meanBodyBytes, bare, puenteClosed, httpPathOnly, puenteOpen };
  } finally {
    await loadgen.stop();
  }
}
