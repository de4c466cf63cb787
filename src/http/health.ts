/**
 * GET /api/health/deep: per-connection queue depth, oldest queued document, documents needing
 * attention, last success and limiter state (src/pipeline/health.ts). Mounted behind the admin token:
 * it names connections and accounts. GET /healthz stays the public liveness probe.
 */
import express, { type Router } from 'express';
import type { HealthReport } from '../pipeline/health.js';

export function healthRouter(report: () => Promise<HealthReport>): Router {
  const router = express.Router();
  router.get('/health/deep', async (_req, res) => {
    // Answered 200 either way: the body's `status` says ok or degraded (`puente status` exits non-zero).
    res.set('cache-control', 'no-store').json(await report());
  });
  return router;
}
