/**
 * What Puente reads from sources instead of waiting to be told: the reconciliation sweep (every few
 * minutes, from where the last one stopped — the safety net under webhooks that never arrived) and
 * backfills (historical orders from a date, on request). Both feed what they list through the same
 * inbox as webhooks, so the delivery and business-key dedupe make a late webhook and a sweep issue
 * one document, and both keep their cursor durably after each page, so an interrupted run resumes
 * where it stopped instead of starting over.
 */
import type { PollPage, SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Connection, Connections } from './connections.js';
import type { Inbox } from './inbox.js';
import { startOfDayIn } from '../time.js';

/** Where a sweep or backfill stands; kept in the store's keyed state. */
export interface PollProgress {
  connectionId: string;
  cursor?: string;
  /** Records looked at in this run (orders, moves). */
  scanned: number;
  /** When the source says how many the run covers. */
  total?: number;
  /** Events stored that Puente did not have yet. */
  found: number;
  startedAt: string;
  updatedAt: string;
  lastError?: string;
}

export interface SweepState extends PollProgress {
  lastRunAt?: string;
  lastSuccessAt?: string;
}

export interface BackfillState extends PollProgress {
  /** As asked: a date or an instant. */
  since: string;
  /** The instant it means (a date is midnight in the connection's timezone). */
  from: string;
  status: 'running' | 'done' | 'failed';
  finishedAt?: string;
}

/** Where a connection's sweep state is kept (keyed state). */
export const sweepKey = (connectionId: string) => `sweep:${connectionId}`;
const backfillKey = (connectionId: string) => `backfill:${connectionId}`;

/** How far back the very first sweep of a connection looks (later sweeps start at their cursor). */
const FIRST_SWEEP_LOOKBACK_MS = 60 * 60_000;

export class PollingError extends Error {
  constructor(
    readonly code: 'unknown_connection' | 'cannot_poll' | 'bad_since' | 'already_running',
    message: string,
  ) {
    super(message);
    this.name = 'PollingError';
  }
}

interface PollDeps {
  store: Store;
  connections: Connections;
  sources: Record<string, SourceConnector>;
  inbox: Inbox;
  log: Logger;
  /** A page's new events were stored: the pipeline should look. */
  onStored: () => void;
  clock?: () => Date;
}

/** Reads pages until the source has no more, storing events then the cursor after each page. */
async function drain(
  deps: PollDeps,
  connection: Connection,
  request: { cursor?: string; since?: string; signal?: AbortSignal },
  progress: PollProgress,
  save: (progress: PollProgress) => Promise<void>,
): Promise<void> {
  const source = deps.sources[connection.sourceSystem];
  if (!source?.poll) throw new PollingError('cannot_poll', `${connection.sourceSystem} sources cannot be polled`);
  const pages: AsyncIterable<PollPage> = source.poll({ source: connection.source, ...request });
  for await (const page of pages) {
    const accepted = page.events.length ? await deps.inbox.accept(page.events) : [];
    const fresh = accepted.filter((a) => !a.duplicate).length;
    if (fresh > 0) deps.onStored();
    progress.cursor = page.cursor;
    progress.scanned += page.scanned ?? page.events.length;
    if (page.total !== undefined) progress.total = page.total;
    progress.found += fresh;
    progress.updatedAt = (deps.clock ?? (() => new Date()))().toISOString();
    await save(progress);
    if (request.signal?.aborted) return;
  }
}

export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly clock: () => Date;

  constructor(
    private readonly deps: PollDeps,
    /** Minutes between sweeps of a connection; 0: never. */
    private readonly minutesFor: (connection: Connection) => number,
  ) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** Sweeps every connection that is due, one after another. */
  async sweepDue(): Promise<void> {
    const now = this.clock().getTime();
    for (const connection of this.deps.connections.all()) {
      const minutes = this.minutesFor(connection);
      if (!(minutes > 0) || !this.deps.sources[connection.sourceSystem]?.poll) continue;
      const state = (await this.deps.store.getState<SweepState>(sweepKey(connection.id)))?.value;
      if (state?.lastRunAt && Date.parse(state.lastRunAt) + minutes * 60_000 > now) continue;
      await this.sweep(connection.id).catch(() => undefined);
      if (this.abort.signal.aborted) return;
    }
  }

  /** One sweep of one connection, from its cursor. Errors are recorded on its state and rethrown. */
  async sweep(connectionId: string): Promise<SweepState> {
    const connection = this.deps.connections.get(connectionId);
    if (!connection) throw new PollingError('unknown_connection', `no connection "${connectionId}"`);
    const key = sweepKey(connectionId);
    const previous = (await this.deps.store.getState<SweepState>(key))?.value;
    const now = this.clock();
    const state: SweepState = {
      ...previous,
      connectionId,
      scanned: 0,
      found: 0,
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      lastRunAt: now.toISOString(),
    };
    delete state.lastError;
    const request = previous?.cursor
      ? { cursor: previous.cursor, signal: this.abort.signal }
      : { since: new Date(now.getTime() - FIRST_SWEEP_LOOKBACK_MS).toISOString(), signal: this.abort.signal };
    const save = async (progress: PollProgress) => {
      await this.deps.store.putState(key, progress);
    };
    try {
      await drain(this.deps, connection, request, state, save);
      state.lastSuccessAt = this.clock().toISOString();
      await save(state);
      this.deps.log.info({ connectionId, scanned: state.scanned, found: state.found }, 'sweep finished');
      return state;
    } catch (error) {
      state.lastError = error instanceof Error ? error.message : String(error);
      await save(state);
      this.deps.log.warn({ connectionId, reason: state.lastError }, 'sweep failed; the next one resumes from the cursor');
      throw error;
    }
  }

  start(checkEveryMs = 30_000): void {
    const tick = () => {
      this.pass = this.sweepDue()
        .catch((error: unknown) => this.deps.log.error({ err: error instanceof Error ? error.message : String(error) }, 'sweep pass failed'))
        .finally(() => {
          this.pass = undefined;
          if (!this.abort.signal.aborted) this.timer = setTimeout(tick, checkEveryMs).unref();
        });
    };
    this.timer = setTimeout(tick, 1_000).unref();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
  }
}

export class Backfills {
  private readonly runs = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly clock: () => Date;

  constructor(private readonly deps: PollDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * Starts invoicing a connection's orders from `since` (ISO 8601 with offset). What the trigger policy
   * excludes or what was already issued is left alone by the ledger, so a backfill over issued orders
   * issues nothing twice. Asking again while one runs returns the running one.
   */
  async start(connectionId: string, since: string): Promise<BackfillState> {
    const connection = this.deps.connections.get(connectionId);
    if (!connection) throw new PollingError('unknown_connection', `no connection "${connectionId}"; see GET /api/connections`);
    if (!this.deps.sources[connection.sourceSystem]?.poll) {
      throw new PollingError('cannot_poll', `${connection.sourceSystem} connections cannot be backfilled`);
    }
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(since) || Number.isNaN(Date.parse(since))) {
      throw new PollingError('bad_since', `since: "${since}" is not a date; give YYYY-MM-DD or an ISO 8601 instant with its offset`);
    }
    const current = await this.get(connectionId);
    if (current && current.since === since && current.status !== 'done') {
      // The same backfill again: carry on from its cursor (after an interruption or a failure).
      const resumed: BackfillState = { ...current, status: 'running' };
      delete resumed.lastError;
      delete resumed.finishedAt;
      await this.deps.store.putState(backfillKey(connectionId), resumed);
      this.resume(connectionId);
      return resumed;
    }
    if (current?.status === 'running') {
      throw new PollingError('already_running', `a backfill from ${current.since} is running for "${connectionId}"; wait for it to finish`);
    }
    const now = this.clock().toISOString();
    // A bare date is midnight where the store is.
    const from = since.length === 10 ? startOfDayIn(since, connection.settings.timezone) : since;
    const state: BackfillState = { connectionId, since, from, status: 'running', scanned: 0, found: 0, startedAt: now, updatedAt: now };
    await this.deps.store.putState(backfillKey(connectionId), state);
    this.resume(connectionId);
    return state;
  }

  async get(connectionId: string): Promise<BackfillState | undefined> {
    return (await this.deps.store.getState<BackfillState>(backfillKey(connectionId)))?.value;
  }

  /** At start: carries on every backfill a stop interrupted, from its cursor. */
  async resumeInterrupted(): Promise<void> {
    for (const { value } of await this.deps.store.listState<BackfillState>('backfill:')) {
      if (value.status === 'running' && this.deps.connections.get(value.connectionId)) this.resume(value.connectionId);
    }
  }

  /** Waits for the backfill of a connection to end (tests, CLI in-process). */
  async settled(connectionId: string): Promise<void> {
    await this.runs.get(connectionId);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.runs.values());
  }

  private resume(connectionId: string): void {
    if (this.runs.has(connectionId)) return;
    const run = this.run(connectionId).finally(() => this.runs.delete(connectionId));
    this.runs.set(connectionId, run);
  }

  private async run(connectionId: string): Promise<void> {
    const key = backfillKey(connectionId);
    const stored = (await this.deps.store.getState<BackfillState>(key))?.value;
    const connection = this.deps.connections.get(connectionId);
    if (!stored || !connection) return;
    const save = async (progress: PollProgress) => {
      await this.deps.store.putState(key, progress);
    };
    const request = stored.cursor ? { cursor: stored.cursor, signal: this.abort.signal } : { since: stored.from, signal: this.abort.signal };
    try {
      await drain(this.deps, connection, request, stored, save);
      if (this.abort.signal.aborted) return;
      await save({ ...stored, status: 'done', finishedAt: this.clock().toISOString() } as BackfillState);
      this.deps.log.info({ connectionId, scanned: stored.scanned, found: stored.found }, 'backfill finished');
    } catch (error) {
      const lastError = error instanceof Error ? error.message : String(error);
      await save({ ...stored, status: 'failed', lastError, finishedAt: this.clock().toISOString() } as BackfillState);
      this.deps.log.warn({ connectionId, reason: lastError }, 'backfill failed; start it again to resume from where it stopped');
    }
  }
}
