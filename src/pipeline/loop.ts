/**
 * One stage's schedule: its step runs when something pokes it or when the time it asked for comes,
 * never two at once. Pokes during a step coalesce into one more step; a held loop runs no step until
 * it is released (the engine holds every loop while it drains by hand).
 */
import type { Logger } from '../log.js';

export interface StepResult {
  /** Something moved that the step itself may act on: run again at once. */
  again: boolean;
  /** Epoch ms at which timed work (linger, backoff, a status poll) comes due. */
  wakeAt?: number;
}

export class Loop {
  private active = false;
  private held = false;
  private again = false;
  private inProgress: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly step: () => Promise<StepResult>,
    /** The longest the loop sleeps: timers the step did not report (a wait bounded in time) still come due. */
    private readonly tickMs: number,
    private readonly log: Logger,
  ) {}

  /** Starts scheduling (again, after halt), with a step now; nothing when it already runs. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.poke();
  }

  poke(): void {
    if (!this.active) return;
    if (this.inProgress || this.held) {
      this.again = true;
      return;
    }
    this.inProgress = this.run().finally(() => {
      this.inProgress = undefined;
    });
  }

  /** Stops scheduling; returns the step under way, if any, to wait for. */
  halt(): Promise<void> | undefined {
    this.active = false;
    clearTimeout(this.timer);
    return this.inProgress;
  }

  /** No step starts until release(); resolves once the step under way is over. */
  async hold(): Promise<void> {
    this.held = true;
    while (this.inProgress) await this.inProgress;
  }

  /** Lets steps run again, starting with one now: a held loop set no timer for what came due meanwhile. */
  release(): void {
    this.held = false;
    this.poke();
  }

  private async run(): Promise<void> {
    clearTimeout(this.timer);
    let wakeAt: number | undefined;
    let failed = false;
    do {
      this.again = false;
      try {
        const result = await this.step();
        if (result.again) this.again = true;
        wakeAt = result.wakeAt;
        failed = false;
      } catch (error) {
        this.log.error({ loop: this.name, err: error instanceof Error ? error.message : String(error) }, 'pipeline pass failed');
        failed = true;
      }
    } while (this.again && this.active && !this.held);
    if (!this.active || this.held) return;
    // After a failed step (a store write refused, say) back off instead of failing every tick.
    const delay = failed ? this.tickMs * 4 : Math.max(0, Math.min(this.tickMs, (wakeAt ?? Infinity) - Date.now()));
    this.timer = setTimeout(() => this.poke(), delay);
    this.timer.unref();
  }
}

/** The pause after the `attempts`-th failure of a queued side task (write-back, number closure): first, then doubling, capped. */
export function growingPause(attempts: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, attempts - 1));
}
