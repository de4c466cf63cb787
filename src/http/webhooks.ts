/**
 * Webhook receivers. The body is read as raw bytes (signatures are over the exact bytes), verified by
 * the source connector, stored durably through the inbox, and only then answered 2xx.
 *
 * What a delivery gets answered is decided in ONE place, `webhookHandler`, which knows nothing of the
 * HTTP framework: it takes the path's names, the raw body and the headers, and returns a status and a
 * JSON body. Two doors lead to it — the lean node:http front door (ingest.ts), which takes the plain
 * `POST /webhooks/<name>[/<connection>]` deliveries before express sees them, and the express routes
 * below, which take whatever the front door leaves (encoded bodies, percent-encoded or odd-cased paths)
 * and are what an app built with `createHttpApp` alone serves.
 */
import type { IncomingHttpHeaders } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import type { DocumentOutcome, SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { Connections } from '../pipeline/connections.js';
import type { Inbox } from '../pipeline/inbox.js';

/** How verdicts a target pushes reach the pipeline. */
export interface TargetCallbacks {
  connections: Connections;
  apply(idempotencyKey: string, outcome: DocumentOutcome): Promise<boolean>;
}

/** One delivery to `/webhooks/<name>` or `/webhooks/<name>/<connection>`, path segments decoded. */
export interface WebhookDelivery {
  /** A source (`shopify`, `woocommerce`) or, with a connection, a target that calls back (`tuimprenta`). */
  name: string;
  connection?: string;
  /** The body exactly as received, decoded as UTF-8 ('' when there was none); see deliveryOf. */
  rawBody: string;
  /** The same body as the bytes received. */
  rawBytes: Buffer;
  headers: IncomingHttpHeaders;
}

/**
 * A delivery of these bytes. The text is decoded the first time someone reads it: a receiver that works
 * on the bytes (Shopify's) never pays for it.
 */
export function deliveryOf(path: Pick<WebhookDelivery, 'name' | 'connection'>, rawBytes: Buffer, headers: IncomingHttpHeaders): WebhookDelivery {
  let rawBody: string | undefined;
  return {
    ...path,
    get rawBody() {
      return (rawBody ??= rawBytes.toString('utf8'));
    },
    rawBytes,
    headers,
  };
}

/** What to answer: an HTTP status and a JSON body. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

export type WebhookHandler = (delivery: WebhookDelivery) => Promise<WebhookAnswer>;

export interface WebhookHandlerDeps {
  sources: Record<string, SourceConnector>;
  inbox: Inbox;
  log: Logger;
  /** Called once a delivery stored at least one new event (it pokes the pipeline). */
  onStored: () => void;
  callbacks?: TargetCallbacks | undefined;
}

/** The answer to a body over the limit, whichever door refused it. */
export function payloadTooLarge(maxBodyBytes: number): WebhookAnswer {
  return { status: 413, body: { error: 'payload_too_large', message: `the body is larger than the ${maxBodyBytes} bytes this endpoint accepts` } };
}

/** What a failure we did not foresee (the store could not write, a connector threw) looks like from outside. */
const INTERNAL: WebhookAnswer = { status: 500, body: { error: 'internal', message: 'internal error; see the server log' } };

const refused = (status: number, message: string): WebhookAnswer => ({
  status,
  body: { error: status === 401 ? 'invalid_signature' : 'invalid_delivery', message },
});

/** Own properties only: `/webhooks/constructor` must not find Object.prototype.constructor. */
function sourceNamed(sources: Record<string, SourceConnector>, name: string): SourceConnector | undefined {
  return Object.hasOwn(sources, name) ? sources[name] : undefined;
}

export function webhookHandler(deps: WebhookHandlerDeps): WebhookHandler {
  const { sources, inbox, log, onStored, callbacks } = deps;
  // Callback event ids already applied, per connection (bounded): a redelivery is answered without
  // touching the store. Applying is idempotent anyway, so forgetting ids (a restart) is harmless.
  const seenCallbacks = new Set<string>();
  const rememberCallback = (key: string) => {
    seenCallbacks.add(key);
    if (seenCallbacks.size > 10_000) seenCallbacks.delete(seenCallbacks.values().next().value!);
  };

  /** `/webhooks/<target>/<connection>`: an invoicing API telling us what became of documents. */
  async function targetCallback(target: string, connectionId: string, rawBody: string, headers: IncomingHttpHeaders): Promise<WebhookAnswer> {
    const connection = callbacks?.connections.get(connectionId);
    if (!connection || connection.target.name !== target || !connection.target.callback) {
      return { status: 404, body: { error: 'unknown_connection', message: `no ${target} connection "${connectionId}" takes callbacks` } };
    }
    const verdict = connection.target.callback({ rawBody, headers });
    if (!verdict.ok) {
      log.warn({ target: connection.target.name, connectionId: connection.id, status: verdict.status }, 'target callback refused');
      return refused(verdict.status, verdict.error);
    }
    const seenKey = `${connection.id}|${verdict.eventId}`;
    if (seenCallbacks.has(seenKey)) return { status: 200, body: { received: verdict.eventId, applied: 0, duplicate: true } };
    let applied = 0;
    for (const { idempotencyKey, outcome } of verdict.results) if (await callbacks!.apply(idempotencyKey, outcome)) applied++;
    rememberCallback(seenKey);
    log.info({ target: connection.target.name, connectionId: connection.id, eventId: verdict.eventId, applied }, 'target callback received');
    return { status: 200, body: { received: verdict.eventId, applied } };
  }

  /** `/webhooks/<source>[/<connection>]`: verify, store through the inbox, and only then say 200. */
  async function sourceDelivery(name: string, connector: SourceConnector, delivery: WebhookDelivery): Promise<WebhookAnswer> {
    const verdict = await connector.webhook!.receive({
      get rawBody() {
        return delivery.rawBody;
      },
      rawBytes: delivery.rawBytes,
      headers: delivery.headers,
      params: delivery.connection !== undefined ? { connection: delivery.connection } : {},
    });
    if (!verdict.ok) {
      log.warn({ source: name, status: verdict.status }, 'webhook refused');
      return refused(verdict.status, verdict.error);
    }
    const accepted = await inbox.accept(verdict.events);
    if (accepted.some((a) => !a.duplicate)) onStored();
    return { status: 200, body: { received: accepted.map((a) => ({ eventId: a.id, duplicate: a.duplicate, status: a.status })) } };
  }

  return async (delivery) => {
    try {
      const connector = sourceNamed(sources, delivery.name);
      if (connector?.webhook) return await sourceDelivery(delivery.name, connector, delivery);
      if (delivery.connection !== undefined) return await targetCallback(delivery.name, delivery.connection, delivery.rawBody, delivery.headers);
      return { status: 404, body: { error: 'unknown_source', message: `no webhook receiver for "${delivery.name}"` } };
    } catch (error) {
      // Not acknowledged, so the sender delivers again; what went wrong stays in our log, not in the answer.
      log.error({ webhook: delivery.name, err: error instanceof Error ? error.message : String(error) }, 'webhook failed');
      return INTERNAL;
    }
  };
}

/**
 * The express door to `webhookHandler` (mounted at /webhooks). The front door in ingest.ts takes the
 * plain deliveries first when the server is built with `createHttpListener`; these routes answer the
 * rest, and everything when an app is served on its own.
 */
export function webhookRoutes(handle: WebhookHandler, maxBodyBytes: number): Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: maxBodyBytes });
  const readRaw = (req: Request, res: Response, next: (error?: unknown) => void) => {
    raw(req, res, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type === 'entity.too.large') send(res, payloadTooLarge(maxBodyBytes));
      else next(error);
    });
  };
  const answer = async (req: Request, res: Response) => {
    const params = req.params as { source?: string; target?: string; connection?: string };
    const name = (params.source ?? params.target)!;
    const rawBytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    send(res, await handle(deliveryOf({ name, ...(params.connection !== undefined ? { connection: params.connection } : {}) }, rawBytes, req.headers)));
  };
  // Sources (/webhooks/shopify), sources whose secret is per connection (/webhooks/woocommerce/<connection
  // id>), and invoicing APIs that call back (/webhooks/<target>/<connection id>). A two-segment path
  // always matches the `:source` pattern first; `:target` is listed so the route inventory names both
  // kinds of receiver (test/http/authorization.test.ts walks it). The handler decides which a name is.
  router.post(['/:source', '/:source/:connection', '/:target/:connection'], readRaw, answer);
  return router;
}

function send(res: Response, answer: WebhookAnswer): void {
  res.status(answer.status).json(answer.body);
}

/** The express routes with a handler of their own (for apps that build their webhook door alone). */
export function webhookRouter(
  sources: Record<string, SourceConnector>,
  inbox: Inbox,
  log: Logger,
  maxBodyBytes: number,
  onStored: () => void,
  callbacks?: TargetCallbacks,
): Router {
  return webhookRoutes(webhookHandler({ sources, inbox, log, onStored, callbacks }), maxBodyBytes);
}
