/**
 * Webhook receivers. The body is read as raw bytes (signatures are over the exact bytes), verified by
 * the source connector, stored durably through the inbox, and only then answered 2xx.
 */
import express, { type Router } from 'express';
import type { SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { Inbox } from '../pipeline/inbox.js';

export function webhookRouter(
  sources: Record<string, SourceConnector>,
  inbox: Inbox,
  log: Logger,
  maxBodyBytes: number,
  onStored: () => void,
): Router {
  const router = express.Router();
  router.post('/:source', express.raw({ type: () => true, limit: maxBodyBytes }), async (req, res) => {
    const connector = sources[req.params.source!];
    if (!connector?.webhook) {
      res.status(404).json({ error: 'unknown_source', message: `no webhook receiver for "${req.params.source}"` });
      return;
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const verdict = await connector.webhook.receive({ rawBody, headers: req.headers });
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
