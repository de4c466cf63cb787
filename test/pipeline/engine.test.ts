/**
 * The engine's loops: pokes coalesce into one more pass, each connection has its own lane that a slow
 * connection cannot hold up, drain() runs passes until nothing moves, stop() lets the passes under way
 * finish. The first tests use stages that only count and block (to see passes, not what they do); the
 * drain tests run the real stages on real Shopify bodies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND } from '../../connectors/shopify/samples/index.js';
import type { Connections } from '../../src/pipeline/connections.js';
import type { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { PipelineEngine } from '../../src/pipeline/engine.js';
import type { EventProcessor } from '../../src/pipeline/event-processor.js';
import type { Preparer } from '../../src/pipeline/preparer.js';
import { ManualClock, openTempStore, paidEvent, pipeline, refundEvent, silentLog, type Pipeline, type TempStore } from './harness.js';

/** A promise the test opens by hand. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets every already-queued callback and store write run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Stages that do nothing but count passes; an intake pass can be held at its start by `hold`. */
function countingStages() {
  const stages = {
    passes: 0,
    finished: 0,
    hold: undefined as Promise<void> | undefined,
    /** Per connection: what its lane's dispatch does (default: nothing due). */
    lanes: {} as Record<string, () => Promise<number | undefined>>,
    dispatches: {} as Record<string, number>,
    events: {
      async processPending() {
        stages.passes++;
        if (stages.hold) await stages.hold;
        stages.finished++;
        return 0;
      },
    },
    preparer: { prepare: async () => 'ready' as const },
    dispatcher: {
      issuedCount: 0,
      recoverInterrupted: async () => undefined,
      async dispatchReady(connectionId: string) {
        stages.dispatches[connectionId] = (stages.dispatches[connectionId] ?? 0) + 1;
        return stages.lanes[connectionId]?.();
      },
      pollAwaiting: async () => undefined,
    },
  };
  return stages;
}

let temp: TempStore | undefined;
let p: Pipeline | undefined;
let engine: PipelineEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await temp?.close();
  temp = undefined;
  await p?.close();
  p = undefined;
});

async function countingEngine(connectionIds: string[] = ['conn_a']) {
  temp = await openTempStore(new ManualClock().now);
  const stages = countingStages();
  engine = new PipelineEngine(
    temp.store,
    { all: () => connectionIds.map((id) => ({ id })) } as unknown as Connections,
    stages.events as unknown as EventProcessor,
    stages.preparer as unknown as Preparer,
    stages.dispatcher as unknown as Dispatcher,
    silentLog,
    // Long enough that no timer pass happens during a test.
    { tickMs: 600_000 },
  );
  return { engine, stages };
}

describe('poke', () => {
  it('while a pass runs, any number of pokes make exactly one more pass', async () => {
    const { engine, stages } = await countingEngine();
    const held = gate();
    stages.hold = held.opened;
    await engine.start();
    expect(stages.passes).toBe(1);

    for (let i = 0; i < 5; i++) engine.poke();
    stages.hold = undefined;
    held.open();
    await settle();
    // The first pass, plus one for all five pokes.
    expect(stages.passes).toBe(2);
    expect(stages.finished).toBe(2);

    // Idle again: a poke starts a pass at once.
    engine.poke();
    await settle();
    expect(stages.passes).toBe(3);
  });

  it('before start or after stop starts nothing', async () => {
    const { engine, stages } = await countingEngine();
    engine.poke();
    await settle();
    expect(stages.passes).toBe(0);
    await engine.start();
    await settle();
    await engine.stop();
    const after = stages.passes;
    engine.poke();
    await settle();
    expect(stages.passes).toBe(after);
  });
});

describe('lanes', () => {
  it('a connection whose send hangs does not hold up another connection', async () => {
    const { engine, stages } = await countingEngine(['slow', 'fast']);
    const slowSend = gate();
    stages.lanes.slow = async () => {
      await slowSend.opened;
      return undefined;
    };
    // The fast lane asks to come back shortly, as lingering or backed-off documents make it.
    stages.lanes.fast = async () => Date.now() + 5;
    await engine.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stages.dispatches.slow).toBe(1);
    expect(stages.dispatches.fast).toBeGreaterThan(2);

    slowSend.open();
  });

  it('a lane that issued something pokes the intake: notes waiting for that invoice are prepared', async () => {
    const { engine, stages } = await countingEngine(['conn_a']);
    stages.lanes.conn_a = async () => Date.now() + 5; // comes back shortly, issuing nothing
    await engine.start();
    await settle();
    const passes = stages.passes;
    await settle();
    expect(stages.passes).toBe(passes);

    stages.lanes.conn_a = async () => {
      stages.dispatcher.issuedCount++;
      stages.lanes.conn_a = async () => undefined;
      return undefined;
    };
    await settle();
    expect(stages.passes).toBe(passes + 1);
  });

  it('a connection removed and added back while its send is under way gets the same lane: never two sends at once', async () => {
    const ids = ['conn_a'];
    const { engine, stages } = await countingEngine(ids);
    const send = gate();
    let atOnce = 0;
    let mostAtOnce = 0;
    stages.lanes.conn_a = async () => {
      atOnce++;
      mostAtOnce = Math.max(mostAtOnce, atOnce);
      await send.opened;
      atOnce--;
      return undefined;
    };
    await engine.start();
    await settle();
    expect(stages.dispatches.conn_a).toBe(1);
    ids.splice(0); // the shop uninstalls the app…
    engine.poke();
    await settle();
    ids.push('conn_a'); // …and installs it again while the first send still runs
    engine.poke();
    await settle();
    expect(stages.dispatches.conn_a).toBe(1);
    send.open();
    await settle();
    // The step asked for while the first ran comes after it, on the same lane.
    expect(stages.dispatches.conn_a).toBe(2);
    expect(mostAtOnce).toBe(1);
  });

  it('stop() waits for every lane\'s send under way', async () => {
    const { engine, stages } = await countingEngine(['conn_a', 'conn_b']);
    const send = gate();
    let sendsFinished = 0;
    stages.lanes.conn_b = async () => {
      await send.opened;
      sendsFinished++;
      return undefined;
    };
    await engine.start();
    await settle();
    let stopped = false;
    const stopping = engine.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    send.open();
    await stopping;
    expect(sendsFinished).toBe(1);
  });

  it('stop(grace) gives up on a send that outlives the grace and says so', async () => {
    const { engine: hung, stages } = await countingEngine(['conn_a']);
    stages.lanes.conn_a = () => new Promise<undefined>(() => undefined);
    await hung.start();
    await settle();
    expect(await hung.stop(30)).toBe(false);
    engine = undefined; // its send never ends: nothing more to stop
  });
});

describe('start', () => {
  it('runs no pass until crash recovery has finished, even when poked meanwhile', async () => {
    const { engine, stages } = await countingEngine();
    const recovered = gate();
    let recovering = false;
    stages.dispatcher.recoverInterrupted = async () => {
      recovering = true;
      await recovered.opened;
      recovering = false;
    };
    let passesDuringRecovery = 0;
    const processPending = stages.events.processPending;
    stages.events.processPending = async () => {
      if (recovering) passesDuringRecovery++;
      return processPending();
    };
    const starting = engine.start();
    await settle();
    engine.poke(); // a webhook stored while the engine is still recovering
    await settle();
    expect(stages.passes).toBe(0);

    recovered.open();
    await starting;
    await settle();
    expect(passesDuringRecovery).toBe(0);
    expect(stages.passes).toBe(1);
  });
});

describe('stop', () => {
  it('waits for the pass in progress to finish', async () => {
    const { engine, stages } = await countingEngine();
    const held = gate();
    stages.hold = held.opened;
    await engine.start();
    engine.poke(); // would make another pass, but stop() comes first

    let stopped = false;
    const stopping = engine.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    expect(stages.finished).toBe(0);

    held.open();
    await stopping;
    expect(stages.finished).toBe(1);
    // No pass starts after stop, not even the one the poke asked for.
    await settle();
    expect(stages.passes).toBe(1);
  });
});

describe('drain', () => {
  function realEngine(pl: Pipeline): PipelineEngine {
    return new PipelineEngine(pl.store, pl.connections, pl.events, pl.preparer, pl.dispatcher, silentLog, { tickMs: 600_000 });
  }

  it('runs passes until nothing moves: a paid order and its refund end issued, invoice before credit note', async () => {
    p = await pipeline();
    engine = realEngine(p);
    await p.inbox.accept([refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND), paidEvent(SAMPLE_PAID_ORDER)]);
    await engine.drain();

    const documents = await p.documents();
    expect(documents.map((d) => [d.kind, d.status])).toEqual([
      ['invoice', 'issued'],
      ['credit_note', 'issued'],
    ]);
    expect((await p.store.listEvents()).map((e) => e.status)).toEqual(['processed', 'processed']);
    expect(p.target.submitted().map((b) => b.kind)).toEqual(['invoice', 'credit_note']);
  });

  it('also goes on when a pass only issued something: a note waiting for that invoice is prepared in the same drain', async () => {
    p = await pipeline();
    p.target.batchLimits = { maxDocuments: 50, maxBytes: 5_000_000, lingerMs: 1000 };
    engine = realEngine(p);
    await p.inbox.accept([paidEvent(SAMPLE_PAID_ORDER), refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND)]);
    await engine.drain();
    // The invoice lingers; the note waits for it.
    expect((await p.documents()).map((d) => [d.kind, d.status])).toEqual([
      ['invoice', 'ready'],
      ['credit_note', 'pending'],
    ]);

    p.clock.advance(1000);
    await engine.drain();
    // The invoice was issued by the first pass; the note could then be prepared, so the drain was
    // not over yet.
    expect((await p.documents()).map((d) => [d.kind, d.status])).toEqual([
      ['invoice', 'issued'],
      ['credit_note', 'ready'],
    ]);
  });

  it('while the engine runs, a poke during a drain does not start a second pass beside it', async () => {
    const { engine, stages } = await countingEngine();
    await engine.start();
    await settle();
    const before = stages.passes;

    let concurrent = 0;
    let maxConcurrent = 0;
    const held = gate();
    const processPending = stages.events.processPending;
    stages.events.processPending = async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      try {
        if (stages.passes === before) await held.opened;
        return await processPending();
      } finally {
        concurrent--;
      }
    };
    const draining = engine.drain();
    await settle();
    engine.poke();
    await settle();
    held.open();
    await draining;
    await settle();
    expect(maxConcurrent).toBe(1);
  });
});
