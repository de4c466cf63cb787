/**
 * One chaos run: the real `puente serve` and the standalone sandboxes as child processes on
 * loopback; seeded orders delivered as signed Shopify webhooks, each delivery possibly duplicated
 * or moved out of order, with every unacknowledged delivery retried as Shopify would; the sandboxes
 * failing, stalling, rate-limiting and dropping connections after taking a document; Puente killed
 * with SIGKILL at random moments and restarted on the same data directory. At the end, once Puente
 * is quiet (or the time is up), what the sandboxes hold is checked against the orders.
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { startCli, tempDir, writeYaml, type RunningProcess } from '../../test/e2e/processes.js';
import { checkTarget, expectedCounts, type TargetVerdict } from './check.js';
import { generateOrder, type Delivery, type ExpectedOrder } from './orders.js';
import { Random } from './random.js';
import { TARGETS, type FiscalKind, type TargetName } from './targets.js';

export interface ChaosFaults {
  errorRate: number;
  spikeRate: number;
  spikeMs: number;
  rate429: number;
  retryAfterSeconds: number;
  dropAfterAcceptRate: number;
}

export const DEFAULT_FAULTS: ChaosFaults = {
  errorRate: 0.2,
  spikeRate: 0.05,
  spikeMs: 1500,
  rate429: 0.03,
  retryAfterSeconds: 1,
  dropAfterAcceptRate: 0.05,
};

export interface ChaosOptions {
  orders: number;
  kills: number;
  seed: number;
  targets: TargetName[];
  maxMinutes: number;
  faults?: ChaosFaults;
  /** Share of deliveries sent twice (the copy later, at random). */
  duplicateRate?: number;
  /** How far (in deliveries) one may move from its place: the reordering window. */
  reorderWindow?: number;
  /** Concurrent webhook senders. */
  concurrency?: number;
  logLevel?: string;
  progress?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  targets: TargetName[];
  orders: number;
  stories: Record<string, number>;
  deliveries: { unique: number; duplicates: number; sent: number; attempts: number; unacknowledged: number };
  kills: number;
  faultsInjected: Record<string, { errors: number; spikes: number; rateLimited: number; dropped: number }>;
  expected: Record<FiscalKind, number>;
  held: Record<FiscalKind, number>;
  verdicts: TargetVerdict[];
  puente: Record<string, number>;
  quiescent: boolean;
  elapsedMs: number;
  drainMs: number;
  discrepancies: string[];
}

const SECRET = 'chaos-shopify-secret';
const ADMIN = 'chaos-admin-token';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** The delivery schedule: story order per order, orders interleaved, then moved and duplicated at random. */
export function schedule(orders: { deliveries: Delivery[] }[], random: Random, duplicateRate: number, window: number): { list: Delivery[]; duplicates: number } {
  const slotted: { at: number; delivery: Delivery }[] = [];
  let duplicates = 0;
  orders.forEach(({ deliveries }, n) => {
    deliveries.forEach((delivery, k) => {
      // Later events of a story come a few orders later, as they would in a live store.
      const at = n + k * 3 + random.next() * window;
      slotted.push({ at, delivery });
      if (random.next() < duplicateRate) {
        duplicates++;
        slotted.push({ at: at + random.next() * window * 2, delivery });
      }
    });
  });
  slotted.sort((a, b) => a.at - b.at);
  return { list: slotted.map((s) => s.delivery), duplicates };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const startedAt = Date.now();
  const started = startedAt;
  const deadline = started + options.maxMinutes * 60_000;
  const say = options.progress ?? (() => undefined);
  const faults = options.faults ?? DEFAULT_FAULTS;
  const random = new Random(options.seed);
  const orderRandom = random.fork(1);
  const scheduleRandom = random.fork(2);
  const killRandom = random.fork(3);
  const dir = tempDir('puente-chaos-');
  const profiles = options.targets.map((name) => TARGETS[name]);

  // ─── the orders and what they must give ────────────────────────────────────────────────────
  const generated = Array.from({ length: options.orders }, (_, n) => {
    const profile = profiles[n % profiles.length]!;
    return { target: profile.name, ...generateOrder(n, profile.shop, profile.country, orderRandom, options.seed) };
  });
  const { list, duplicates } = schedule(generated, scheduleRandom, options.duplicateRate ?? 0.25, options.reorderWindow ?? 12);
  const stories: Record<string, number> = {};
  for (const g of generated) stories[g.expected.story] = (stories[g.expected.story] ?? 0) + 1;

  // ─── processes ─────────────────────────────────────────────────────────────────────────────
  const sandboxes: { name: TargetName; process: RunningProcess; origin: string }[] = [];
  let puente: RunningProcess | undefined;
  // Each incarnation's output goes to puente-output.log in the run's directory, for the post-mortem.
  const keepOutput = (process: RunningProcess) => appendFileSync(path.join(dir, 'puente-output.log'), `${process.output()}\n--- ${new Date().toISOString()} process ended ---\n`);
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await puente?.stop();
    if (puente) keepOutput(puente);
    await Promise.all(sandboxes.map((s) => s.process.stop()));
  };
  try {
    for (const profile of profiles) {
      const process = await startCli(
        ['sandbox', profile.name, '--port', '0', '--requests-per-minute', '100000'],
        {},
        new RegExp(`${profile.name} sandbox listening at (http://[\\d.:]+\\S*)`),
      );
      const origin = new URL(process.url).origin;
      sandboxes.push({ name: profile.name, process, origin });
      await profile.prepare?.(origin);
      // Unidigital's 429 means "your previous request is still processing" and carries no Retry-After.
      const { retryAfterSeconds, ...common } = faults;
      const body = profile.name === 'unidigital' ? common : { ...common, retryAfterSeconds };
      const response = await fetch(`${origin}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${profile.name} sandbox refused the faults: ${await response.text()}`);
    }
    const port = await freePort();
    const config = `
server: { port: ${port}, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${path.resolve(import.meta.dirname, '../../mappings')}
log: { level: ${options.logLevel ?? 'warn'} }
shopify: { apiSecret: ${SECRET}, apiVersion: "2026-01" }
pipeline: { tickMs: 100, statusPollMs: 300 }
targets:
${profiles.map((p, i) => `  t${i}:\n${p.targetBlock(sandboxes[i]!.process.url)}`).join('\n')}
connections:
${profiles.map((p, i) => `  - { id: ${p.name}, source: { type: shopify, shop: ${p.shop} }, target: t${i}, ${p.connection} }`).join('\n')}
`;
    const configFile = writeYaml(dir, 'puente.config.yaml', config);
    // A Puente that exits on its own (a crash, or a kill from outside the run) is restarted too, and
    // reported: the run must not wait out its time limit against a dead server.
    const unexpectedExits: string[] = [];
    let restarting: Promise<void> | undefined;
    const startPuente = async (): Promise<RunningProcess> => {
      const started = await startCli(['serve'], { PUENTE_CONFIG: configFile }, /Puente is running at (http:\/\/[\d.:]+)/, 60_000);
      started.child.once('exit', (code, signal) => {
        if (stopping || started !== puente || restarting) return;
        unexpectedExits.push(`Puente exited on its own (${signal ?? `code ${code}`}) at ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
        keepOutput(started);
        say(unexpectedExits.at(-1)!);
        let done!: () => void;
        restarting = new Promise<void>((resolve) => (done = resolve));
        void startPuente().then((next) => {
          puente = next;
          restarting = undefined;
          done();
        });
      });
      return started;
    };
    puente = await startPuente();
    say(`seed ${options.seed}: ${options.orders} orders on ${options.targets.join(', ')}; ${list.length} deliveries (${duplicates} duplicates); data in ${dir}`);

    // ─── deliveries ────────────────────────────────────────────────────────────────────────────
    let next = 0;
    let acknowledged = 0;
    let attempts = 0;
    const deliverOnce = async (delivery: Delivery): Promise<boolean> => {
      attempts++;
      const headers = shopifyWebhookHeaders({ topic: delivery.topic, shop: delivery.shop, body: delivery.body, secret: SECRET, eventId: delivery.eventId });
      try {
        const response = await fetch(`${puente!.url}/webhooks/shopify`, { method: 'POST', headers, body: delivery.body, signal: AbortSignal.timeout(15_000) });
        await response.arrayBuffer();
        return response.ok;
      } catch {
        return false;
      }
    };
    const worker = async () => {
      while (next < list.length && Date.now() < deadline) {
        const delivery = list[next++]!;
        // Unacknowledged (Puente down, or killed mid-request): Shopify sends the same delivery again.
        while (!(await deliverOnce(delivery))) {
          if (Date.now() > deadline) return;
          await (restarting ?? sleep(200));
        }
        acknowledged++;
      }
    };

    // ─── kills ─────────────────────────────────────────────────────────────────────────────────
    let kills = 0;
    const killAndRestart = async (why: string) => {
      await restarting;
      let done!: () => void;
      restarting = new Promise<void>((resolve) => (done = resolve));
      const victim = puente!;
      await victim.stop('SIGKILL');
      keepOutput(victim);
      kills++;
      say(`kill ${kills} (${why}) at ${((Date.now() - started) / 1000).toFixed(1)} s; restarting`);
      puente = await startPuente();
      restarting = undefined;
      done();
    };
    const duringDelivery = Math.ceil(options.kills / 2);
    const thresholds = Array.from({ length: duringDelivery }, () => 0.1 + killRandom.next() * 0.8).sort();
    const killer = async () => {
      for (const share of thresholds) {
        while (acknowledged < share * list.length && next < list.length && Date.now() < deadline) await sleep(20);
        if (Date.now() > deadline) return;
        await killAndRestart(`${Math.round(share * 100)} % of deliveries acknowledged`);
      }
    };
    const concurrency = options.concurrency ?? 6;
    await Promise.all([...Array.from({ length: concurrency }, worker), killer()]);
    say(`deliveries done: ${acknowledged}/${list.length} acknowledged in ${attempts} attempts`);

    // ─── drain, with the remaining kills while documents are in flight ──────────────────────────
    const drainStarted = Date.now();
    while (kills < options.kills && Date.now() < deadline) {
      await sleep(300 + killRandom.next() * 3000);
      // Aim at a moment when something is being sent, if that comes within a few seconds.
      const aimUntil = Date.now() + 5000;
      let inFlight = 0;
      while (Date.now() < aimUntil && (inFlight = await countDocuments(puente.url, 'in_flight').catch(() => 0)) === 0) await sleep(50);
      await killAndRestart(inFlight > 0 ? `${inFlight} document(s) in flight` : 'while draining');
    }
    let quiescent = false;
    let quietPasses = 0;
    while (Date.now() < deadline) {
      const state = await puenteState(puente.url).catch(() => undefined);
      const busy = state ? ['pending', 'ready', 'in_flight', 'received', 'waiting'].reduce((n, k) => n + (state[k] ?? 0), 0) : 1;
      quietPasses = busy === 0 ? quietPasses + 1 : 0;
      if (quietPasses >= 3) {
        quiescent = true;
        break;
      }
      if (state && Math.random() < 0.1) say(`draining: ${JSON.stringify(state)}`);
      await sleep(500);
    }
    const drainMs = Date.now() - drainStarted;

    // ─── verdict ───────────────────────────────────────────────────────────────────────────────
    await restarting;
    stopping = true;
    const discrepancies: string[] = [...unexpectedExits];
    if (acknowledged < list.length) discrepancies.push(`only ${acknowledged} of ${list.length} deliveries were acknowledged before the time limit`);
    if (!quiescent) discrepancies.push(`Puente did not become quiet within ${options.maxMinutes} minutes`);
    const state = await puenteState(puente.url);
    for (const [status, count] of Object.entries(state)) {
      if (count > 0) discrepancies.push(`Puente still has ${count} ${status} record(s)${await detail(puente.url, status)}`);
    }
    const verdicts: TargetVerdict[] = [];
    const faultsInjected: ChaosReport['faultsInjected'] = {};
    for (const [i, profile] of profiles.entries()) {
      const expected: ExpectedOrder[] = generated.filter((g) => g.target === profile.name).map((g) => g.expected);
      // What the API holds, kept beside Puente's data for a post-mortem.
      const raw = await (await fetch(`${sandboxes[i]!.origin}/_sandbox/documents${profile.name === 'apidian' ? '?all=1' : ''}`)).text();
      appendFileSync(path.join(dir, `${profile.name}-documents.json`), raw);
      const verdict = checkTarget(profile, expected, await profile.read(sandboxes[i]!.origin));
      verdicts.push(verdict);
      discrepancies.push(...verdict.discrepancies);
      const current = (await (await fetch(`${sandboxes[i]!.origin}/_sandbox/faults`)).json()) as { faults: { injected: ChaosReport['faultsInjected'][string] } };
      faultsInjected[profile.name] = current.faults.injected;
    }
    const held = { invoice: 0, credit_note: 0, debit_note: 0 };
    for (const v of verdicts) for (const kind of Object.keys(held) as FiscalKind[]) held[kind] += v.held[kind];
    if (kills < options.kills) discrepancies.push(`only ${kills} of ${options.kills} kills happened before the time limit`);
    return {
      seed: options.seed,
      targets: options.targets,
      orders: options.orders,
      stories,
      deliveries: { unique: list.length - duplicates, duplicates, sent: list.length, attempts, unacknowledged: list.length - acknowledged },
      kills,
      faultsInjected,
      expected: expectedCounts(generated.map((g) => g.expected)),
      held,
      verdicts,
      puente: state,
      quiescent,
      elapsedMs: Date.now() - started,
      drainMs,
      discrepancies,
    };
  } catch (error) {
    if (puente) (error as Error).message += `\n--- puente output (tail) ---\n${puente.output().slice(-4000)}`;
    throw error;
  } finally {
    await stopAll();
  }
}

async function admin<T>(url: string, route: string): Promise<T> {
  const response = await fetch(`${url}/api/${route}`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET /api/${route}: ${response.status}`);
  return (await response.json()) as T;
}

async function countDocuments(url: string, status: string): Promise<number> {
  return (await admin<{ documents: unknown[] }>(url, `documents?status=${status}&limit=1000`)).documents.length;
}

/** Documents and events that are not settled (issued / processed / ignored / skipped). */
async function puenteState(url: string): Promise<Record<string, number>> {
  const documents = ['pending', 'ready', 'in_flight', 'needs_attention'];
  const events = ['received', 'waiting', 'needs_attention', 'unroutable'];
  const state: Record<string, number> = {};
  for (const status of documents) state[status] = await countDocuments(url, status);
  for (const status of events) {
    state[status === 'needs_attention' ? 'events_needs_attention' : status] = (await admin<{ events: unknown[] }>(url, `events?status=${status}&limit=1000`)).events.length;
  }
  return state;
}

/** A few examples of what is stuck, with the reason Puente gives. */
async function detail(url: string, status: string): Promise<string> {
  try {
    if (['pending', 'ready', 'in_flight', 'needs_attention'].includes(status)) {
      const { documents } = await admin<{ documents: { id: string; kind: string; orderId: string; attention?: { reason: string } }[] }>(url, `documents?status=${status}&limit=3`);
      return `: ${documents.map((d) => `${d.kind} of order ${d.orderId}${d.attention ? ` (${d.attention.reason})` : ''}`).join('; ')}`;
    }
    const eventStatus = status === 'events_needs_attention' ? 'needs_attention' : status;
    const { events } = await admin<{ events: { kind: string; orderId: string; note?: string; attention?: { reason: string } }[] }>(url, `events?status=${eventStatus}&limit=3`);
    return ` (events): ${events.map((e) => `${e.kind} of order ${e.orderId}${e.note ? ` (${e.note})` : ''}${e.attention ? ` (${e.attention.reason})` : ''}`).join('; ')}`;
  } catch {
    return '';
  }
}
