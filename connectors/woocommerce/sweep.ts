/**
 * The sweep: WooCommerce delivers each webhook once and never retries (reference stores-and-erps
 * §2.2), so a delivery lost to a restart or a network blip is gone. Every few minutes the orders
 * modified since the last sweep are listed and turned into the same events a webhook would have
 * made — the same delivery ids, so whatever already arrived is stored once. Backfills are the same
 * walk from an earlier instant.
 *
 * The walk is by modification time, not by page number alone: an order modified while the sweep
 * runs moves to the end of the list, and walking pages of a moving list would skip the order that
 * slid into an already-read page. So each request asks for orders modified after the newest one
 * seen so far (less a second, for changes sharing that second), and only a page whose orders all
 * share one second moves on by page number.
 */
import type { PollPage, PollRequest } from '../../src/connector.js';
import type { WooCommerceConnection } from './bindings.js';
import type { WooCommerceClient } from './client.js';
import { eventsForOrder } from './events.js';

const SWEEP_PAGE_SIZE = 100;
/** Without a cursor or a start, the first sweep looks this far back. */
export const FIRST_SWEEP_LOOKBACK_MS = 24 * 60 * 60 * 1000;
const OVERLAP_MS = 1000;

interface SweepCursor {
  /** GMT `YYYY-MM-DDTHH:MM:SS`: the newest modification seen. */
  modifiedAfter: string;
}

/** An instant → WooCommerce's GMT form without offset (the query uses dates_are_gmt=true). */
function toWooGmt(instant: Date): string {
  return instant.toISOString().slice(0, 19);
}

function parseCursor(cursor: string): SweepCursor {
  try {
    const parsed = JSON.parse(cursor) as Partial<SweepCursor>;
    if (typeof parsed.modifiedAfter === 'string' && !Number.isNaN(Date.parse(`${parsed.modifiedAfter}Z`))) {
      return { modifiedAfter: parsed.modifiedAfter };
    }
  } catch {
    // fall through
  }
  throw new Error(`WooCommerce sweep cursor ${JSON.stringify(cursor.slice(0, 80))} is not one this connector wrote; clear it to sweep from the start`);
}

function startOf(request: PollRequest, now: Date): string {
  if (request.cursor) return parseCursor(request.cursor).modifiedAfter;
  if (request.since) {
    const since = Date.parse(request.since);
    if (Number.isNaN(since)) throw new Error(`poll since "${request.since}" is not an ISO 8601 instant`);
    return toWooGmt(new Date(since));
  }
  return toWooGmt(new Date(now.getTime() - FIRST_SWEEP_LOOKBACK_MS));
}

const gmtMs = (gmt: string) => Date.parse(`${gmt}Z`);

export async function* sweepOrders(
  connection: WooCommerceConnection,
  client: WooCommerceClient,
  request: PollRequest,
  options: { pageSize?: number; now?: () => Date } = {},
): AsyncIterable<PollPage> {
  const pageSize = options.pageSize ?? SWEEP_PAGE_SIZE;
  let after = startOf(request, options.now?.() ?? new Date());
  let page = 1;
  let total: number | undefined;
  // Orders already counted whose change lies in the overlap the next request reads again, so the
  // progress (`scanned` against X-WP-Total) counts each change once.
  let counted = new Set<string>();
  for (;;) {
    if (request.signal?.aborted) return;
    const result = await client.listOrders({
      modifiedAfter: toWooGmt(new Date(gmtMs(after) - OVERLAP_MS)),
      page,
      perPage: pageSize,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    total ??= result.total;
    const events = result.orders.flatMap((order) => {
      const derived = eventsForOrder(order, {
        source: connection.source,
        paidStatuses: connection.settings.paidStatuses,
        taxIdMetaKeys: connection.settings.taxIdMetaKeys,
        taxIdTypeMetaKeys: connection.settings.taxIdTypeMetaKeys,
        topic: 'sweep',
      });
      // One unreadable order must not stop the sweep of the others.
      return typeof derived === 'string' ? [] : derived;
    });
    let newest = after;
    let scanned = 0;
    for (const order of result.orders) {
      const modified = order.date_modified_gmt;
      if (typeof modified === 'string' && !Number.isNaN(gmtMs(modified)) && gmtMs(modified) > gmtMs(newest)) newest = modified;
      const change = `${String(order.id)}|${String(modified)}`;
      if (!counted.has(change)) scanned += 1;
      counted.add(change);
    }
    const edge = gmtMs(newest) - OVERLAP_MS;
    counted = new Set([...counted].filter((change) => gmtMs(change.slice(change.indexOf('|') + 1)) >= edge));
    yield {
      events,
      cursor: JSON.stringify({ modifiedAfter: newest } satisfies SweepCursor),
      scanned,
      ...(total !== undefined ? { total } : {}),
    };
    if (result.orders.length < pageSize) return;
    if (gmtMs(newest) > gmtMs(after)) {
      after = newest;
      page = 1;
    } else {
      page += 1;
    }
  }
}
