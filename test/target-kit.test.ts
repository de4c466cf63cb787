import { describe, expect, it } from 'vitest';
import { RateGate, retryAfterMsFrom } from '../src/target-kit/rate-gate.js';
import { TargetError } from '../src/errors.js';

describe('RateGate', () => {
  it('while paused, refuses new and queued work with rate_limited and the time left, then resumes', async () => {
    let now = 1_000_000;
    const gate = new RateGate({ apiName: 'Test API', requestsPerMinute: 600, now: () => now });
    expect(await gate.schedule(async () => 'first')).toBe('first');
    gate.pause(5_000);
    expect(gate.pausedUntil).toBe(1_005_000);
    const refused = await gate.schedule(async () => 'never').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TargetError);
    expect(refused).toMatchObject({ kind: 'rate_limited', retryAfterMs: 5_000, message: 'Test API rate limit: paused for another 5000 ms' });
    // A shorter pause never shortens a longer one.
    gate.pause(1_000);
    expect(gate.pausedUntil).toBe(1_005_000);
    now += 5_001;
    gate.limiter.updateSettings({ reservoir: 600 });
    expect(await gate.schedule(async () => 'after')).toBe('after');
    await gate.close();
  });

  it('refuses a rate that is not a whole number of requests', () => {
    expect(() => new RateGate({ apiName: 'x', requestsPerMinute: 0 })).toThrow(RangeError);
  });
});

describe('retryAfterMsFrom', () => {
  it('reads seconds, an HTTP date, X-RateLimit-Reset, else the fallback', () => {
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '2.5' }), 0)).toBe(2_500);
    expect(retryAfterMsFrom(new Headers({ 'retry-after': new Date(9_000).toUTCString() }), 4_000)).toBe(5_000);
    expect(retryAfterMsFrom(new Headers({ 'x-ratelimit-reset': '12' }), 10_000)).toBe(2_000);
    expect(retryAfterMsFrom(new Headers(), 0, 7_000)).toBe(7_000);
  });
});
