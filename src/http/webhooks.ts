/**
 * Webhook receivers. The body is read as raw bytes (signatures are over the exact bytes), verified by
 * the source connector, stored durably through the inbox, and only then answered 2xx.
 */
import express, { type Router } from 'express';
import type { DocumentOutcome, SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { Connections } from '../pipeline/connections.js';
import type { Inbox } from '../pipeline/inbox.js';

/** How verdicts a target pushes reach the pipeline. */
export interface TargetCallbacks {
  connections: Connections;
  apply(idempotencyKey: string, outcome: DocumentOutcome): Promise<boolean>;
}

export function webhookRouter(
  sources: Record<string, SourceConnector>,
  inbox: Inbox,
  log: Logger,
  maxBodyBytes: number,
  onStored: () => void,
  callbacks?: TargetCallbacks,
): Router {
  const router = express.Router();
  // Callback event ids already applied, per connection (bounded): a redelivery is answered without
  // touching the store. Applying is idempotent anyway, so forgetting ids (a restart) is harmless.
  const seenCallbacks = new Set<string>();
  const rememberCallback = (key: string) => {
    seenCallbacks.add(key);
    if (seenCallbacks.size > 10_000) seenCallbacks.delete(seenCallbacks.values().next().value!);
  };
  const raw = express.raw({ type: () => true, limit: maxBodyBytes });
  // Sources whose secret is per connection (/webhooks/woocommerce/<connection id>), and invoicing APIs
  // that call back (/webhooks/<target>/<connection id>).
  router.post('/:target/:connection', raw, async (req, res, next) => {
    if (sources[req.params.target!]?.webhook) {
      next();
      return;
    }
    const connection = callbacks?.connections.get(req.params.connection!);
    if (!connection || connection.target.name !== req.params.target || !connection.target.callback) {
      res.status(404).json({ error: 'unknown_connection', message: `no ${req.params.target} connection "${req.params.connection}" takes callbacks` });
      return;
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const verdict = connection.target.callback({ rawBody, headers: req.headers });
    if (!verdict.ok) {
      log.warn({ target: connection.target.name, connectionId: connection.id, status: verdict.status }, 'target callback refused');
      res.status(verdict.status).json({ error: verdict.status === 401 ? 'invalid_signature' : 'invalid_delivery', message: verdict.error });
      return;
    }
    const seenKey = `${connection.id}|${verdict.eventId}`;
    if (seenCallbacks.has(seenKey)) {
      res.status(200).json({ received: verdict.eventId, applied: 0, duplicate: true });
      return;
    }
    let applied = 0;
    for (const { idempotencyKey, outcome } of verdict.results) if (await callbacks!.apply(idempotencyKey, outcome)) applied++;
    rememberCallback(seenKey);
    log.info({ target: connection.target.name, connectionId: connection.id, eventId: verdict.eventId, applied }, 'target callback received');
    res.status(200).json({ received: verdict.eventId, applied });
  });
  router.post(['/:source', '/:source/:connection'], raw, async (req, res) => {
    const { source, connection } = req.params as { source: string; connection?: string };
    const connector = sources[source];
    if (!connector?.webhook) {
      res.status(404).json({ error: 'unknown_source', message: `no webhook receiver for "${req.params.source}"` });
      return;
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const params: Record<string, string> = connection ? { connection } : {};
    const verdict = await connector.webhook.receive({ rawBody, headers: req.headers, params });
    if (!verdict.ok) {
      log.warn({ source: req.params.source, status: verdict.status }, 'webhook refused');
      res.status(verdict.status).json({ error: verdict.status === 401 ? 'invalid_signature' : 'invalid_delivery', message: verdict.error });
      return;
    }
    const accepted = await inbox.accept(verdict.events);
    if (accepted.some((a) => !a.duplicate)) onStored();
    res.status(200).json({
      received: accepted.map((a) => ({ eventId: a.event.id, duplicate: a.duplicate, status: a.event.status })),
    });
  });
  return router;
}
