/**
 * Write-back: once a document is issued, the store's order is annotated with it (Shopify: a metafield
 * and a tag) so the store owner sees it in the store's admin. It is a queue in the store's keyed
 * state, worked apart from issuing: a store that is down or refuses delays the note on the order,
 * never the invoice. Failed attempts are retried with a growing pause; after a day of failures the
 * entry is kept as `failed` for the admin views instead of being retried forever.
 */
import type { IssuedDocumentNotice, SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { DocumentRecord, Store } from '../store/store.js';
import { growingPause, Loop } from './loop.js';
import type { Connections } from './connections.js';

const PREFIX = 'writeback:';
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 60 * 60_000;
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

export interface WriteBackEntry {
  notice: IssuedDocumentNotice;
  /** The source type whose connector writes it (`shopify`). */
  system: string;
  status: 'pending' | 'failed';
  attempts: number;
  queuedAt: string;
  nextAttemptAt: string;
  lastError?: string;
}

export class WriteBacks {
  private loop: Loop | undefined;

  constructor(
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly sources: Record<string, SourceConnector>,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Queues the write-back of an issued document, when its source writes back. */
  async enqueue(document: DocumentRecord): Promise<void> {
    const connection = this.connections.get(document.connectionId);
    if (!connection || !this.sources[connection.sourceSystem]?.writeBack || !document.result) return;
    const now = this.clock().toISOString();
    const entry: WriteBackEntry = {
      notice: {
        source: document.source,
        orderId: document.orderId,
        documentId: document.id,
        kind: document.kind,
        fiscalNumber: document.result.fiscalNumber,
        ...(document.result.uuid ? { uuid: document.result.uuid } : {}),
        ...(document.result.links ? { links: document.result.links } : {}),
        issuedAt: document.result.issuedAt,
      },
      system: connection.sourceSystem,
      status: 'pending',
      attempts: 0,
      queuedAt: now,
      nextAttemptAt: now,
    };
    await this.store.putState(PREFIX + document.id, entry);
  }

  /** Works the due entries once. Returns how many were written. */
  async runDue(): Promise<number> {
    const now = this.clock().getTime();
    const entries = await this.store.listState<WriteBackEntry>(PREFIX);
    let written = 0;
    for (const { key, value: entry } of entries) {
      if (entry.status !== 'pending' || Date.parse(entry.nextAttemptAt) > now) continue;
      const source = this.sources[entry.system];
      if (!source?.writeBack) continue;
      try {
        await source.writeBack(entry.notice);
        await this.store.deleteState(key);
        written++;
        this.log.info({ documentId: entry.notice.documentId, source: entry.notice.source }, 'document written back to the order');
      } catch (error) {
        await this.store.putState(key, this.afterFailure(entry, error, now));
      }
    }
    return written;
  }

  /** Every entry still queued or given up on, for the admin views. */
  async list(): Promise<WriteBackEntry[]> {
    return (await this.store.listState<WriteBackEntry>(PREFIX)).map((entry) => entry.value);
  }

  start(intervalMs = 5_000): void {
    this.loop = new Loop('write-backs', async () => {
      await this.runDue();
      return { again: false };
    }, intervalMs, this.log);
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.halt();
  }

  private afterFailure(entry: WriteBackEntry, error: unknown, now: number): WriteBackEntry {
    const attempts = entry.attempts + 1;
    const lastError = error instanceof Error ? error.message : String(error);
    const gaveUp = now - Date.parse(entry.queuedAt) >= GIVE_UP_AFTER_MS;
    const pause = growingPause(attempts, FIRST_RETRY_MS, MAX_RETRY_MS);
    this.log.warn({ documentId: entry.notice.documentId, attempts, reason: lastError, gaveUp }, gaveUp ? 'write-back given up' : 'write-back failed; will retry');
    return { ...entry, attempts, lastError, status: gaveUp ? 'failed' : 'pending', nextAttemptAt: new Date(now + pause).toISOString() };
  }
}
