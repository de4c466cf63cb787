/**
 * `puente status` and GET /api/health/deep, in-process, against a real admin API on loopback over a
 * real store and the real pipeline parts (scripted target): what each figure says after the pipeline
 * did something, and the exit codes scripts rely on.
 */
import Bottleneck from 'bottleneck';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_FINAL_CONSUMER_ORDER, SAMPLE_PAID_ORDER } from '../../connectors/shopify/samples/index.js';
import { EXIT_UNREACHABLE, runStatusCommand } from '../../src/cli/status.js';
import { healthReport, type HealthReport } from '../../src/pipeline/health.js';
import type { Loopback } from '../loopback.js';
import { serveAdminApp } from '../http/admin-app.js';
import { connectionFor, paidEvent, pipeline, ScriptedTarget, type Pipeline } from '../pipeline/harness.js';
import { captureIo } from './helpers.js';

const TOKEN = 'cli-status-admin-token-0123456789';

let p: Pipeline;
let server: Loopback;
let url: string;

async function start(options: Parameters<typeof pipeline>[0] = {}): Promise<void> {
  p = await pipeline(options);
  server = await serveAdminApp(p, TOKEN, { health: () => healthReport(p.store, p.connections, p.dispatcher, { now: p.clock.now }) });
  url = server.url;
}

afterEach(async () => {
  await server.close();
  await p.close();
});

async function status(args: string[], env: NodeJS.ProcessEnv = {}) {
  const captured = captureIo(process.cwd(), env);
  const code = await runStatusCommand(args, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

async function deep(): Promise<HealthReport> {
  const response = await fetch(`${url}/api/health/deep`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as HealthReport;
}

/** An order whose 16 % tax rate the shipped mapping cannot map: its invoice is parked. */
const unmappable = { ...SAMPLE_PAID_ORDER, lines: SAMPLE_PAID_ORDER.lines.map((line, i) => (i === 0 ? { ...line, taxRate: '0.16' } : line)) };

describe('GET /api/health/deep', () => {
  beforeEach(() => start());

  it('an idle connection is ok, with nothing queued and nothing issued yet', async () => {
    const report = await deep();
    expect(report).toMatchObject({ status: 'ok', reasons: [], unroutableEvents: { count: 0 } });
    expect(report.connections).toHaveLength(1);
    expect(report.connections[0]).toMatchObject({ id: 'shop', status: 'ok', target: 'apidian', queueDepth: { count: 0, atLeast: false } });
    expect(report.connections[0]!.lastIssuedAt).toBeUndefined();
    expect(report.connections[0]!.oldestQueuedAt).toBeUndefined();
  });

  it('counts queued documents, dates the oldest, and says when the last one was issued', async () => {
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    p.clock.advance(60_000);
    await p.receive(paidEvent(SAMPLE_FINAL_CONSUMER_ORDER));
    const documents = await p.documents();
    expect(documents.map((d) => d.status)).toEqual(['ready', 'ready']);
    p.clock.advance(30_000);

    let report = await deep();
    const [shop] = report.connections;
    expect(shop!.queueDepth.count).toBe(2);
    expect(shop!.documents.ready.count).toBe(2);
    expect(shop!.oldestQueuedAt).toBe(documents[0]!.createdAt);
    expect(shop!.oldestQueuedAgeMs).toBe(90_000);
    expect(report.status).toBe('ok');

    await p.dispatcher.dispatchReady();
    report = await deep();
    expect(report.connections[0]!.queueDepth.count).toBe(0);
    expect(report.connections[0]!.lastIssuedAt).toBe(p.clock.now().toISOString());
  });

  it('is degraded when documents need attention, naming how many and why', async () => {
    await p.receive(paidEvent(unmappable));
    const report = await deep();
    expect(report.status).toBe('degraded');
    expect(report.connections[0]).toMatchObject({ status: 'degraded', documents: { needsAttention: { count: 1 } }, attentionByKind: { mapping: 1 } });
    expect(report.reasons.join('\n')).toMatch(/shop: 1 document\(s\) need attention/);
  });

  it('is degraded when a document has waited longer than the stale limit', async () => {
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    p.clock.advance(14 * 60_000);
    expect((await deep()).status).toBe('ok');
    p.clock.advance(2 * 60_000);
    const report = await deep();
    expect(report.status).toBe('degraded');
    expect(report.reasons.join('\n')).toMatch(/oldest queued document has waited 16 min/);
  });

  it('says the invoicing account refused the credentials', async () => {
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    p.target.submitScripts.push((batch) => ({
      results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'failed', kind: 'auth', reason: 'token revoked' })),
    }));
    await p.dispatcher.dispatchReady();
    const report = await deep();
    expect(report.connections[0]!.attentionByKind).toEqual({ auth: 1 });
    expect(report.reasons.join('\n')).toMatch(/refused Puente's credentials/);
  });

  it('shows the connection held after a 429 until the time the API gave, without calling it degraded', async () => {
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    p.target.submitScripts.push((batch) => ({
      results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'failed', kind: 'rate_limited', reason: '429', retryAfterMs: 30_000 })),
    }));
    await p.dispatcher.dispatchReady();
    const report = await deep();
    expect(report.connections[0]!.limiter.pausedUntil).toBe(new Date(p.clock.time + 30_000).toISOString());
    expect(report.connections[0]!.queueDepth.count).toBe(1);
    expect(report.status).toBe('ok');
    p.clock.advance(30_001);
    expect((await deep()).connections[0]!.limiter.pausedUntil).toBeUndefined();
  });

  it('counts events from a source with no connection', async () => {
    await p.inbox.accept([paidEvent(SAMPLE_PAID_ORDER, { source: 'shopify:other.myshopify.com' })]);
    const report = await deep();
    expect(report.unroutableEvents.count).toBe(1);
    expect(report.status).toBe('degraded');
    expect(report.reasons.join('\n')).toMatch(/1 event\(s\) came from a source with no connection/);
  });

  it('is behind the admin token', async () => {
    expect((await fetch(`${url}/api/health/deep`)).status).toBe(401);
    expect((await fetch(`${url}/api/health/deep`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});

describe('the client limiter', () => {
  it('reports the requests waiting in a target client\'s limiter and its own pause', async () => {
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    let release!: () => void;
    const blocker = new Promise<void>((resolve) => (release = resolve));
    const running = limiter.schedule(() => blocker);
    const waiting = limiter.schedule(async () => undefined);
    class LimitedTarget extends ScriptedTarget {
      readonly client = { limiter, pausedUntil: Date.parse('2026-03-14T16:00:00.000Z') };
    }
    await start({ connections: (target) => [connectionFor(Object.assign(new LimitedTarget(), { calls: target.calls }))] });
    // Bottleneck hands jobs on asynchronously; give it a moment to start the first.
    await new Promise((r) => setTimeout(r, 20));
    const report = await deep();
    expect(report.connections[0]!.limiter).toMatchObject({ queued: 1, running: 1, clientPausedUntil: '2026-03-14T16:00:00.000Z' });
    release();
    await Promise.all([running, waiting]);
    await limiter.stop();
  });
});

describe('puente status', () => {
  beforeEach(() => start());

  it('prints a table per connection and exits 0 when all is well', async () => {
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    const { code, out } = await status(['--url', url, '--token', TOKEN]);
    expect(code).toBe(0);
    expect(out).toMatch(/: OK /);
    const row = out.split('\n').find((line) => line.startsWith('shop '));
    expect(row).toMatch(/^shop\s+ok\s+co \(apidian\)\s+1 \(0 pending, 1 ready, 0 in flight\)\s+0s\s+0\s+0\s+never/);
  });

  it('exits 1 and lists the reasons when degraded; --json prints the report', async () => {
    await p.receive(paidEvent(unmappable));
    const text = await status([], { PUENTE_URL: url, PUENTE_ADMIN_TOKEN: TOKEN });
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/DEGRADED/);
    expect(text.out).toMatch(/Why degraded:\n {2}- shop: 1 document\(s\) need attention/);

    const json = await status(['--json', '--url', url, '--token', TOKEN]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as HealthReport;
    expect(report.status).toBe('degraded');
    expect(report.connections[0]!.documents.needsAttention.count).toBe(1);
  });

  it('exits 3 when the server cannot be reached or refuses the token, 2 on a wrong command line', async () => {
    const refused = await status(['--url', url, '--token', 'wrong-token']);
    expect(refused.code).toBe(EXIT_UNREACHABLE);
    expect(refused.err).toMatch(/refused the admin token/);
    const closed = await status(['--url', 'http://127.0.0.1:9', '--token', TOKEN]);
    expect(closed.code).toBe(EXIT_UNREACHABLE);
    expect(closed.err).toMatch(/cannot reach Puente at http:\/\/127\.0\.0\.1:9/);
    const usage = await status(['extra', '--url', url, '--token', TOKEN]);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('Usage:');
  });
});
