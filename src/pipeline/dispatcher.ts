/**
 * Batches ready documents per connection, series and kind, sends them through the target, and records
 * every per-document outcome. Before anything whose earlier send had an unknown outcome is sent
 * again, the target is asked whether it already has it (reconcile-before-resend): a retry never
 * re-issues.
 *
 * Every state change is written before the call it protects: documents are `in_flight` in a
 * `sending` batch before the target hears of them, so a crash mid-send leaves a trail the next start
 * reconciles.
 */
import type { DocumentOutcome, OutgoingBatch, OutgoingDocument } from '../connector.js';
import type { Logger } from '../log.js';
import type { BatchRecord, DocumentRecord, Store } from '../store/store.js';
import type { Connection, Connections } from './connections.js';

export interface DispatcherOptions {
  statusPollMs: number;
  /**
   * How long a batch may wait for the target's verdict. Past it, its undecided documents are looked
   * up individually (and resent only if the target has no record), so a receipt the target lost can
   * never hold documents forever. Default 1 hour.
   */
  verdictDeadlineMs?: number;
  /** Backoff after a retryable failure: base × 2^attempts, capped, with jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Told of each document once it is durably issued (write-back to the store's order). */
  onIssued?: (document: DocumentRecord) => Promise<void> | void;
}

/** How far a series' failure streak alone can stretch the shared backoff: 2^5 × retryBaseMs. */
const MAX_STREAK_DOUBLINGS = 5;

export class Dispatcher {
  private readonly nextPoll = new Map<string, number>();
  /** Connections the target told to slow down (429/503 + Retry-After): nothing is sent before. */
  private readonly pausedUntil = new Map<string, number>();
  private issued = 0;
  /**
   * Per series (connection|kind|series): batches that failed in a row, none of their documents
   * taken. The backoff follows the API's health, not each document's history: when documents fail
   * only because an earlier one did (numbers that must follow in order), their own attempt counts
   * would otherwise push them minutes apart. In memory: after a restart the first retry is quick.
   */
  private readonly failureStreak = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly log: Logger,
    private readonly options: DispatcherOptions,
    private readonly clock: () => Date = () => new Date(),
    private readonly random: () => number = Math.random,
  ) {}

  /** Epoch ms until which a connection is held after a 429/503 (0 when it is not); for health reports. */
  pausedUntilFor(connectionId: string): number {
    return this.pausedUntil.get(connectionId) ?? 0;
  }

  /** Documents this dispatcher saw issued; the engine goes again when it grows (notes may be unblocked). */
  get issuedCount(): number {
    return this.issued;
  }

  /** After a crash: what was being sent when the process died has an unknown outcome. */
  async recoverInterrupted(): Promise<void> {
    for (const batch of await this.store.listBatches({ status: 'sending', limit: 1000 })) {
      for (const id of batch.documentIds) {
        const document = await this.store.getDocument(id);
        if (document?.status === 'in_flight' && document.batchId === batch.id) {
          await this.store.updateDocument(id, { status: 'ready', uncertain: true, batchId: undefined });
        }
      }
      await this.store.updateBatch(batch.id, { status: 'failed', error: 'interrupted while sending; documents will be looked up before any resend' });
      this.log.warn({ batchId: batch.id }, 'batch interrupted; documents marked for reconciliation');
    }
  }

  /**
   * Sends what is due (of one connection, or of all). Returns the earliest instant (ms) at which
   * lingering or backed-off documents become due, so the engine can sleep until then.
   */
  async dispatchReady(connectionId?: string): Promise<number | undefined> {
    let wakeAt: number | undefined;
    const now = this.clock().getTime();
    // Oldest first, so documents reach the target in the order they were numbered — and so the oldest
    // are always in the page, however many were readied after them.
    const ready = await this.store.listDocuments({ status: 'ready', order: 'oldest', limit: 1000, ...(connectionId ? { connectionId } : {}) });
    const groups = new Map<string, DocumentRecord[]>();
    /** Per group, the lowest number still backing off (where the API takes numbers in order, nothing after it goes first). */
    const heldFrom = new Map<string, number>();
    for (const document of ready) {
      const key = `${document.connectionId}|${document.kind}|${document.series}`;
      const due = document.notBefore ? Date.parse(document.notBefore) : 0;
      if (due > now) {
        wakeAt = Math.min(wakeAt ?? due, due);
        const number = numberOf(document);
        if (number !== undefined) heldFrom.set(key, Math.min(heldFrom.get(key) ?? Infinity, number));
        continue;
      }
      groups.set(key, [...(groups.get(key) ?? []), document]);
    }
    // Where the API takes a series only in number order (Unidigital continues from its counter),
    // sending past a backing-off document would only fail, and back off, everything after it.
    for (const [key, documents] of groups) {
      const held = heldFrom.get(key);
      if (held === undefined || !this.connections.get(documents[0]!.connectionId)?.target.sendsInNumberOrder) continue;
      const inOrder = documents.filter((d) => (numberOf(d) ?? -Infinity) < held);
      if (inOrder.length) groups.set(key, inOrder);
      else groups.delete(key);
    }
    // Each connection is its own invoicing account with its own limits: they are served side by side,
    // so a slow or rate-limited API never holds up the documents of another. Within one connection
    // the groups go one after the other, in the order the account's limiter would impose anyway.
    const byConnection = new Map<string, DocumentRecord[][]>();
    for (const documents of groups.values()) {
      const id = documents[0]!.connectionId;
      byConnection.set(id, [...(byConnection.get(id) ?? []), documents]);
    }
    const wakes = await Promise.all(
      [...byConnection.entries()].map(async ([connectionId, connectionGroups]) => {
        const connection = this.connections.get(connectionId);
        return connection ? this.dispatchConnection(connection, connectionGroups, now) : undefined;
      }),
    );
    for (const wake of wakes) if (wake !== undefined) wakeAt = Math.min(wakeAt ?? wake, wake);
    return wakeAt;
  }

  private async dispatchConnection(connection: Connection, groups: DocumentRecord[][], now: number): Promise<number | undefined> {
    let wakeAt: number | undefined;
    for (const documents of groups) {
      const paused = this.pausedUntil.get(connection.id) ?? 0;
      if (paused > now) {
        wakeAt = Math.min(wakeAt ?? paused, paused);
        continue;
      }
      const sendable = await this.reconcileUncertain(connection, documents);
      if (!sendable.length) continue;
      const { maxDocuments, lingerMs } = connection.target.batchLimits;
      const oldest = Math.min(...sendable.map((d) => Date.parse(d.updatedAt)));
      if (sendable.length < maxDocuments && oldest + lingerMs > now) {
        wakeAt = Math.min(wakeAt ?? oldest + lingerMs, oldest + lingerMs);
        continue;
      }
      for (const chunk of chunkByLimits(sendable, connection)) {
        // A 429 during an earlier chunk holds the account: the rest waits with it instead of failing fast one by one.
        const held = this.pausedUntil.get(connection.id) ?? 0;
        if (held > this.clock().getTime()) {
          wakeAt = Math.min(wakeAt ?? held, held);
          break;
        }
        await this.send(connection, chunk);
      }
    }
    return wakeAt;
  }

  /**
   * A verdict the target pushed (a webhook) about the document with this idempotency key. Applied
   * only while the document waits for it, so a redelivered callback changes nothing.
   */
  async applyCallback(idempotencyKey: string, outcome: DocumentOutcome): Promise<boolean> {
    const document = await this.store.findDocumentByKey(idempotencyKey);
    if (!document || document.status !== 'in_flight' || outcome.outcome === 'pending') return false;
    await this.applyOutcome(document, { ...outcome, documentId: document.id });
    return true;
  }

  /** Asks the target about every batch (of one connection, or of all) still awaiting its verdict, when its poll is due. */
  async pollAwaiting(connectionId?: string): Promise<number | undefined> {
    const now = this.clock().getTime();
    // Connections side by side (each asks its own API); one connection's batches one after the other.
    const byConnection = new Map<string, BatchRecord[]>();
    for (const batch of await this.store.listBatches({ status: 'awaiting_result', order: 'oldest', limit: 1000, ...(connectionId ? { connectionId } : {}) })) {
      byConnection.set(batch.connectionId, [...(byConnection.get(batch.connectionId) ?? []), batch]);
    }
    const wakes = await Promise.all([...byConnection.values()].map((batches) => this.pollBatches(batches, now)));
    return wakes.filter((w): w is number => w !== undefined).reduce<number | undefined>((a, b) => Math.min(a ?? b, b), undefined);
  }

  private async pollBatches(batches: BatchRecord[], now: number): Promise<number | undefined> {
    let wakeAt: number | undefined;
    for (const batch of batches) {
      const due = this.nextPoll.get(batch.id) ?? 0;
      if (due > now) {
        wakeAt = Math.min(wakeAt ?? due, due);
        continue;
      }
      const connection = this.connections.get(batch.connectionId);
      if (!connection || !batch.receipt) continue;
      if (now - Date.parse(batch.createdAt) > (this.options.verdictDeadlineMs ?? 60 * 60_000)) {
        await this.releaseUnsettled(batch, 'no verdict from the target within the deadline');
        await this.store.updateBatch(batch.id, { status: 'failed', error: 'no verdict within the deadline; documents will be looked up one by one' });
        this.nextPoll.delete(batch.id);
        this.log.warn({ batchId: batch.id }, 'batch verdict deadline passed');
        continue;
      }
      const outgoing = await this.outgoingFor(batch);
      try {
        const status = await connection.target.status(batch.receipt, outgoing);
        await this.applyOutcomes(batch, status.results);
        if (status.done) {
          await this.releaseUnsettled(batch, 'the target finished the batch without a verdict for it');
          await this.store.updateBatch(batch.id, { status: 'completed' });
          this.nextPoll.delete(batch.id);
          this.log.info({ batchId: batch.id }, 'batch completed');
          continue;
        }
      } catch (error) {
        this.log.warn({ batchId: batch.id, err: describe(error) }, 'batch status not available yet');
      }
      const next = now + this.options.statusPollMs;
      this.nextPoll.set(batch.id, next);
      wakeAt = Math.min(wakeAt ?? next, next);
    }
    return wakeAt;
  }

  private async reconcileUncertain(connection: Connection, documents: DocumentRecord[]): Promise<DocumentRecord[]> {
    const sendable: DocumentRecord[] = [];
    for (const document of documents) {
      if (!document.uncertain) {
        sendable.push(document);
        continue;
      }
      try {
        const found = await connection.target.lookup(toOutgoing(document));
        if (found === null) {
          // The target has no record of it: sending it now cannot make a second one.
          await this.store.updateDocument(document.id, { uncertain: false });
          sendable.push({ ...document, uncertain: false });
        } else if (found.outcome === 'pending') {
          // The target is still deciding; ask again when a status poll would, not on every pass.
          await this.store.updateDocument(document.id, {
            notBefore: new Date(this.clock().getTime() + this.options.statusPollMs).toISOString(),
          });
        } else {
          // issued / rejected settle it. A lookup that itself failed says nothing about the document,
          // so it stays uncertain (applyOutcome → retryLater keeps the flag) and is never resent blindly.
          if (found.outcome !== 'failed') this.log.info({ documentId: document.id, outcome: found.outcome }, 'reconciled: target already had the document');
          await this.applyOutcome(document, found);
        }
      } catch (error) {
        await this.retryLater(document, { kind: 'retryable', reason: `lookup failed: ${describe(error)}` });
      }
    }
    return sendable;
  }

  private async send(connection: Connection, documents: DocumentRecord[]): Promise<void> {
    const first = documents[0]!;
    const batch = await this.store.createBatch({
      connectionId: connection.id,
      target: connection.target.name,
      kind: first.kind,
      series: first.series,
      documentIds: documents.map((d) => d.id),
      status: 'sending',
    });
    await Promise.all(
      documents.map((d) => this.store.updateDocument(d.id, { status: 'in_flight', batchId: batch.id, attempts: d.attempts + 1 })),
    );
    this.log.info({ batchId: batch.id, connectionId: connection.id, kind: batch.kind, documents: documents.length }, 'batch sending');
    const outgoing: OutgoingBatch = { batchId: batch.id, kind: batch.kind, series: batch.series, documents: documents.map(toOutgoing) };
    let results: DocumentOutcome[];
    let receipt: Record<string, unknown> | undefined;
    let submitError: string | undefined;
    try {
      ({ results, receipt } = await connection.target.submit(outgoing));
    } catch (error) {
      // A target must report per document; a throw means we cannot know what it received.
      submitError = describe(error);
      results = documents.map((d) => ({ documentId: d.id, outcome: 'failed', kind: 'unknown_outcome', reason: submitError! }));
    }
    await this.applyOutcomes(batch, results);
    const awaiting = receipt !== undefined && results.some((r) => r.outcome === 'pending');
    if (!awaiting) await this.releaseUnsettled(batch, 'the target gave no verdict and no receipt to ask for one');
    await this.store.updateBatch(batch.id, {
      status: awaiting ? 'awaiting_result' : submitError ? 'failed' : 'completed',
      ...(receipt ? { receipt } : {}),
      ...(submitError ? { error: `submit failed: ${submitError}; its documents will be looked up before any resend` } : {}),
    });
    if (awaiting) this.nextPoll.set(batch.id, this.clock().getTime() + this.options.statusPollMs);
  }

  /**
   * A batch nobody will ask about again must not keep documents in flight: whatever the target left
   * undecided (pending without a receipt, missing from a final status) is looked up before a resend.
   */
  private async releaseUnsettled(batch: BatchRecord, reason: string): Promise<void> {
    let backoff: number | undefined;
    for (const id of batch.documentIds) {
      const document = await this.store.getDocument(id);
      if (document?.status === 'in_flight' && document.batchId === batch.id) {
        backoff ??= this.loneBackoffMs(document.attempts);
        await this.retryLater(document, { kind: 'unknown_outcome', reason }, backoff);
      }
    }
  }

  private async applyOutcomes(batch: BatchRecord, results: DocumentOutcome[]): Promise<void> {
    const current = await Promise.all(results.map(async (result) => ({ result, document: await this.store.getDocument(result.documentId) })));
    const sent = current.filter(
      (c): c is { result: DocumentOutcome; document: DocumentRecord } => !!c.document && c.document.batchId === batch.id && c.document.status === 'in_flight',
    );
    // Documents that failed together back off together, so they come due together and go out again
    // in number order, instead of drifting apart by each one's own jitter.
    const key = `${batch.connectionId}|${batch.kind}|${batch.series}`;
    const taken = sent.some((c) => c.result.outcome === 'issued' || c.result.outcome === 'pending');
    const failed = sent.some((c) => c.result.outcome === 'failed');
    const streak = taken ? 0 : failed ? (this.failureStreak.get(key) ?? 0) + 1 : (this.failureStreak.get(key) ?? 0);
    this.failureStreak.set(key, streak);
    // Only documents the target tried count: one that waited behind a failed number did not fail itself.
    const tried = sent.filter((c) => !(c.result.outcome === 'failed' && c.result.notSent));
    const attempts = Math.max(0, ...tried.map((c) => c.document.attempts));
    // The streak counts at most MAX_STREAK_DOUBLINGS (a failing series is tried every 16–32 s, not
    // every few minutes); a document that keeps failing while others go through still slows down,
    // logarithmically in its own attempts. When the target tried none, the streak alone says how long.
    const cappedStreak = Math.min(streak, MAX_STREAK_DOUBLINGS);
    const backoff = this.backoffMs(tried.length ? Math.min(attempts, Math.max(cappedStreak, Math.floor(Math.log2(attempts + 1)))) : cappedStreak);
    await Promise.all(sent.map(({ document, result }) => this.applyOutcome(document, result, backoff)));
  }

  private async applyOutcome(document: DocumentRecord, result: DocumentOutcome, backoffMs?: number): Promise<void> {
    switch (result.outcome) {
      case 'issued': {
        const issuedDocument = await this.store.updateDocument(document.id, {
          status: 'issued',
          uncertain: false,
          attention: undefined,
          result: {
            fiscalNumber: result.fiscalNumber,
            ...(result.uuid ? { uuid: result.uuid } : {}),
            ...(result.links ? { links: result.links } : {}),
            ...(result.messages?.length ? { messages: result.messages } : {}),
            issuedAt: this.clock().toISOString(),
          },
        });
        this.issued++;
        this.log.info({ documentId: document.id, kind: document.kind, fiscalNumber: result.fiscalNumber }, 'document issued');
        await this.options.onIssued?.(issuedDocument);
        return;
      }
      case 'rejected':
        await this.store.updateDocument(document.id, {
          status: 'needs_attention',
          uncertain: false,
          attention: { kind: 'rejected', reason: result.reason, ...(result.field ? { path: result.field } : {}) },
        });
        this.log.warn({ documentId: document.id, kind: document.kind }, 'document rejected by target');
        return;
      case 'pending':
        return;
      case 'failed':
        if (result.kind === 'auth') {
          await this.store.updateDocument(document.id, {
            status: 'needs_attention',
            batchId: undefined,
            attention: { kind: 'auth', reason: `the invoicing account refused our credentials: ${result.reason}; update them, then replay` },
          });
          this.log.error({ documentId: document.id, connectionId: document.connectionId }, 'target refused credentials');
          return;
        }
        // Not tried by the target: the send that counted it as an attempt gives it back.
        await this.retryLater(result.notSent ? { ...document, attempts: Math.max(0, document.attempts - 1) } : document, result, backoffMs);
    }
  }

  /**
   * Backoff of a document failing outside a batch's verdict (a failed lookup, a released batch):
   * growing with its attempts, logarithmically past the first few, at most the series' streak cap —
   * documents numbered after it may be waiting for it.
   */
  private loneBackoffMs(attempts: number): number {
    return this.backoffMs(Math.min(attempts, MAX_STREAK_DOUBLINGS, Math.max(1, Math.floor(Math.log2(attempts + 1)))));
  }

  /** Backoff after `attempts` sends: base × 2^attempts, capped, with jitter (half fixed, half random). */
  private backoffMs(attempts: number): number {
    const { retryBaseMs = 1000, retryMaxMs = 10 * 60_000 } = this.options;
    const backoff = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts, 20));
    return backoff / 2 + (this.random() * backoff) / 2;
  }

  private async retryLater(
    document: DocumentRecord,
    failure: { kind: string; reason: string; retryAfterMs?: number },
    backoffMs?: number,
  ): Promise<void> {
    const delay =
      failure.kind === 'rate_limited' && failure.retryAfterMs !== undefined
        ? failure.retryAfterMs
        : (backoffMs ?? this.loneBackoffMs(document.attempts));
    if (failure.kind === 'rate_limited') {
      // The limit is the account's, not the document's: hold the whole connection, not just this one.
      const until = this.clock().getTime() + delay;
      this.pausedUntil.set(document.connectionId, Math.max(this.pausedUntil.get(document.connectionId) ?? 0, until));
    }
    await this.store.updateDocument(document.id, {
      status: 'ready',
      batchId: undefined,
      attempts: document.attempts,
      uncertain: document.uncertain || failure.kind === 'unknown_outcome',
      notBefore: new Date(this.clock().getTime() + delay).toISOString(),
    });
    this.log.warn({ documentId: document.id, failure: failure.kind, reason: failure.reason, retryInMs: Math.round(delay) }, 'document send failed; will retry');
  }

  private async outgoingFor(batch: BatchRecord): Promise<OutgoingBatch> {
    const documents = (await Promise.all(batch.documentIds.map((id) => this.store.getDocument(id)))).filter(
      (d): d is DocumentRecord => d !== undefined && d.wire !== undefined,
    );
    return { batchId: batch.id, kind: batch.kind, series: batch.series, documents: documents.map(toOutgoing) };
  }
}

/** The allocated number of a client-numbered document, as a number; undefined when it has none. */
function numberOf(document: DocumentRecord): number | undefined {
  const raw = document.number ?? document.fiscal?.number;
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

export function toOutgoing(document: DocumentRecord): OutgoingDocument {
  return {
    documentId: document.id,
    idempotencyKey: document.idempotencyKey,
    kind: document.kind,
    series: document.series,
    number: document.number ?? document.fiscal?.number ?? '',
    wire: document.wire,
    fiscal: document.fiscal!,
  };
}

function chunkByLimits(documents: DocumentRecord[], connection: Connection): DocumentRecord[][] {
  const { maxDocuments, maxBytes } = connection.target.batchLimits;
  const chunks: DocumentRecord[][] = [];
  let current: DocumentRecord[] = [];
  let bytes = 0;
  for (const document of documents) {
    const size = Buffer.byteLength(JSON.stringify(document.wire));
    if (current.length && (current.length >= maxDocuments || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(document);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
