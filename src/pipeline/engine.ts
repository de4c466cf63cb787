/**
 * The pipeline's loops: events → documents → ready (the intake, one loop), then ready → batches →
 * results in one lane per connection. Each connection is its own invoicing account with its own limits
 * and its own speed, so a slow API (Unidigital's five calls a batch, a latency spike, a 429 pause)
 * never holds up what another connection could send or poll meanwhile; within a lane one step at a
 * time, so a ready document can never go out twice. A loop runs when something pokes it (a stored
 * webhook, a document readied or issued) or when the earliest timer it asked for comes due.
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Connections } from './connections.js';
import type { Dispatcher } from './dispatcher.js';
import type { EventProcessor } from './event-processor.js';
import { Loop, type StepResult } from './loop.js';
import type { Preparer } from './preparer.js';

export interface EngineOptions {
  tickMs: number;
}

export class PipelineEngine {
  private running = false;
  private stopped = false;
  private draining = false;
  private readonly intake: Loop;
  private readonly lanes = new Map<string, Loop>();

  constructor(
    private readonly store: Store,
    readonly connections: Connections,
    private readonly events: EventProcessor,
    private readonly preparer: Preparer,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly options: EngineOptions,
  ) {
    this.intake = new Loop('intake', () => this.intakeStep(), options.tickMs, log);
  }

  async start(): Promise<void> {
    this.stopped = false;
    // Not running (pokes ignored) until recovery is done: a step beside it could send a batch that
    // recovery then takes for one interrupted by the crash. Events stored meanwhile wait in the store.
    await this.dispatcher.recoverInterrupted();
    this.running = true;
    this.intake.start();
    this.syncLanes();
  }

  /**
   * Stops scheduling new steps and waits for those under way to finish, for at most `graceMs`.
   * Resolves false when a step outlived the grace: whatever it was sending stays `in_flight` in a
   * `sending` batch, which the next start reconciles (recoverInterrupted → lookup before any resend).
   */
  async stop(graceMs = Infinity): Promise<boolean> {
    this.running = false;
    this.stopped = true;
    const under = [this.intake, ...this.lanes.values()].map((loop) => loop.halt()).filter((p): p is Promise<void> => p !== undefined);
    if (!under.length) return true;
    const all = Promise.all(under).then(() => true as const);
    if (graceMs === Infinity) return all;
    let timer: NodeJS.Timeout | undefined;
    const outlived = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const finished = await Promise.race([all, outlived]);
    clearTimeout(timer);
    return finished;
  }

  /** Something changed (an event stored, a document replayed or settled by a callback): the intake goes. */
  poke(): void {
    this.intake.poke();
  }

  /**
   * Runs every stage until nothing moves, whether or not the engine was started; for tests and the
   * CLI. Every loop is held meanwhile, so nothing runs beside it (two steps at once could send the same
   * ready document twice); pokes that came meanwhile are honoured afterwards.
   */
  async drain(): Promise<void> {
    const loops = [this.intake, ...this.lanes.values()];
    this.draining = true;
    await Promise.all(loops.map((loop) => loop.hold()));
    try {
      let again: boolean;
      do {
        const issuedBefore = this.dispatcher.issuedCount;
        again = (await this.intakeStep()).again;
        for (const connection of this.connections.all()) await this.laneStep(connection.id);
        // Documents issued may unblock waiting events and notes.
        if (this.dispatcher.issuedCount !== issuedBefore) again = true;
      } while (again && !this.stopped);
    } finally {
      this.draining = false;
      for (const loop of loops) loop.release();
    }
  }

  /** Events → documents, pending documents → ready. Lanes are poked when something became ready. */
  private async intakeStep(): Promise<StepResult> {
    // Not while draining: a lane started now would run beside the drain's own steps.
    if (this.running && !this.draining) this.syncLanes();
    const changedEvents = await this.events.processPending();
    const pending = await this.store.listDocuments({ status: 'pending', order: 'oldest', limit: 1000 });
    let readied = 0;
    for (const document of pending) if ((await this.preparer.prepare(document)) !== 'waiting') readied++;
    if (readied > 0) for (const lane of this.lanes.values()) lane.poke();
    return { again: changedEvents > 0 || readied > 0 };
  }

  /** One connection's ready documents out, its batches' verdicts in. */
  private async laneStep(connectionId: string): Promise<StepResult> {
    const issuedBefore = this.dispatcher.issuedCount;
    const dispatchWake = await this.dispatcher.dispatchReady(connectionId);
    const pollWake = await this.dispatcher.pollAwaiting(connectionId);
    // Issued documents may unblock notes waiting for their invoice, and events waiting for a document.
    if (this.dispatcher.issuedCount !== issuedBefore) this.intake.poke();
    const wakes = [dispatchWake, pollWake].filter((v): v is number => v !== undefined);
    return { again: false, ...(wakes.length ? { wakeAt: Math.min(...wakes) } : {}) };
  }

  /**
   * A lane for every connection there is now (the Shopify app adds and removes them at run time). A
   * lane whose connection goes is halted but kept — its step under way finishes — so a connection that
   * comes back gets the same lane again: never two steps at once for one connection.
   */
  private syncLanes(): void {
    const current = new Set(this.connections.all().map((c) => c.id));
    for (const [id, lane] of this.lanes) if (!current.has(id)) void lane.halt();
    for (const id of current) {
      let lane = this.lanes.get(id);
      if (!lane) {
        lane = new Loop(`lane ${id}`, () => this.laneStep(id), this.options.tickMs, this.log);
        this.lanes.set(id, lane);
      }
      lane.start();
    }
  }
}
