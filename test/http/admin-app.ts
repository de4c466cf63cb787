/**
 * Puente's express app over a test pipeline (test/pipeline/harness.ts), on loopback: the admin API
 * with the given token, and whatever extra parts a test needs (replay, mappings, voids, health).
 */
import { createHttpApp, type HttpAppDeps } from '../../src/http/app.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { silentLog, type Pipeline } from '../pipeline/harness.js';

export function serveAdminApp(p: Pipeline, adminToken: string, parts: Partial<HttpAppDeps> = {}): Promise<Loopback> {
  return listenOnLoopback(
    createHttpApp({
      store: p.store,
      inbox: p.inbox,
      sources: {},
      adminToken,
      maxBodyBytes: 16 * 1024,
      log: silentLog,
      onStored: () => undefined,
      ...parts,
    }),
  );
}
