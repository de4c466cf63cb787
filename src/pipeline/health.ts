/**
 * How each connection is doing, from what the store says and what the limiters hold: the figures
 * behind `GET /api/health/deep` and `puente status`. Read-only: computing a report changes nothing.
 *
 * Counts come from the store's list queries, which return at most MAX_COUNTED records; a figure that
 * reaches it is reported with `atLeast: true` rather than as an exact number.
 */
import { sweepKey, type SweepState } from './polling.js';
import type { Connection, Connections } from './connections.js';
import type { DocumentRecord, EventRecord, Store } from '../store/store.js';

/** The store's largest page: counts at this size may be larger in truth. */
const MAX_COUNTED = 1000;

export interface HealthOptions {
  /** A queued document older than this makes its connection degraded. Default 15 minutes. */
  staleAfterMs?: number;
  now?: () => Date;
}

export interface Count {
  count: number;
  /** The store returned a full page: there may be more. */
  atLeast: boolean;
}

/** What the rate limiter of a connection's invoicing account is doing right now. */
export interface LimiterState {
  /** The dispatcher holds the connection (the API answered 429/503 with Retry-After) until then. */
  pausedUntil?: string;
  /** The API client's own limiter holds every request until then. */
  clientPausedUntil?: string;
  /** Requests waiting in the client's limiter, and running now; absent when the client exposes none. */
  queued?: number;
  running?: number;
}

export interface ConnectionHealth {
  id: string;
  source: string;
  /** Target account name (configuration) and its API (`apidian`). */
  targetAccount: string;
  target: string;
  status: 'ok' | 'degraded';
  /** Why it is degraded; empty when ok. */
  reasons: string[];
  /** Documents not yet settled: pending + ready + in_flight. */
  queueDepth: Count;
  documents: { pending: Count; ready: Count; inFlight: Count; needsAttention: Count };
  /** The oldest document still queued (createdAt), and how long it has waited. */
  oldestQueuedAt?: string;
  oldestQueuedAgeMs?: number;
  /** When the last document of this connection was issued. */
  lastIssuedAt?: string;
  events: { waiting: Count; needsAttention: Count };
  /** Why documents need attention, by kind (`mapping`, `rejected`, `auth`, …). */
  attentionByKind: Record<string, number>;
  limiter: LimiterState;
  /** The reconciliation sweep: when it last ran and succeeded, and why it last failed. */
  sweep?: { lastRunAt?: string; lastSuccessAt?: string; lastError?: string };
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checkedAt: string;
  reasons: string[];
  /** Events whose source has no connection (yet). */
  unroutableEvents: Count;
  connections: ConnectionHealth[];
}

/** Read-only views of the parts that hold limiter state. */
export interface LimiterSources {
  /** Epoch ms until which the dispatcher holds a connection (0 when it does not). */
  pausedUntilFor(connectionId: string): number;
}

const count = (records: unknown[]): Count => ({ count: records.length, atLeast: records.length >= MAX_COUNTED });
const shown = (c: Count) => `${c.count}${c.atLeast ? '+' : ''}`;

/** A Bottleneck-like limiter, as the API clients expose it (`client.limiter`). */
interface CountingLimiter {
  counts(): { RECEIVED: number; QUEUED: number; RUNNING: number; EXECUTING: number };
}

/**
 * The client-side limiter of a target, when its connector exposes one (`target.client.limiter` and
 * `target.client.pausedUntil`, as the APIDIAN, tuimprenta and FacturApi clients do). Duck-typed so
 * the pipeline keeps knowing targets only through their interface.
 */
function clientLimiterState(connection: Connection, now: number): Pick<LimiterState, 'clientPausedUntil' | 'queued' | 'running'> {
  const client = (connection.target as unknown as { client?: { limiter?: unknown; pausedUntil?: unknown } }).client;
  if (!client || typeof client !== 'object') return {};
  const state: Pick<LimiterState, 'clientPausedUntil' | 'queued' | 'running'> = {};
  if (typeof client.pausedUntil === 'number' && client.pausedUntil > now) state.clientPausedUntil = new Date(client.pausedUntil).toISOString();
  const limiter = client.limiter as Partial<CountingLimiter> | undefined;
  if (limiter && typeof limiter.counts === 'function') {
    const counts = limiter.counts();
    state.queued = counts.RECEIVED + counts.QUEUED;
    state.running = counts.RUNNING + counts.EXECUTING;
  }
  return state;
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? `${Math.round(ms / 1000)} s` : `${m} min`;
}

async function connectionHealth(
  store: Store,
  connection: Connection,
  limiters: LimiterSources | undefined,
  now: number,
  staleAfterMs: number,
): Promise<ConnectionHealth> {
  const list = (status: DocumentRecord['status']) => store.listDocuments({ status, connectionId: connection.id, limit: MAX_COUNTED });
  const [pending, ready, inFlight, attention, issued] = await Promise.all([
    list('pending'),
    list('ready'),
    list('in_flight'),
    list('needs_attention'),
    store.listDocuments({ status: 'issued', connectionId: connection.id, limit: 50 }),
  ]);
  // Events are stored by source; those of this connection carry its id once routed.
  const events = (status: EventRecord['status']) =>
    store.listEvents({ status, source: connection.source, limit: MAX_COUNTED }).then((all) => all.filter((e) => e.connectionId === connection.id));
  const [waiting, eventsAttention] = await Promise.all([events('waiting'), events('needs_attention')]);
  const sweep = (await store.getState<SweepState>(sweepKey(connection.id)))?.value;

  const queued = [...pending, ...ready, ...inFlight];
  const oldest = queued.reduce<string | undefined>((min, d) => (min === undefined || d.createdAt < min ? d.createdAt : min), undefined);
  const lastIssuedAt = issued.reduce<string | undefined>((max, d) => {
    const at = d.result?.issuedAt ?? d.updatedAt;
    return max === undefined || at > max ? at : max;
  }, undefined);
  const attentionByKind: Record<string, number> = {};
  for (const d of attention) attentionByKind[d.attention?.kind ?? 'unknown'] = (attentionByKind[d.attention?.kind ?? 'unknown'] ?? 0) + 1;

  const limiter: LimiterState = clientLimiterState(connection, now);
  const pausedUntil = limiters?.pausedUntilFor(connection.id) ?? 0;
  if (pausedUntil > now) limiter.pausedUntil = new Date(pausedUntil).toISOString();

  const queueDepth: Count = { count: queued.length, atLeast: pending.length >= MAX_COUNTED || ready.length >= MAX_COUNTED || inFlight.length >= MAX_COUNTED };
  const needsAttention = count(attention);
  const reasons: string[] = [];
  if (attentionByKind.auth) {
    reasons.push(`the invoicing account ${connection.targetAccount} refused Puente's credentials (${attentionByKind.auth} document(s) held): update them, then puente replay`);
  }
  if (needsAttention.count > 0) reasons.push(`${shown(needsAttention)} document(s) need attention (GET /api/documents?status=needs_attention)`);
  if (eventsAttention.length > 0) reasons.push(`${shown(count(eventsAttention))} event(s) need attention (GET /api/events?status=needs_attention)`);
  const ageMs = oldest ? Math.max(0, now - Date.parse(oldest)) : undefined;
  if (ageMs !== undefined && ageMs > staleAfterMs) reasons.push(`the oldest queued document has waited ${minutes(ageMs)} (more than ${minutes(staleAfterMs)})`);
  if (sweep?.lastError) {
    reasons.push(`the last reconciliation sweep failed (${sweep.lastError}): orders a webhook missed are not recovered until one succeeds`);
  }

  return {
    id: connection.id,
    source: connection.source,
    targetAccount: connection.targetAccount,
    target: connection.target.name,
    status: reasons.length ? 'degraded' : 'ok',
    reasons,
    queueDepth,
    documents: { pending: count(pending), ready: count(ready), inFlight: count(inFlight), needsAttention },
    ...(oldest ? { oldestQueuedAt: oldest, oldestQueuedAgeMs: ageMs } : {}),
    ...(lastIssuedAt ? { lastIssuedAt } : {}),
    events: { waiting: count(waiting), needsAttention: count(eventsAttention) },
    attentionByKind,
    limiter,
    ...(sweep
      ? { sweep: { ...(sweep.lastRunAt ? { lastRunAt: sweep.lastRunAt } : {}), ...(sweep.lastSuccessAt ? { lastSuccessAt: sweep.lastSuccessAt } : {}), ...(sweep.lastError ? { lastError: sweep.lastError } : {}) } }
      : {}),
  };
}

export async function healthReport(
  store: Store,
  connections: Pick<Connections, 'all'>,
  limiters?: LimiterSources,
  options: HealthOptions = {},
): Promise<HealthReport> {
  const now = (options.now ?? (() => new Date()))();
  const staleAfterMs = options.staleAfterMs ?? 15 * 60_000;
  const perConnection = await Promise.all(connections.all().map((c) => connectionHealth(store, c, limiters, now.getTime(), staleAfterMs)));
  const unroutable = count(await store.listEvents({ status: 'unroutable', limit: MAX_COUNTED }));
  const reasons = perConnection.flatMap((c) => c.reasons.map((r) => `${c.id}: ${r}`));
  if (unroutable.count > 0) reasons.push(`${shown(unroutable)} event(s) came from a source with no connection (GET /api/events?status=unroutable)`);
  return {
    status: reasons.length ? 'degraded' : 'ok',
    checkedAt: now.toISOString(),
    reasons,
    unroutableEvents: unroutable,
    connections: perConnection,
  };
}
