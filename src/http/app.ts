import express, { type Express } from 'express';
import type { SourceConnector } from '../connector.js';
import type { Logger } from '../log.js';
import type { Inbox } from '../pipeline/inbox.js';
import type { Store } from '../store/store.js';
import { adminRouter } from './admin.js';
import { jsonErrorHandler } from './errors.js';
import { webhookRouter } from './webhooks.js';

export interface HttpAppDeps {
  store: Store;
  inbox: Inbox;
  sources: Record<string, SourceConnector>;
  adminToken: string;
  maxBodyBytes: number;
  log: Logger;
  onStored: () => void;
}

export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/webhooks', webhookRouter(deps.sources, deps.inbox, deps.log, deps.maxBodyBytes, deps.onStored));
  app.use('/api', adminRouter(deps.store, deps.adminToken));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such route' });
  });
  app.use(jsonErrorHandler);
  return app;
}
