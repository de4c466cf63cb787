import type { RequestListener } from 'node:http';
import type { ConnectionAdmin } from './connections.js';
import express, { type Express, type Router } from 'express';
import type { SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { HealthReport } from '../pipeline/health.js';
import type { Inbox } from '../pipeline/inbox.js';
import type { Replayer } from '../pipeline/replay.js';
import type { Store } from '../store/store.js';
import { adminRouter } from './admin.js';
import type { MappingSetView } from './mappings.js';
import { jsonErrorHandler } from './errors.js';
import { webhookFrontDoor, withFrontDoor } from './ingest.js';
import { webhookHandler, webhookRoutes, type TargetCallbacks, type WebhookHandler } from './webhooks.js';
import { voidRouter, type VoidAdmin } from './void.js';

export interface HttpAppDeps {
  store: Store;
  inbox: Inbox;
  sources: Record<string, SourceConnector>;
  adminToken: string;
  maxBodyBytes: number;
  log: Logger;
  onStored: () => void;
  /** The live mapping set, for GET /api/mappings. */
  mappings?: MappingSetView;
  /** For the replay routes. */
  replayer?: Replayer;
  /** For POST /api/documents/:id/void and GET /api/number-closures. */
  voids?: VoidAdmin;
  /** For invoicing APIs that push verdicts (webhooks). */
  callbacks?: TargetCallbacks;
  /** For GET /api/health/deep. */
  health?: () => Promise<HealthReport>;
  /** Connections, sweeps, backfills and write-backs (/api/connections…). */
  connectionAdmin?: ConnectionAdmin;
  /** The Shopify app's install side: /auth, /auth/callback, /app (settings page), /api/privacy (src/http/pages). */
  shopifyApp?: Router;
}

/** What decides every webhook's answer, built once per server and shared by both doors to it. */
function webhooksOf(deps: HttpAppDeps): WebhookHandler {
  return webhookHandler({ sources: deps.sources, inbox: deps.inbox, log: deps.log, onStored: deps.onStored, callbacks: deps.callbacks });
}

/**
 * What the server listens with: webhook deliveries go through the lean front door (ingest.ts) when it
 * can take them, everything else (and what it leaves) through the express app. `app` is that app.
 */
export function createHttpListener(deps: HttpAppDeps): { app: Express; listener: RequestListener } {
  const webhooks = webhooksOf(deps);
  const app = createHttpApp(deps, webhooks);
  return { app, listener: withFrontDoor(webhookFrontDoor(webhooks, deps.maxBodyBytes), app) };
}

/** The express app alone; `webhooks` shares a handler with a front door (createHttpListener). */
export function createHttpApp(deps: HttpAppDeps, webhooks: WebhookHandler = webhooksOf(deps)): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/webhooks', webhookRoutes(webhooks, deps.maxBodyBytes));
  // Before /api: /api/privacy does its own admin auth there.
  if (deps.shopifyApp) app.use(deps.shopifyApp);
  app.use(
    '/api',
    adminRouter(deps.store, deps.adminToken, {
      ...(deps.mappings ? { mappings: deps.mappings } : {}),
      ...(deps.replayer ? { replayer: deps.replayer } : {}),
      ...(deps.health ? { health: deps.health } : {}),
      ...(deps.connectionAdmin ? { connections: deps.connectionAdmin } : {}),
    }),
  );
  // After the admin router: requests it does not answer come here, checked for the token again.
  if (deps.voids) app.use('/api', voidRouter(deps.voids, deps.adminToken));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such route' });
  });
  app.use(jsonErrorHandler);
  return app;
}
