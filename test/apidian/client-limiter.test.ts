/**
 * The limiter's schedule, observed on a fake clock: the fake fetch records when each request starts
 * (Date.now() under fake timers), so the assertions are about bottleneck's schedule, not wall time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApidianClient } from '../../connectors/apidian/client.js';
import { TargetError } from '../../src/errors.js';

const statusZipBody = JSON.stringify({
  ResponseDian: { Envelope: { Body: { GetStatusZipResponse: { GetStatusZipResult: { DianResponse: { IsValid: 'true', StatusCode: '00', XmlDocumentKey: 'k' } } } } } },
});

function recordingFetch(starts: number[], answer: (n: number) => Response = () => new Response(statusZipBody, { status: 200 })) {
  return (async () => {
    starts.push(Date.now());
    return answer(starts.length);
  }) as unknown as typeof fetch;
}

/** bottleneck answers through a setTimeout(0), which the fake clock must be moved past. */
async function reservoir(client: ApidianClient): Promise<number | null> {
  const answer = client.limiter.currentReservoir();
  await vi.advanceTimersByTimeAsync(1);
  return answer;
}

describe('ApidianClient rate limiting', () => {
  let client: ApidianClient | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2025-07-22T10:00:00Z') });
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    vi.useRealTimers();
  });

  it('never starts more than requestsPerMinute requests in any 60 s window, even with a burst queued', async () => {
    const starts: number[] = [];
    const rpm = 3;
    client = new ApidianClient({ baseUrl: 'http://apidian.test/api', token: 't', requestsPerMinute: rpm, fetch: recordingFetch(starts) });
    const calls = Array.from({ length: 10 }, () => client!.statusZip('zip'));
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await Promise.all(calls);

    expect(starts).toHaveLength(10);
    for (let i = 0; i + rpm < starts.length; i++) {
      // The (rpm+1)-th start after start i must fall outside i's 60 s window.
      expect(starts[i + rpm]! - starts[i]!).toBeGreaterThanOrEqual(60_000);
    }
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(60_000 / rpm);
    }
  });

  it('a 429 drains the reservoir until Retry-After has passed, then requests flow again', async () => {
    const starts: number[] = [];
    const fetch = recordingFetch(starts, (n) =>
      n === 1 ? new Response('{"message":"Too Many Attempts."}', { status: 429, headers: { 'Retry-After': '30' } }) : new Response(statusZipBody, { status: 200 }),
    );
    client = new ApidianClient({ baseUrl: 'http://apidian.test/api', token: 't', requestsPerMinute: 60, fetch });
    const t0 = Date.now();

    const first = client.statusZip('zip').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    const error = (await first) as TargetError;
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(30_000);
    expect(await reservoir(client)).toBe(0);

    await vi.advanceTimersByTimeAsync(30_000);
    expect(await reservoir(client)).toBe(60);
    const second = client.statusZip('zip');
    await vi.advanceTimersByTimeAsync(2_000);
    await second;
    expect(starts).toHaveLength(2);
    expect(starts[1]! - t0).toBeGreaterThanOrEqual(30_000);
  });
});
