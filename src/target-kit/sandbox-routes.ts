/**
 * The test endpoints every invoicing-API sandbox offers under `/_sandbox`, with the same shapes:
 * `GET|POST|DELETE /faults` (what the sandbox breaks on purpose) and `POST /reset`.
 */
import type { Router } from 'express';
import { z, type ZodType } from 'zod';

export interface FaultRoutesOptions<F extends object> {
  /** The live faults object the sandbox's middleware reads; changed in place. */
  faults: F;
  /** What POST /faults accepts (a partial set of faults). */
  schema: ZodType<Partial<F>>;
  /** The faults of a sandbox that breaks nothing. */
  none: () => F;
  /** Shown when POST /faults is refused, e.g. "{errorRate?: 0..1, latencyMs?, …}". */
  expected: string;
  reset: () => void;
}

export function addFaultRoutes<F extends object>(testing: Router, options: FaultRoutesOptions<F>): void {
  const { faults } = options;
  testing.get('/faults', (_req, res) => {
    res.json({ faults });
  });
  testing.post('/faults', (req, res) => {
    const parsed = options.schema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({
        message: `Invalid faults: expected ${options.expected}`,
        errors: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
      });
      return;
    }
    Object.assign(faults, parsed.data);
    res.json({ faults });
  });
  testing.delete('/faults', (_req, res) => {
    Object.assign(faults, options.none());
    res.json({ faults });
  });
  testing.post('/reset', (_req, res) => {
    options.reset();
    res.json({ reset: true });
  });
}

// ─── Chaos faults ─────────────────────────────────────────────────────────────────────────────
// The faults above are counters a test arms for the next N calls. A chaos run needs them at random,
// over thousands of calls, on every sandbox alike: these are shared so the four behave the same.

/** Random faults, each drawn per request with the sandbox's random source. */
export interface ChaosFaults {
  /** Share of requests held back by `spikeMs` on top of `latencyMs` (a latency spike). */
  spikeRate: number;
  spikeMs: number;
  /** Share of requests answered 429 with Retry-After, as if the account's limit were hit. */
  rate429: number;
  /**
   * Share of accepted documents whose connection is destroyed after the sandbox stored them and
   * before it answers: the caller cannot know the document was taken.
   */
  dropAfterAcceptRate: number;
  /** What was injected since the faults were last cleared, for a chaos run's report (read-only over HTTP). */
  injected: { errors: number; spikes: number; rateLimited: number; dropped: number };
}

const Share = z.number().min(0).max(1, { error: 'must be a share between 0 and 1' });

/** The POST /faults keys of ChaosFaults, to spread into a sandbox's own faults schema. */
export const chaosFaultsShape = {
  spikeRate: Share.optional(),
  spikeMs: z.number().int().min(0).max(120_000, { error: 'spikeMs must be 0..120000' }).optional(),
  rate429: Share.optional(),
  dropAfterAcceptRate: Share.optional(),
};

export const CHAOS_FAULTS_EXPECTED = 'spikeRate?: 0..1, spikeMs?, rate429?: 0..1, dropAfterAcceptRate?: 0..1';

export function noChaosFaults(): ChaosFaults {
  return { spikeRate: 0, spikeMs: 0, rate429: 0, dropAfterAcceptRate: 0, injected: { errors: 0, spikes: 0, rateLimited: 0, dropped: 0 } };
}

/** Waits the configured latency, plus a spike when one is drawn. */
export async function applyLatency(faults: ChaosFaults & { latencyMs: number }, random: () => number): Promise<void> {
  let wait = faults.latencyMs;
  if (faults.spikeRate > 0 && faults.spikeMs > 0 && random() < faults.spikeRate) {
    wait += faults.spikeMs;
    faults.injected.spikes += 1;
  }
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Whether this request gets a 429: an armed one (counted down) or one drawn at `rate429`. */
export function takeRateLimit(faults: ChaosFaults & { force429: number }, random: () => number): boolean {
  if (faults.force429 > 0) faults.force429 -= 1;
  else if (!(faults.rate429 > 0 && random() < faults.rate429)) return false;
  faults.injected.rateLimited += 1;
  return true;
}

/** Whether to drop the connection of a request whose document was stored: armed (counted down) or drawn. */
export function takeDropAfterAccept(faults: ChaosFaults & { dropAfterAccept: number }, random: () => number): boolean {
  if (faults.dropAfterAccept > 0) faults.dropAfterAccept -= 1;
  else if (!(faults.dropAfterAcceptRate > 0 && random() < faults.dropAfterAcceptRate)) return false;
  faults.injected.dropped += 1;
  return true;
}

/** Whether this request fails with a 5xx, drawn at `errorRate`. */
export function takeError(faults: ChaosFaults & { errorRate: number }, random: () => number): boolean {
  if (!(faults.errorRate > 0 && random() < faults.errorRate)) return false;
  faults.injected.errors += 1;
  return true;
}
