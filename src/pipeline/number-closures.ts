/**
 * Number closures: when an operator voids a parked document that already had a fiscal number, the
 * number stays allocated to it for good (numbers are never reused by another document) and, where
 * the tax authority allows it, is declared unused there — SIFEN's inutilización — so the series has
 * no open gap. DIAN has no such call: a number of a resolution simply stays unused (`not_supported`).
 *
 * Like write-backs (write-back.ts), it is a queue in the store's keyed state, worked apart from
 * issuing: a target that is down delays the closure, never an invoice. Retryable, rate-limited and
 * unknown outcomes are tried again after a growing pause (a repeat is safe: the target answers that
 * the number is already closed, which counts as closed); a refusal ends the entry as `failed`.
 * The document's `voided.numberClosure` always says where its closure stands.
 */
import type { NumberClosureRequest, TargetConnector } from '../connector.js';
import { TargetError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DocumentRecord, NumberClosure, Store } from '../store/store.js';
import { growingPause, Loop } from './loop.js';
import type { Connections } from './connections.js';

const PREFIX = 'numberclosure:';
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 60 * 60_000;

export interface NumberClosureEntry {
  documentId: string;
  connectionId: string;
  request: NumberClosureRequest;
  status: 'pending' | 'failed';
  attempts: number;
  queuedAt: string;
  nextAttemptAt: string;
  lastError?: string;
}

export const numberClosureKey = (documentId: string): string => PREFIX + documentId;

/** Only a closure the target refused can be asked for again; a pending one is already being worked. */
export class ClosureNotFailedError extends Error {
  constructor(readonly documentId: string) {
    super(`the closure of document ${documentId}'s number is still being worked (pending): it is retried on its own; only a failed closure can be asked for again`);
    this.name = 'ClosureNotFailedError';
  }
}

export class NumberClosures {
  private loop: Loop | undefined;

  constructor(
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** What closing the number of a document being voided takes at its target. */
  plan(document: DocumentRecord): NumberClosure {
    const target = this.connections.get(document.connectionId)?.target;
    if (document.number === undefined) return { state: 'not_needed', note: 'no number was allocated to it' };
    if (!target) {
      return { state: 'failed', note: `connection ${document.connectionId} is no longer configured: close number ${document.number} of series ${document.series} at the target by hand` };
    }
    if (target.numbering === 'server') return { state: 'not_needed', note: `${target.name} numbers documents itself: no number was taken` };
    const range = target.numberingFor?.(document.kind);
    const number = Number(document.number);
    if (range?.lastNumber !== undefined && number > range.lastNumber) {
      return { state: 'not_needed', note: `number ${document.number} is past the end (${range.lastNumber}) of the authorized range: it was never a usable number` };
    }
    if (!target.closeNumbers) {
      return {
        state: 'not_supported',
        note: `${target.name} offers no way to close a number: number ${document.number} of series ${document.series} stays unused within its authorized range`,
      };
    }
    return { state: 'pending' };
  }

  /** Queues the closure of a voided document's number (after `plan` said `pending`). */
  async enqueue(document: DocumentRecord, reason: string): Promise<void> {
    if (document.number === undefined) return;
    const now = this.clock().toISOString();
    const entry: NumberClosureEntry = {
      documentId: document.id,
      connectionId: document.connectionId,
      request: { kind: document.kind, series: document.series, from: Number(document.number), to: Number(document.number), reason },
      status: 'pending',
      attempts: 0,
      queuedAt: now,
      nextAttemptAt: now,
    };
    await this.store.putState(numberClosureKey(document.id), entry);
  }

  /** Works the due entries once. Returns how many numbers were closed. */
  async runDue(): Promise<number> {
    const now = this.clock().getTime();
    let closed = 0;
    for (const { key, value: entry } of await this.store.listState<NumberClosureEntry>(PREFIX)) {
      if (entry.status !== 'pending' || Date.parse(entry.nextAttemptAt) > now) continue;
      const target = this.connections.get(entry.connectionId)?.target;
      if (!target?.closeNumbers) {
        await this.fail(key, entry, `connection ${entry.connectionId} is no longer configured with a target that closes numbers`);
        continue;
      }
      try {
        const answer = await target.closeNumbers(entry.request);
        await this.closed(key, entry, target, answer);
        closed++;
      } catch (error) {
        if (error instanceof TargetError && error.kind === 'rejected') await this.fail(key, entry, error.message);
        else await this.store.putState(key, this.afterFailure(entry, error, now));
      }
    }
    return closed;
  }

  /**
   * An operator asks again for a closure the target refused (after fixing what it objected to, or to
   * try a refusal that was temporary after all): the entry is queued again, to be worked at once.
   * Returns undefined when there is no closure for that document; throws when it is not `failed`.
   */
  async retry(documentId: string): Promise<NumberClosureEntry | undefined> {
    const key = numberClosureKey(documentId);
    const entry = (await this.store.getState<NumberClosureEntry>(key))?.value;
    if (!entry) return undefined;
    if (entry.status !== 'failed') throw new ClosureNotFailedError(documentId);
    const queued: NumberClosureEntry = { ...entry, status: 'pending', nextAttemptAt: this.clock().toISOString() };
    await this.store.putState(key, queued);
    await this.recordOnDocument(documentId, { state: 'pending', note: `asked again by an operator after: ${entry.lastError ?? 'a refusal'}` });
    this.log.info({ documentId, series: entry.request.series, number: entry.request.from }, 'number closure queued again');
    this.poke();
    return queued;
  }

  /** Every entry still queued or failed, for the admin views. */
  async list(): Promise<NumberClosureEntry[]> {
    return (await this.store.listState<NumberClosureEntry>(PREFIX)).map((entry) => entry.value);
  }

  /**
   * A crash between voiding a document and queueing its closure leaves the closure `pending` with no
   * entry: queue it again. Voided documents are looked for among those still in the hot set.
   */
  async recover(): Promise<number> {
    let queued = 0;
    for (const document of await this.store.listDocuments({ status: 'skipped', limit: 1000 })) {
      if (document.voided?.numberClosure.state !== 'pending') continue;
      if (await this.store.getState(numberClosureKey(document.id))) continue;
      await this.enqueue(document, document.voided.reason);
      queued++;
    }
    if (queued > 0) this.log.warn({ queued }, 'number closures queued again after an interrupted void');
    return queued;
  }

  start(intervalMs = 5_000): void {
    this.loop = new Loop('number closures', async () => {
      await this.runDue();
      return { again: false };
    }, intervalMs, this.log);
    this.loop.start();
  }

  /** A closure was queued: work it now rather than at the next interval. */
  poke(): void {
    this.loop?.poke();
  }

  async stop(): Promise<void> {
    await this.loop?.halt();
  }

  private async closed(key: string, entry: NumberClosureEntry, target: TargetConnector, answer: { reference?: string; alreadyClosed?: boolean }): Promise<void> {
    const { from, series } = entry.request;
    const closure: NumberClosure = {
      state: 'closed',
      note: answer.alreadyClosed
        ? `${target.name} says number ${from} of series ${series} was already closed (an earlier attempt went through)`
        : `number ${from} of series ${series} closed at ${target.name}`,
      ...(answer.reference ? { reference: answer.reference } : {}),
      at: this.clock().toISOString(),
    };
    // The document first: a crash before the entry is deleted only repeats a closure the target then calls done.
    await this.recordOnDocument(entry.documentId, closure);
    await this.store.deleteState(key);
    this.log.info({ documentId: entry.documentId, series, number: from, reference: answer.reference, alreadyClosed: answer.alreadyClosed ?? false }, 'number closed at the target');
  }

  private async fail(key: string, entry: NumberClosureEntry, reason: string): Promise<void> {
    const attempts = entry.attempts + 1;
    await this.store.putState(key, { ...entry, attempts, status: 'failed', lastError: reason } satisfies NumberClosureEntry);
    await this.recordOnDocument(entry.documentId, {
      state: 'failed',
      note: `the target refused to close number ${entry.request.from} of series ${entry.request.series}: ${reason}`,
      at: this.clock().toISOString(),
    });
    this.log.warn({ documentId: entry.documentId, series: entry.request.series, number: entry.request.from, attempts, reason }, 'number closure refused by the target');
  }

  private afterFailure(entry: NumberClosureEntry, error: unknown, now: number): NumberClosureEntry {
    const attempts = entry.attempts + 1;
    const lastError = error instanceof Error ? error.message : String(error);
    const retryAfterMs = error instanceof TargetError ? (error.retryAfterMs ?? 0) : 0;
    const pause = Math.max(retryAfterMs, growingPause(attempts, FIRST_RETRY_MS, MAX_RETRY_MS));
    this.log.warn({ documentId: entry.documentId, attempts, kind: error instanceof TargetError ? error.kind : 'error', reason: lastError, pauseMs: pause }, 'number closure failed; will retry');
    return { ...entry, attempts, lastError, nextAttemptAt: new Date(now + pause).toISOString() };
  }

  private async recordOnDocument(documentId: string, numberClosure: NumberClosure): Promise<void> {
    const document = await this.store.getDocument(documentId);
    if (!document?.voided) return;
    await this.store.updateDocument(documentId, { voided: { ...document.voided, numberClosure } });
  }
}
