/**
 * Receiver for Odoo's "Send Webhook Notification" automation (POST /webhooks/odoo/<connection id>).
 * Odoo signs nothing, so the body is never trusted: it may only name a record — `{"_model":
 * "account.move", "_id": 42, …}` — which is then read through JSON-RPC with the connection's own
 * credentials and filters. A move that is not a posted customer invoice, credit note or debit note
 * of that connection yields no events. The poll stays the safety net: Odoo sends once, with a
 * one-second timeout, and never retries.
 */
import type { SourceEvent, WebhookRequest, WebhookVerdict } from '../../src/connector.js';
import { OdooError } from './errors.js';
import { eventsFor, type PollTarget } from './poll.js';

/** Odoo sends the record's selected fields; a notification never needs more than this. */
export const MAX_ODOO_WEBHOOK_BYTES = 256 * 1024;

export interface WebhookTarget extends PollTarget {
  connectionId: string;
}

function recordRef(body: unknown): { model: unknown; id: unknown } | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  // Odoo writes `_model` and `_id`; `model`/`id` are accepted from hand-made automations.
  return { model: record._model ?? record.model, id: record._id ?? record.id };
}

export async function receiveOdooWebhook(
  request: WebhookRequest,
  targetFor: (connectionId: string) => WebhookTarget | undefined,
): Promise<WebhookVerdict> {
  const connectionId = request.params?.connection;
  if (!connectionId) {
    return { ok: false, status: 404, error: 'Odoo webhooks go to /webhooks/odoo/<connection id>: the URL names no connection' };
  }
  const target = targetFor(connectionId);
  if (!target) return { ok: false, status: 404, error: `no Odoo connection "${connectionId}"` };
  if (typeof request.rawBody !== 'string') return { ok: false, status: 400, error: 'the body was not received as text' };
  if (Buffer.byteLength(request.rawBody, 'utf8') > MAX_ODOO_WEBHOOK_BYTES) {
    return { ok: false, status: 413, error: `the body is larger than ${MAX_ODOO_WEBHOOK_BYTES} bytes; select fewer fields in the automation` };
  }
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody);
  } catch {
    return { ok: false, status: 400, error: 'the body is not JSON: use Odoo\'s "Send Webhook Notification" action' };
  }
  const ref = recordRef(body);
  if (!ref || ref.model !== 'account.move') {
    return { ok: false, status: 400, error: 'the body must name the model account.move in `_model` (set the automation on Journal Entry / account.move)' };
  }
  if (typeof ref.id !== 'number' || !Number.isSafeInteger(ref.id) || ref.id <= 0) {
    return { ok: false, status: 400, error: 'the body must carry the record id as a positive integer in `_id`' };
  }
  const events = await fetchMove(target, ref.id);
  return { ok: true, events };
}

/**
 * Reads the move as the poll would. Odoo will not resend a failed notification and the sweep will
 * list the move anyway, so a failure to reach Odoo is logged and answered with no events.
 */
async function fetchMove(target: WebhookTarget, moveId: number): Promise<SourceEvent[]> {
  try {
    const moves = await target.reader.search([...target.reader.baseDomain(), ['id', '=', moveId]], { limit: 1 });
    if (moves.length === 0) {
      target.log.info({ source: target.source, connectionId: target.connectionId, moveId }, 'odoo webhook: not a posted customer move; nothing to do');
      return [];
    }
    return eventsFor(target, await target.reader.payloads(moves));
  } catch (error) {
    const kind = error instanceof OdooError ? error.kind : 'unexpected';
    target.log.warn(
      { source: target.source, connectionId: target.connectionId, moveId, kind, reason: (error as Error).message },
      'odoo webhook: could not read the move; the next sweep will',
    );
    return [];
  }
}
