/**
 * Where a poll of Odoo stands, as three things:
 * - `from`: the write_date (Odoo's UTC 'YYYY-MM-DD HH:MM:SS') the next poll asks from;
 * - `latest`: the newest write_date seen so far;
 * - `seen`: the moves already listed whose write_date is at or after `from`, with that write_date.
 * The next poll asks for `write_date >= from and id not in seen`.
 *
 * Why not simply "after the last write_date and id":
 * - Odoo reads write_date back to the second while it stores it finer, and moves written in the same
 *   second do not get ids in the order they are written; so one second's moves are told apart by id.
 * - Odoo stamps write_date with the time its transaction *started*. A batch that posts invoices for a
 *   minute commits them all with that minute's first timestamp, after moves written meanwhile were
 *   already listed. So `from` trails `latest` by an overlap (default 10 minutes): a move that commits
 *   late within the overlap is still found, and `seen` keeps the moves of that window from being
 *   listed twice. `from` never goes back, so a backfill never reaches before its `since`.
 *
 * Text form: `v2|<from>|<latest>|<id>@<unix seconds>,…`.
 */
import { OdooError } from './errors.js';

export interface SeenMove {
  id: number;
  writeDate: string;
}

export interface OdooCursor {
  from: string;
  latest: string;
  seen: SeenMove[];
}

const ODOO_DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const toSeconds = (odooDatetime: string) => Date.parse(`${odooDatetime.replace(' ', 'T')}Z`) / 1000;
const fromSeconds = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');

/** A cursor that starts at `from` (a backfill's since, or the beginning of the books). */
export function startCursor(from: string): OdooCursor {
  return { from, latest: from, seen: [] };
}

export function encodeCursor(cursor: OdooCursor): string {
  return `v2|${cursor.from}|${cursor.latest}|${cursor.seen.map((m) => `${m.id}@${toSeconds(m.writeDate)}`).join(',')}`;
}

export function decodeCursor(text: string): OdooCursor {
  const refuse = () =>
    new OdooError('config', `the stored Odoo poll cursor "${text.slice(0, 80)}" is not one Puente wrote (expected v2|from|latest|id@seconds,…); reset the connection's cursor`);
  const [version, from, latest, list, ...rest] = text.split('|');
  if (version !== 'v2' || rest.length || !from || !latest || list === undefined || !ODOO_DATETIME.test(from) || !ODOO_DATETIME.test(latest)) throw refuse();
  const seen = list
    ? list.split(',').map((entry) => {
        const match = /^(\d+)@(\d+)$/.exec(entry);
        const id = Number(match?.[1]);
        if (!match || !Number.isSafeInteger(id) || id <= 0) throw refuse();
        return { id, writeDate: fromSeconds(Number(match[2])) };
      })
    : [];
  return { from, latest, seen };
}

/**
 * The cursor after a page of moves (as listed: write_date, then id). `latest` moves up to the newest
 * write_date seen, `from` to `overlapSeconds` before it (never back), and `seen` keeps the moves at
 * or after the new `from`.
 */
export function advanceCursor(previous: OdooCursor, page: SeenMove[], overlapSeconds: number): OdooCursor {
  if (page.length === 0) return previous;
  const latest = page.reduce((max, m) => (m.writeDate > max ? m.writeDate : max), previous.latest);
  const trailing = fromSeconds(toSeconds(latest) - overlapSeconds);
  const from = trailing > previous.from ? trailing : previous.from;
  const byId = new Map<number, SeenMove>();
  for (const move of [...previous.seen, ...page]) if (move.writeDate >= from) byId.set(move.id, move);
  const seen = [...byId.values()].sort((a, b) => (a.writeDate === b.writeDate ? a.id - b.id : a.writeDate < b.writeDate ? -1 : 1));
  return { from, latest, seen };
}
