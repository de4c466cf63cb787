/**
 * Admin routes about the live mapping set (src/mapping/watch.ts):
 *   GET  /api/mappings          the active mappings and the result of the last reload
 *   POST /api/mappings/reload   reload now (the watcher does it on its own after a change)
 * Mounted behind the admin token.
 */
import express, { type Router } from 'express';
import type { ActiveMapping, MappingReloadResult } from '../mapping/watch.js';

/** What these routes need of the live set; LiveMappings provides it. */
export interface MappingSetView {
  readonly dir: string;
  readonly lastReload: MappingReloadResult;
  list(): ActiveMapping[];
  reload(trigger: 'manual'): Promise<MappingReloadResult>;
}

export function mappingsRouter(mappings: MappingSetView): Router {
  const router = express.Router();
  router.get('/mappings', (_req, res) => {
    const last = mappings.lastReload;
    res.json({ dir: mappings.dir, setHash: last.setHash, mappings: mappings.list(), lastReload: last });
  });
  router.post('/mappings/reload', async (_req, res) => {
    const result = await mappings.reload('manual');
    res.status(result.ok ? 200 : 422).json({ mappings: mappings.list(), lastReload: result });
  });
  return router;
}
