/**
 * The load generator, run as a forked child of bench/run.ts. It signs a pool of demo orders once,
 * then sends signed `orders/paid` deliveries (a distinct X-Shopify-Event-Id each) over keep-alive
 * node:http connections, closed-loop or open-loop, and reports counts and latencies to the parent.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { demoOrder } from '../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../connectors/shopify/signing.js';
import type { ChildMessage, ClosedLoopJob, DeliverySource, LoadResult, OpenLoopJob, ParentMessage } from './load-protocol.js';
import { summarizeLatencies } from './stats.js';

interface SignedBody {
  bytes: Buffer;
  /** The signed header set minus the per-delivery ids. */
  headers: Record<string, string>;
}

let pool: SignedBody[] = [];

function prepare(source: DeliverySource): ChildMessage {
  pool = [];
  let bytes = 0;
  for (let n = 0; n < source.distinctOrders; n++) {
    const order = demoOrder(n);
    const headers = shopifyWebhookHeaders({ topic: order.topic, shop: source.shop, body: order.body, secret: source.secret, eventId: null });
    delete headers['X-Shopify-Webhook-Id'];
    const body = Buffer.from(order.body, 'utf8');
    bytes += body.length;
    pool.push({ bytes: body, headers: { ...headers, 'Content-Length': String(body.length) } });
  }
  return { type: 'prepared', distinctOrders: pool.length, meanBodyBytes: Math.round(bytes / pool.length) };
}

type Outcome = { status: number } | { error: string };

function deliver(agent: http.Agent, url: URL, seq: number, prefix: string): Promise<Outcome> {
  const signed = pool[seq % pool.length]!;
  const eventId = `${prefix}-${seq}`;
  return new Promise((resolve) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...signed.headers, 'X-Shopify-Event-Id': eventId, 'X-Shopify-Webhook-Id': eventId },
      },
      (response) => {
        // The answer counts once it is fully read, as a real sender would see it.
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
      },
    );
    request.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    request.end(signed.bytes);
  });
}

class Tally {
  ok = 0;
  okIncludingWarmup = 0;
  readonly failures: Record<string, number> = {};
  readonly latencies: number[] = [];
  readonly timeline: number[] = [];

  constructor(
    private readonly measureFrom: number,
    private readonly measureTo: number,
  ) {}

  /** `startedAt` decides whether a delivery is measured; its latency runs from `latencyFrom` to `doneAt`. */
  record(outcome: Outcome, startedAt: number, latencyFrom: number, doneAt: number): void {
    const success = 'status' in outcome && outcome.status === 200;
    if (success) this.okIncludingWarmup++;
    if (startedAt < this.measureFrom || startedAt >= this.measureTo) return;
    if (success) {
      this.ok++;
      this.latencies.push(doneAt - latencyFrom);
      // By answer time: shows when the server got through its work, including any backlog after the window.
      const slot = Math.max(0, Math.floor((doneAt - this.measureFrom) / 1000));
      while (this.timeline.length <= slot) this.timeline.push(0);
      this.timeline[slot]!++;
    } else {
      const key = 'status' in outcome ? String(outcome.status) : outcome.error;
      this.failures[key] = (this.failures[key] ?? 0) + 1;
    }
  }

  /** Counted as a failure, and in the latencies with the time waited so far (a lower bound). */
  recordUnanswered(scheduledAt: number, gaveUpAt: number): void {
    if (scheduledAt < this.measureFrom || scheduledAt >= this.measureTo) return;
    this.latencies.push(gaveUpAt - scheduledAt);
  }

  result(mode: LoadResult['mode'], measuredMs: number, sent: number): LoadResult {
    return {
      mode,
      sent,
      ok: this.ok,
      failures: this.failures,
      okIncludingWarmup: this.okIncludingWarmup,
      measuredMs,
      perSecond: this.ok / (measuredMs / 1000),
      latencyMs: summarizeLatencies(this.latencies),
      perSecondTimeline: this.timeline,
    };
  }
}

async function closedLoop(job: ClosedLoopJob): Promise<LoadResult> {
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const measureTo = measureFrom + job.durationMs;
  const tally = new Tally(measureFrom, measureTo);
  let seq = 0;
  const client = async () => {
    while (performance.now() < measureTo) {
      const sentAt = performance.now();
      const outcome = await deliver(agent, url, seq++, job.eventIdPrefix);
      tally.record(outcome, sentAt, sentAt, performance.now());
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, client));
  agent.destroy();
  // Deliveries started in the window but answered after it are counted; the window is what we divide by.
  return tally.result('closed', job.durationMs, seq);
}

async function openLoop(job: OpenLoopJob): Promise<LoadResult> {
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.maxSockets });
  const intervalMs = 1000 / job.ratePerSecond;
  const total = Math.round(((job.warmupMs + job.durationMs) / 1000) * job.ratePerSecond);
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const measureTo = measureFrom + job.durationMs;
  const tally = new Tally(measureFrom, measureTo);
  /** Scheduled send time of every delivery not answered yet, by the promise that settles when it is. */
  const inFlight = new Map<Promise<void>, number>();
  let next = 0;
  let lateSends = 0;

  await new Promise<void>((allScheduled) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        const scheduledAt = start + next * intervalMs;
        if (now - scheduledAt > 5) lateSends++;
        const sent = deliver(agent, url, next, job.eventIdPrefix).then((outcome) => {
          tally.record(outcome, scheduledAt, scheduledAt, performance.now());
          inFlight.delete(sent);
        });
        inFlight.set(sent, scheduledAt);
        next++;
      }
      if (next >= total) allScheduled();
      else setTimeout(tick, Math.max(0, Math.min(1, start + next * intervalMs - performance.now())));
    };
    tick();
  });

  const drained = await Promise.race([
    Promise.all(inFlight.keys()).then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), job.drainTimeoutMs).unref()),
  ]);
  const unanswered = drained ? 0 : inFlight.size;
  // A delivery never answered waited at least until we gave up; leaving it out would flatter the percentiles.
  const gaveUpAt = performance.now();
  for (const scheduledAt of inFlight.values()) tally.recordUnanswered(scheduledAt, gaveUpAt);
  agent.destroy();
  return { ...tally.result('open', job.durationMs, next), lateSends, unanswered };
}

function send(message: ChildMessage): void {
  process.send!(message);
}

process.on('message', (message: ParentMessage) => {
  void (async () => {
    try {
      if (message.type === 'prepare') send(prepare(message.source));
      else if (message.type === 'run') send({ type: 'result', result: message.job.mode === 'closed' ? await closedLoop(message.job) : await openLoop(message.job) });
      else if (message.type === 'exit') process.disconnect();
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});

if (!process.send) {
  console.error('bench/loadgen.ts is started by bench/run.ts (npm run bench), not on its own.');
  process.exit(2);
}
