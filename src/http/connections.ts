/**
 * Admin routes about connections: what is connected, how its sweeps stand, backfills (start, follow)
 * and write-backs still queued. Mounted behind the admin token.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Connection, Connections } from '../pipeline/connections.js';
import { PollingError, sweepKey, type Backfills, type Sweeper, type SweepState } from '../pipeline/polling.js';
import type { WriteBacks } from '../pipeline/write-back.js';
import type { Store } from '../store/store.js';

export interface ConnectionAdmin {
  connections: Connections;
  store: Store;
  backfills: Backfills;
  sweeper: Sweeper;
  writeBacks?: WriteBacks;
  /** The source type's connection test, when it has one. */
  testSource?: (connection: Connection) => Promise<({ ok: boolean } & Record<string, unknown>) | undefined>;
}

const BackfillRequest = z.strictObject({
  since: z.string({ error: 'is required: the first day (YYYY-MM-DD) or instant (ISO 8601 with offset) to invoice from' }),
});

const STATUS_OF_POLLING_ERROR = { unknown_connection: 404, cannot_poll: 409, bad_since: 400, already_running: 409 } as const;

export function connectionsRouter(admin: ConnectionAdmin): Router {
  const router = express.Router();

  router.get('/connections', async (_req, res) => {
    const connections = await Promise.all(
      admin.connections.all().map(async (c) => ({
        id: c.id,
        source: c.source,
        target: c.targetAccount,
        targetType: c.target.name,
        trigger: c.settings.trigger,
        triggerDelayMinutes: c.settings.triggerDelayMinutes,
        sweep: (await admin.store.getState<SweepState>(sweepKey(c.id)))?.value ?? null,
        backfill: (await admin.backfills.get(c.id)) ?? null,
      })),
    );
    res.json({ connections });
  });

  router.post('/connections/:id/backfill', express.json({ limit: '16kb' }), async (req, res) => {
    const parsed = BackfillRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      res.status(400).json({ error: 'bad_request', message: `${issue.path.join('.') || 'body'}: ${issue.message}` });
      return;
    }
    try {
      res.status(202).json(await admin.backfills.start(req.params.id!, parsed.data.since));
    } catch (error) {
      if (!(error instanceof PollingError)) throw error;
      res.status(STATUS_OF_POLLING_ERROR[error.code]).json({ error: error.code, message: error.message });
    }
  });

  router.get('/connections/:id/backfill', async (req, res) => {
    const state = await admin.backfills.get(req.params.id!);
    if (!state) res.status(404).json({ error: 'not_found', message: `no backfill was started for "${req.params.id}"` });
    else res.json(state);
  });

  /** Runs a reconciliation sweep now instead of at its next turn. */
  router.post('/connections/:id/sweep', async (req, res) => {
    try {
      res.json(await admin.sweeper.sweep(req.params.id!));
    } catch (error) {
      if (error instanceof PollingError) {
        res.status(STATUS_OF_POLLING_ERROR[error.code]).json({ error: error.code, message: error.message });
        return;
      }
      res.status(502).json({ error: 'source_unreachable', message: error instanceof Error ? error.message : String(error) });
    }
  });

  /** Tries the connection's source credentials now (wrong database, user, key, missing fields…). */
  router.post('/connections/:id/test', async (req, res) => {
    const connection = admin.connections.get(req.params.id!);
    if (!connection) {
      res.status(404).json({ error: 'unknown_connection', message: `no connection "${req.params.id}"` });
      return;
    }
    const result = await admin.testSource?.(connection);
    if (!result) {
      res.status(409).json({ error: 'cannot_test', message: `${connection.sourceSystem} sources have no connection test` });
      return;
    }
    res.json(result);
  });

  router.get('/write-backs', async (_req, res) => {
    res.json({ writeBacks: admin.writeBacks ? await admin.writeBacks.list() : [] });
  });

  return router;
}
