/**
 * The admin API, behind the admin bearer token (compared in constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Replayer } from '../pipeline/replay.js';
import type { Store } from '../store/store.js';
import type { HealthReport } from '../pipeline/health.js';
import { healthRouter } from './health.js';
import { connectionsRouter, type ConnectionAdmin } from './connections.js';
import { mappingsRouter, type MappingSetView } from './mappings.js';
import { replayRouter } from './replay.js';

export function bearerAuth(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    // Hash both sides so the comparison takes the same time whatever the lengths.
    const ok = token.length > 0 && timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
    if (!ok) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', message: 'send the admin token as "Authorization: Bearer <token>"' });
      return;
    }
    next();
  };
}

const Limit = z.coerce.number().int().min(1).max(1000).default(100);
/** `include` adds the archive (finished records, see LowdbStore) to a list, `only` lists it alone. */
const Archived = z.enum(['include', 'only']).optional();
const EventFilter = z.strictObject({
  status: z.enum(['received', 'waiting', 'processed', 'ignored', 'unroutable', 'needs_attention']).optional(),
  source: z.string().optional(),
  orderId: z.string().optional(),
  archived: Archived,
  limit: Limit,
});
const DocumentFilter = z.strictObject({
  status: z.enum(['pending', 'ready', 'in_flight', 'issued', 'needs_attention', 'skipped']).optional(),
  connectionId: z.string().optional(),
  orderId: z.string().optional(),
  kind: z.enum(['invoice', 'credit_note', 'debit_note', 'export_invoice']).optional(),
  archived: Archived,
  limit: Limit,
});
const BatchFilter = z.strictObject({
  status: z.enum(['sending', 'awaiting_result', 'completed', 'failed']).optional(),
  connectionId: z.string().optional(),
  archived: Archived,
  limit: Limit,
});

function query<T extends z.ZodType>(schema: T, req: Request, res: Response): z.infer<T> | undefined {
  const parsed = schema.safeParse(req.query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  res.status(400).json({ error: 'bad_query', message: `${issue.path.join('.') || 'query'}: ${issue.message}` });
  return undefined;
}

/** Admin features that exist only when the server wires them (tests may leave them out). */
export interface AdminExtras {
  mappings?: MappingSetView;
  replayer?: Replayer;
  /** For GET /api/health/deep. */
  health?: () => Promise<HealthReport>;
  /** Connections, sweeps, backfills, write-backs. */
  connections?: ConnectionAdmin;
}

export function adminRouter(store: Store, adminToken: string, extras: AdminExtras = {}): Router {
  const router = express.Router();
  router.use(bearerAuth(adminToken));
  if (extras.mappings) router.use(mappingsRouter(extras.mappings));
  if (extras.replayer) router.use(replayRouter(extras.replayer));
  if (extras.health) router.use(healthRouter(extras.health));
  if (extras.connections) router.use(connectionsRouter(extras.connections));
  router.get('/events', async (req, res) => {
    const q = query(EventFilter, req, res);
    if (q) res.json({ events: await store.listEvents(q) });
  });
  router.get('/events/:id', async (req, res) => {
    const event = await store.getEvent(req.params.id!);
    if (!event) res.status(404).json({ error: 'not_found', message: `no event ${req.params.id}` });
    else res.json(event);
  });
  router.get('/documents', async (req, res) => {
    const q = query(DocumentFilter, req, res);
    if (q) res.json({ documents: await store.listDocuments(q) });
  });
  router.get('/documents/:id', async (req, res) => {
    const document = await store.getDocument(req.params.id!);
    if (!document) res.status(404).json({ error: 'not_found', message: `no document ${req.params.id}` });
    else res.json(document);
  });
  router.get('/batches', async (req, res) => {
    const q = query(BatchFilter, req, res);
    if (q) res.json({ batches: await store.listBatches(q) });
  });
  return router;
}
