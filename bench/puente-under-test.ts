/**
 * The real Puente server, started in-process through `startPuente` with a configuration built for the
 * benchmark: a fresh temporary data directory (lowdb, durable group commit), the shipped mappings,
 * a Shopify connection bound to an APIDIAN target on the embedded sandbox — and the pipeline engine
 * stopped right after start, so only the acknowledgement path (verify → inbox → durable write → 200)
 * is measured. See BENCHMARKS.md for why.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createSources } from '../connectors/index.js';
import { parseConfig } from '../src/config.js';
import { createHttpApp } from '../src/http/app.js';
import { createLogger } from '../src/log.js';
import { Connections } from '../src/pipeline/connections.js';
import { Inbox } from '../src/pipeline/inbox.js';
import { startPuente, type RunningPuente } from '../src/server.js';
import { writeFileDurably } from '../src/store/durable-file.js';
import { newId } from '../src/store/ids.js';
import { DEFAULT_STORE_FILE_NAME } from '../src/store/lowdb-store.js';
import type { EventRecord, NewEvent, Store } from '../src/store/store.js';
import { median } from './stats.js';

const MAPPINGS_DIR = path.resolve(import.meta.dirname, '../mappings');

export interface PuenteUnderTest {
  url: string;
  dataDir: string;
  running: RunningPuente;
  /** Closes Puente and reads back what the store holds on disk. */
  closeAndInspect(): Promise<StoreOnDisk>;
  /** Closes Puente and removes its data without looking at it. */
  discard(): Promise<void>;
}

export interface StoreOnDisk {
  events: number;
  /** Events whose status is not `received`: must be 0 while the pipeline is stopped. */
  eventsTouchedByPipeline: number;
  fileBytes: number;
  /**
   * What one group commit costs at this size, measured after the run on the same data: the store
   * serialises the whole database (JSON.stringify) and writes it durably (temp file, fsync, rename,
   * directory fsync) on every commit. Medians of 3.
   */
  commitAtFinalSize: { stringifyMs: number; durableWriteMs: number };
}

/** The benchmark's configuration, as YAML text, validated by the same parseConfig that `puente serve` uses. */
function configText(dataDir: string, secret: string, shop: string): string {
  return `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${JSON.stringify(path.join(dataDir, 'data'))}
adminToken: bench-admin-token
mappingsDir: ${JSON.stringify(MAPPINGS_DIR)}
log: { level: info }
shopify: { apiSecret: ${JSON.stringify(secret)}, apiVersion: "2026-01" }
targets:
  co:
    type: apidian
    baseUrl: embedded
    token: bench-apidian-token
    supplierNit: "900123456"
    softwarePin: "12345"
    environment: 2
    resolutions:
      invoice: { prefix: SETP, resolutionNumber: "18760000001", technicalKey: fc8eac422eba16e22ffd8c6f94b3f40a6e38162c, from: 990000000, to: 995000000 }
      credit_note: { prefix: NC, from: 1, to: 99999999 }
      debit_note: { prefix: ND, from: 1, to: 99999999 }
connections:
  - { id: bench-shop, source: { type: shopify, shop: ${shop} }, target: co, timezone: America/Bogota }
`;
}

/** Pino at `info`, as in production, so each stored event still costs its log line — written nowhere. */
function discardingLogger() {
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  return createLogger('info', sink);
}

export async function startPuenteUnderTest(secret: string, shop: string): Promise<PuenteUnderTest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'puente-bench-'));
  const loaded = parseConfig(configText(dir, secret, shop), path.join(dir, 'puente.config.yaml'), {});
  const running = await startPuente(loaded, { logger: discardingLogger() });
  // The ack path alone: stored events stay `received`; pokes from the webhook route are ignored.
  await running.engine.stop();
  return {
    url: `${running.url}/webhooks/shopify`,
    dataDir: running.dataDir,
    running,
    async discard() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
    async closeAndInspect() {
      await running.close();
      const file = path.join(running.dataDir, DEFAULT_STORE_FILE_NAME);
      const fileBytes = statSync(file).size;
      const data = JSON.parse(readFileSync(file, 'utf8')) as { events: Record<string, { status: string }> };
      const events = Object.values(data.events);
      const commitAtFinalSize = await measureCommit(data, path.join(dir, 'commit-probe.json'));
      rmSync(dir, { recursive: true, force: true });
      return {
        events: events.length,
        eventsTouchedByPipeline: events.filter((e) => e.status !== 'received').length,
        fileBytes,
        commitAtFinalSize,
      };
    },
  };
}

async function measureCommit(data: unknown, probeFile: string): Promise<StoreOnDisk['commitAtFinalSize']> {
  const stringify: number[] = [];
  const write: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const text = JSON.stringify(data);
    const t1 = performance.now();
    await writeFileDurably(probeFile, text, { backupPath: `${probeFile}.bak` });
    const t2 = performance.now();
    stringify.push(t1 - t0);
    write.push(t2 - t1);
  }
  return { stringifyMs: median(stringify), durableWriteMs: median(write) };
}

/**
 * Diagnostic only — not a configuration Puente can run in: the bare minimum of an inbox store, which
 * keeps events in a Map and never serialises or writes them. Only what the webhook route reaches
 * (`recordEvent`) exists.
 */
class MemoryInboxStore {
  private readonly byDedupeKey = new Map<string, EventRecord>();

  async recordEvent(event: NewEvent): Promise<{ event: EventRecord; duplicate: boolean }> {
    const existing = this.byDedupeKey.get(event.dedupeKey);
    if (existing) {
      existing.deliveries += 1;
      return { event: existing, duplicate: true };
    }
    const record: EventRecord = { ...event, id: newId('evt'), status: event.status ?? 'received', documentIds: [], deliveries: 1, updatedAt: event.receivedAt };
    this.byDedupeKey.set(event.dedupeKey, record);
    return { event: record, duplicate: false };
  }

  get events(): number {
    return this.byDedupeKey.size;
  }
}

export interface HttpPathOnly {
  url: string;
  /** Distinct events recorded in memory. */
  events(): number;
  close(): Promise<void>;
}

/**
 * Puente's own HTTP app (express, raw body, the Shopify receiver with its HMAC check and id-safe JSON
 * parse, the Inbox with its routing and log line) over the in-memory inbox store above, to show what
 * the acknowledgement path costs without the durable write. Connections come from a real start.
 */
export async function startHttpPathOnly(secret: string, shop: string): Promise<HttpPathOnly> {
  const puente = await startPuenteUnderTest(secret, shop);
  const connections = new Connections(puente.running.connections);
  const maxBodyBytes = 2 * 1024 * 1024;
  await puente.discard();

  const log = discardingLogger();
  const store = new MemoryInboxStore();
  const app = createHttpApp({
    store: store as unknown as Store,
    inbox: new Inbox(store as unknown as Store, connections, log),
    sources: createSources({ shopify: { apiKey: '', apiSecretKey: secret, apiVersion: '2026-01' } }),
    adminToken: 'bench-admin-token',
    maxBodyBytes,
    log,
    onStored: () => undefined,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/shopify`,
    events: () => store.events,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
