import express, { type Express } from 'express';
import type { SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { Inbox } from '../pipeline/inbox.js';
import type { Replayer } from '../pipeline/replay.js';
import type { Store } from '../store/store.js';
import { adminRouter } from './admin.js';
import type { MappingSetView } from './mappings.js';
import { jsonErrorHandler } from './errors.js';
import { webhookRouter, type TargetCallbacks } from './webhooks.js';

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
  /** For invoicing APIs that push verdicts (webhooks). */
  callbacks?: TargetCallbacks;
}

export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/webhooks', webhookRouter(deps.sources, deps.inbox, deps.log, deps.maxBodyBytes, deps.onStored, deps.callbacks));
  app.use(
    '/api',
    adminRouter(deps.store, deps.adminToken, {
      ...(deps.mappings ? { mappings: deps.mappings } : {}),
      ...(deps.replayer ? { replayer: deps.replayer } : {}),
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such route' });
  });
  app.use(jsonErrorHandler);
  return app;
}
