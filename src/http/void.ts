/**
 * Admin routes for documents that will never be issued (src/pipeline/void.ts, number-closures.ts):
 *   POST /api/documents/:id/void   { "reason": "…" } — a document that needs attention becomes skipped for good
 *   GET  /api/number-closures      voided numbers still being closed at the target, or whose closure failed
 *   POST /api/number-closures/:documentId/retry — a failed closure is queued again
 * Behind the admin token, like every /api route.
 */
import express, { type Router } from 'express';
import { ClosureNotFailedError, type NumberClosures } from '../pipeline/number-closures.js';
import { VoidInputError, VoidNotFoundError, VoidRefusedError, type Voider } from '../pipeline/void.js';
import { bearerAuth } from './admin.js';

export interface VoidAdmin {
  voider: Voider;
  closures: NumberClosures;
}

export function voidRouter(admin: VoidAdmin, adminToken: string): Router {
  const router = express.Router();
  router.use(bearerAuth(adminToken));

  router.post('/documents/:id/void', express.json({ limit: '16kb' }), async (req, res) => {
    const body: unknown = req.body;
    const reason = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { reason?: unknown }).reason : undefined;
    try {
      res.json({ document: await admin.voider.voidDocument(req.params.id!, reason) });
    } catch (error) {
      if (error instanceof VoidInputError) res.status(400).json({ error: 'bad_request', field: error.field, message: error.message });
      else if (error instanceof VoidNotFoundError) res.status(404).json({ error: 'not_found', message: error.message });
      else if (error instanceof VoidRefusedError) res.status(409).json({ error: 'conflict', message: error.message });
      else throw error;
    }
  });

  router.get('/number-closures', async (_req, res) => {
    res.json({ numberClosures: await admin.closures.list() });
  });

  router.post('/number-closures/:documentId/retry', async (req, res) => {
    const documentId = req.params.documentId!;
    try {
      const entry = await admin.closures.retry(documentId);
      if (entry) res.json({ numberClosure: entry });
      else res.status(404).json({ error: 'not_found', message: `no number closure for document ${documentId}: only a voided document's number is closed` });
    } catch (error) {
      if (error instanceof ClosureNotFailedError) res.status(409).json({ error: 'conflict', message: error.message });
      else throw error;
    }
  });

  return router;
}
