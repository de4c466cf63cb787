/**
 * The request pacing every invoicing-API client needs: a bottleneck limiter sized so steady traffic
 * never trips the API's per-minute limit, and a pause the client enters when the API answers 429/503
 * with Retry-After — while paused, nothing is sent (queued jobs included) and callers get a
 * `rate_limited` TargetError telling them how long is left, so the dispatcher reschedules instead of
 * looping.
 */
import Bottleneck from 'bottleneck';
import { TargetError } from '../errors.js';

export interface RateGateOptions {
  /** The API's own name, for messages ("APIDIAN rate limit: …"). */
  apiName: string;
  requestsPerMinute: number;
  /**
   * Spacing between request starts. Default 60 s / rate; APIDIAN uses 61 s / rate because Laravel
   * counts its window in whole seconds.
   */
  minTimeMs?: number;
  now?: () => number;
}

export class RateGate {
  readonly limiter: Bottleneck;
  readonly #apiName: string;
  readonly #requestsPerMinute: number;
  readonly #now: () => number;
  #pausedUntil = 0;
  #resumeTimer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: RateGateOptions) {
    const rpm = options.requestsPerMinute;
    if (!Number.isInteger(rpm) || rpm < 1) throw new RangeError('requestsPerMinute must be a whole number ≥ 1');
    this.#apiName = options.apiName;
    this.#requestsPerMinute = rpm;
    this.#now = options.now ?? Date.now;
    // The reservoir caps each minute; minTime spaces requests so a refill never releases a burst
    // (bottleneck's README: a reservoir is not a replacement for minTime).
    this.limiter = new Bottleneck({
      maxConcurrent: 1,
      minTime: options.minTimeMs ?? Math.ceil(60_000 / rpm),
      reservoir: rpm,
      reservoirRefreshAmount: rpm,
      reservoirRefreshInterval: 60_000,
    });
  }

  /** Epoch ms until which the API asked us to stay away (0 when not paused). */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  async schedule<T>(job: () => Promise<T>): Promise<T> {
    this.#throwIfPaused();
    return this.limiter.schedule(async () => {
      // Jobs queued before a 429 arrived must not go out while the API is still counting.
      this.#throwIfPaused();
      return job();
    });
  }

  /** Holds every request until `ms` from now: drains the reservoir and refills it when the wait is over. */
  pause(ms: number): void {
    const until = this.#now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.limiter.updateSettings({ reservoir: 0 });
    if (this.#resumeTimer) clearTimeout(this.#resumeTimer);
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = undefined;
      this.limiter.updateSettings({ reservoir: this.#requestsPerMinute });
    }, ms);
    this.#resumeTimer.unref?.();
  }

  /** Stops the limiter's refresh timer; queued calls are dropped. */
  async close(): Promise<void> {
    if (this.#resumeTimer) clearTimeout(this.#resumeTimer);
    this.#closing ??= this.limiter.stop({ dropWaitingJobs: true });
    await this.#closing;
  }

  #throwIfPaused(): void {
    const left = this.#pausedUntil - this.#now();
    if (left > 0) {
      throw new TargetError('rate_limited', `${this.#apiName} rate limit: paused for another ${left} ms`, { retryAfterMs: left });
    }
  }
}

/**
 * How long an API asked us to wait: `Retry-After` in seconds or as an HTTP date, else
 * `X-RateLimit-Reset` (epoch seconds, Laravel and most REST APIs), else `fallbackMs`.
 */
export function retryAfterMsFrom(headers: Headers, now: number, fallbackMs = 60_000): number {
  const value = headers.get('retry-after')?.trim();
  if (value) {
    if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  return fallbackMs;
}
