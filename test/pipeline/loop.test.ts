/**
 * The loop every pipeline stage and side queue runs on (the intake, each connection's lane, write-backs,
 * number closures): a pass at start, then one per interval or at the time the pass asked for; never
 * two at once; a poke brings the next pass forward (or queues one right after the running pass); a
 * failed pass is reported and the loop goes on; halt waits for the running pass and starts no other.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/log.js';
import { growingPause, Loop } from '../../src/pipeline/loop.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A pass the test finishes by hand, recording how many run at once. */
function controlledPasses() {
  const finishers: (() => void)[] = [];
  let running = 0;
  let mostAtOnce = 0;
  let started = 0;
  const pass = () =>
    new Promise<void>((resolve) => {
      started++;
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      finishers.push(() => {
        running--;
        resolve();
      });
    });
  return {
    pass,
    finishNext: async () => {
      finishers.shift()!();
      await vi.advanceTimersByTimeAsync(0);
    },
    get started() {
      return started;
    },
    get mostAtOnce() {
      return mostAtOnce;
    },
  };
}

/** A logger that keeps what was logged as an error. */
function errorLog() {
  const errors: unknown[] = [];
  const log = { error: (fields: unknown) => errors.push(fields) } as unknown as Logger;
  return { log, errors };
}

describe('Loop', () => {
  it('runs at start, then every interval, and a poke brings the next pass forward without overlapping the running one', async () => {
    const passes = controlledPasses();
    const loop = new Loop('test', async () => {
      await passes.pass();
      return { again: false };
    }, 10_000, errorLog().log);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes.started).toBe(1);

    // Poked while a pass runs: the next pass follows it at once, not beside it.
    loop.poke();
    loop.poke();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes.started).toBe(1);
    await passes.finishNext();
    expect(passes.started).toBe(2);
    await passes.finishNext();

    // Idle: the next pass waits for the interval, unless poked.
    await vi.advanceTimersByTimeAsync(9_999);
    expect(passes.started).toBe(2);
    loop.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes.started).toBe(3);
    await passes.finishNext();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(passes.started).toBe(4);
    expect(passes.mostAtOnce).toBe(1);

    // stop waits for the running pass, and nothing runs after it.
    let stopped = false;
    const stopping = Promise.resolve(loop.halt()).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    await passes.finishNext();
    await stopping;
    loop.poke();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(passes.started).toBe(4);
  });

  it('comes back at the time the pass asked for when that is sooner than the interval', async () => {
    let calls = 0;
    const loop = new Loop('test', async () => {
      calls++;
      return { again: false, wakeAt: Date.now() + 300 };
    }, 10_000, errorLog().log);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(299);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await loop.halt();
  });

  it('reports a failed pass and carries on after a longer pause (four intervals)', async () => {
    const { log, errors } = errorLog();
    let calls = 0;
    const loop = new Loop('side queue', async () => {
      calls++;
      if (calls === 1) throw new Error('store refused the write');
      return { again: false };
    }, 1_000, log);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([{ loop: 'side queue', err: 'store refused the write' }]);
    await vi.advanceTimersByTimeAsync(3_999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await loop.halt();
  });

  it('a held loop runs nothing, whatever pokes it, until released', async () => {
    let calls = 0;
    const loop = new Loop('test', async () => {
      calls++;
      return { again: false };
    }, 1_000, errorLog().log);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await loop.hold();
    loop.poke();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(1);
    loop.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(2);
    await loop.halt();
  });

  it('growingPause doubles from the first pause and stops at the cap', () => {
    expect([1, 2, 3, 4, 7, 8].map((n) => growingPause(n, 60_000, 3_600_000))).toEqual([60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000]);
  });
});
