/**
 * Polling Odoo: posted customer moves changed since the cursor, oldest first, a page at a time
 * (`search_read` ordered `write_date asc, id asc`). Each page's events come with the cursor after
 * them; the pipeline stores the events, then the cursor, so a crash in between lists the page again
 * and the delivery ids make that harmless.
 */
import type { PollPage, PollRequest, SourceEvent } from '../../src/connector.js';
import type { Domain } from './client.js';
import { advanceCursor, decodeCursor, encodeCursor, startCursor, type OdooCursor } from './cursor.js';
import { eventForMove } from './events.js';
import { isoToOdooDatetime, type OdooMoveReader } from './moves.js';

/** Where a first poll without `since` starts: the beginning of the books. */
const EPOCH = '1970-01-01 00:00:00';

export interface PollTarget {
  source: string;
  reader: OdooMoveReader;
  pageSize: number;
  /** How far behind the newest write_date each poll looks again, for moves whose transaction committed late. */
  overlapSeconds: number;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/** Moves written at or after the cursor's `from` that it has not listed yet. */
export function cursorDomain(base: Domain, cursor: OdooCursor): Domain {
  const domain: Domain = [...base, ['write_date', '>=', cursor.from]];
  if (cursor.seen.length) domain.push(['id', 'not in', cursor.seen.map((m) => m.id)]);
  return domain;
}

/** Turns payloads into events; moves Puente cannot issue for are logged (by id) and left out. */
export function eventsFor(target: Pick<PollTarget, 'source' | 'log'>, payloads: Parameters<typeof eventForMove>[1][]): SourceEvent[] {
  const events: SourceEvent[] = [];
  for (const payload of payloads) {
    const outcome = eventForMove(target.source, payload);
    if ('event' in outcome) events.push(outcome.event);
    else target.log.warn({ source: target.source, moveId: payload.id, reason: outcome.skipped }, 'odoo move skipped');
  }
  return events;
}

export async function* pollMoves(target: PollTarget, request: PollRequest): AsyncIterable<PollPage> {
  let cursor = request.cursor ? decodeCursor(request.cursor) : startCursor(request.since ? isoToOdooDatetime(request.since) : EPOCH);
  const base = target.reader.baseDomain();
  const total = await target.reader.count(cursorDomain(base, cursor));
  for (;;) {
    request.signal?.throwIfAborted();
    const moves = await target.reader.search(cursorDomain(base, cursor), { limit: target.pageSize });
    if (moves.length === 0) return;
    const payloads = await target.reader.payloads(moves);
    cursor = advanceCursor(
      cursor,
      moves.map((move) => ({ writeDate: String(move.write_date).slice(0, 19), id: move.id as number })),
      target.overlapSeconds,
    );
    const events = eventsFor(target, payloads);
    target.log.info({ source: target.source, moves: moves.length, events: events.length }, 'odoo poll page');
    yield { events, cursor: encodeCursor(cursor), scanned: moves.length, total };
    if (moves.length < target.pageSize) return;
  }
}
