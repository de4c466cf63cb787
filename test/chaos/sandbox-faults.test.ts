/**
 * The random faults every sandbox offers for chaos runs (src/target-kit/sandbox-routes.ts): latency
 * spikes, 429s, 5xx and connections dropped after the document was stored — drawn per request from
 * the sandbox's random source, counted in `injected`, configurable through POST /_sandbox/faults on
 * all four sandboxes alike.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { targetTypes, type RunningSandbox } from '../../connectors/index.js';
import { APIDIAN_SANDBOX_DEMO_TOKEN, startApidianSandbox, type RunningApidianSandbox } from '../../connectors/apidian/sandbox/index.js';
import { exampleInvoice } from '../../connectors/apidian/sandbox/examples.js';
import { applyLatency, noChaosFaults, takeDropAfterAccept, takeError, takeRateLimit } from '../../src/target-kit/sandbox-routes.js';

const faults = (overrides: Record<string, number> = {}) => ({ ...noChaosFaults(), errorRate: 0, latencyMs: 0, force429: 0, dropAfterAccept: 0, ...overrides });

describe('the shared fault draws', () => {
  it('rate429 and dropAfterAcceptRate fire when the draw is below the share, and are counted', () => {
    const f = faults({ rate429: 0.3, dropAfterAcceptRate: 0.3, errorRate: 0.3 });
    expect(takeRateLimit(f, () => 0.29)).toBe(true);
    expect(takeRateLimit(f, () => 0.3)).toBe(false);
    expect(takeDropAfterAccept(f, () => 0.1)).toBe(true);
    expect(takeDropAfterAccept(f, () => 0.9)).toBe(false);
    expect(takeError(f, () => 0.0)).toBe(true);
    expect(takeError(f, () => 0.5)).toBe(false);
    expect(f.injected).toEqual({ errors: 1, spikes: 0, rateLimited: 1, dropped: 1 });
  });

  it('armed counters still come first and count down, whatever the draw', () => {
    const f = faults({ force429: 1, dropAfterAccept: 1 });
    expect(takeRateLimit(f, () => 0.99)).toBe(true);
    expect(takeRateLimit(f, () => 0.99)).toBe(false);
    expect(takeDropAfterAccept(f, () => 0.99)).toBe(true);
    expect(takeDropAfterAccept(f, () => 0.99)).toBe(false);
    expect([f.force429, f.dropAfterAccept]).toEqual([0, 0]);
  });

  it('a spike adds spikeMs to the base latency only when drawn', async () => {
    vi.useFakeTimers();
    try {
      const f = faults({ latencyMs: 100, spikeRate: 0.5, spikeMs: 2000 });
      let done = false;
      const spiked = applyLatency(f, () => 0.1).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(2099);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await spiked;
      expect(done).toBe(true);

      done = false;
      const plain = applyLatency(f, () => 0.9).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(100);
      await plain;
      expect(done).toBe(true);
      expect(f.injected.spikes).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('every sandbox takes the chaos faults through POST /_sandbox/faults', () => {
  const running: RunningSandbox[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  for (const name of ['apidian', 'unidigital', 'tuimprenta', 'facturapi']) {
    it(`${name}: accepts the shares, shows them with the injected counts, refuses a share above 1`, async () => {
      const sandbox = await targetTypes[name]!.startSandbox({ port: 0 });
      running.push(sandbox);
      const post = (body: unknown) =>
        fetch(`${sandbox.origin}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const accepted = await post({ spikeRate: 0.1, spikeMs: 500, rate429: 0.05, dropAfterAcceptRate: 0.2 });
      expect(accepted.status).toBe(200);
      const shown = (await (await fetch(`${sandbox.origin}/_sandbox/faults`)).json()) as { faults: Record<string, unknown> };
      expect(shown.faults).toMatchObject({ spikeRate: 0.1, spikeMs: 500, rate429: 0.05, dropAfterAcceptRate: 0.2, injected: { errors: 0, spikes: 0, rateLimited: 0, dropped: 0 } });
      const refused = await post({ dropAfterAcceptRate: 1.5 });
      expect(refused.status).toBe(400);
      // The counters are read-only: they cannot be set from outside.
      expect((await post({ injected: { dropped: 5 } })).status).toBe(400);
    });
  }
});

describe('APIDIAN sandbox: a drop after accept, drawn at random', () => {
  let sandbox: RunningApidianSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('stores the invoice, then destroys the connection without an answer; rate429 answers 429 before anything is stored', async () => {
    sandbox = await startApidianSandbox({ port: 0, random: () => 0 });
    const headers = { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${APIDIAN_SANDBOX_DEMO_TOKEN}` };
    const setFaults = (body: unknown) => fetch(`${sandbox!.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const held = async () => ((await (await fetch(`${sandbox!.url}/_sandbox/documents?all=1`)).json()) as { documents: { number: number }[] }).documents.map((d) => d.number);

    await setFaults({ rate429: 1 });
    const limited = await fetch(`${sandbox.url}/api/ubl2.1/invoice`, { method: 'POST', headers, body: JSON.stringify(exampleInvoice(990000501)) });
    expect(limited.status).toBe(429);
    expect(await held()).toEqual([]);

    await setFaults({ rate429: 0, dropAfterAcceptRate: 1 });
    await expect(fetch(`${sandbox.url}/api/ubl2.1/invoice`, { method: 'POST', headers, body: JSON.stringify(exampleInvoice(990000502)) })).rejects.toThrow();
    expect(await held()).toEqual([990000502]);
    const shown = (await (await fetch(`${sandbox.url}/_sandbox/faults`)).json()) as { faults: { injected: Record<string, number> } };
    expect(shown.faults.injected).toMatchObject({ rateLimited: 1, dropped: 1 });
  });
});
