/**
 * The pipeline's loop: events → documents → ready → batches → results. One pass at a time; a pass
 * runs when something pokes it (a stored webhook) or when the earliest timer it asked for comes due.
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Connections } from './connections.js';
import type { Dispatcher } from './dispatcher.js';
import type { EventProcessor } from './event-processor.js';
import type { Preparer } from './preparer.js';

export interface EngineOptions {
  tickMs: number;
}

export class PipelineEngine {
  private running = false;
  private stopped = false;
  private passInProgress: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    readonly connections: Connections,
    private readonly events: EventProcessor,
    private readonly preparer: Preparer,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly options: EngineOptions,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    // Not running (pokes ignored) until recovery is done: a pass beside it could send a batch that
    // recovery then takes for one interrupted by the crash. Events stored meanwhile wait in the store.
    await this.dispatcher.recoverInterrupted();
    this.running = true;
    this.poke();
  }

  /**
   * Stops scheduling new passes and waits for the current one to finish, for at most `graceMs`.
   * Resolves false when the pass outlived the grace: whatever it was sending stays `in_flight` in a
   * `sending` batch, which the next start reconciles (recoverInterrupted → lookup before any resend).
   */
  async stop(graceMs = Infinity): Promise<boolean> {
    this.running = false;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const pass = this.passInProgress;
    if (!pass) return true;
    if (graceMs === Infinity) {
      await pass;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const outlived = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const finished = await Promise.race([pass.then(() => true as const), outlived]);
    clearTimeout(timer);
    return finished;
  }

  /** Something changed: run a pass soon (coalesced with one already running). */
  poke(): void {
    if (!this.running) return;
    if (this.passInProgress) {
      this.again = true;
      return;
    }
    this.passInProgress = this.runPasses().finally(() => {
      this.passInProgress = undefined;
    });
  }

  /**
   * Runs passes until one changes nothing, whether or not the engine was started; for tests and the
   * CLI. It takes the one pass slot, so a poke meanwhile joins it instead of running a second pass
   * beside it (two passes at once could send the same ready document twice).
   */
  async drain(): Promise<void> {
    while (this.passInProgress) await this.passInProgress;
    const run = this.runPasses(true).finally(() => {
      this.passInProgress = undefined;
    });
    this.passInProgress = run;
    await run;
  }

  private async runPasses(untilQuiet = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    let wakeAt: number | undefined;
    let failed = false;
    do {
      this.again = false;
      try {
        wakeAt = await this.pass();
        failed = false;
      } catch (error) {
        this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'pipeline pass failed');
        failed = true;
      }
    } while (this.again && !this.stopped && (this.running || untilQuiet));
    if (!this.running) return;
    // After a failed pass (a store write refused, say) back off instead of failing every tick.
    const delay = failed
      ? this.options.tickMs * 4
      : Math.max(0, Math.min(this.options.tickMs, (wakeAt ?? Infinity) - Date.now()));
    this.timer = setTimeout(() => this.poke(), delay);
    this.timer.unref();
  }

  /** One pass over every stage; returns when the next timed work is due. */
  private async pass(): Promise<number | undefined> {
    const issuedBefore = this.dispatcher.issuedCount;
    const changedEvents = await this.events.processPending();
    const pending = await this.store.listDocuments({ status: 'pending', order: 'oldest', limit: 1000 });
    let readied = 0;
    for (const document of pending) if ((await this.preparer.prepare(document)) !== 'waiting') readied++;
    const dispatchWake = await this.dispatcher.dispatchReady();
    const pollWake = await this.dispatcher.pollAwaiting();
    // Documents issued in this pass may unblock waiting events and notes; go again if anything moved.
    if (changedEvents > 0 || readied > 0 || this.dispatcher.issuedCount !== issuedBefore) this.again = true;
    return [dispatchWake, pollWake].filter((v): v is number => v !== undefined).reduce((a, b) => Math.min(a, b), Infinity);
  }
}
