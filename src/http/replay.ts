/**
 * Admin routes that send parked work back through the pipeline (src/pipeline/replay.ts):
 *   POST /api/documents/:id/replay   one document that needs attention
 *   POST /api/events/:id/replay      every parked document of an event; a waiting/ignored event is re-evaluated
 *   POST /api/replay                 every parked document matching { status: "needs_attention", kind?, connectionId?, limit? }
 * Mounted behind the admin token.
 */
import express, { type Response, type Router } from 'express';
import { z } from 'zod';
import { ReplayNotFoundError, ReplayRefusedError, type Replayer } from '../pipeline/replay.js';

/** `status` is required, so an empty POST never replays everything by accident. */
const BulkReplay = z.strictObject({
  status: z.literal('needs_attention'),
  kind: z.string().min(1).optional(),
  connectionId: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

function answerFailure(error: unknown, res: Response): void {
  if (error instanceof ReplayNotFoundError) {
    res.status(404).json({ error: 'not_found', message: error.message });
    return;
  }
  if (error instanceof ReplayRefusedError) {
    res.status(409).json({ error: 'conflict', message: error.message });
    return;
  }
  throw error;
}

export function replayRouter(replayer: Replayer): Router {
  const router = express.Router();
  router.post('/documents/:id/replay', async (req, res) => {
    try {
      res.json({ document: await replayer.replayDocument(req.params.id!) });
    } catch (error) {
      answerFailure(error, res);
    }
  });
  router.post('/events/:id/replay', async (req, res) => {
    try {
      res.json(await replayer.replayEvent(req.params.id!));
    } catch (error) {
      answerFailure(error, res);
    }
  });
  router.post('/replay', express.json({ limit: '16kb' }), async (req, res) => {
    const parsed = BulkReplay.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      res.status(400).json({
        error: 'bad_request',
        message: `${issue.path.join('.') || 'body'}: ${issue.message} — send { "status": "needs_attention", "kind"?: "mapping", "connectionId"?: "…", "limit"?: 100 }`,
      });
      return;
    }
    const { kind, connectionId, limit } = parsed.data;
    const documents = await replayer.replayParked({
      ...(kind ? { kind } : {}),
      ...(connectionId ? { connectionId } : {}),
      ...(limit ? { limit } : {}),
    });
    res.json({ documents });
  });
  return router;
}
