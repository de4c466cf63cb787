/**
 * The real Puente server, started in-process through `startPuente` with a configuration built for the
 * benchmark: a fresh temporary data directory (lowdb, durable group commit), the shipped mappings,
 * a Shopify connection bound to an APIDIAN target on the embedded sandbox — and the pipeline engine
 * stopped right after start, so only the acknowledgement path (verify → inbox → durable write → 200)
 * is measured. See BENCHMARKS.md for why.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { Logger } from '../src/log.js';
import type { RunningPuente } from '../src/server.js';
import type { StoreData } from '../src/store/lowdb-store.js';
import type { EventRecord, NewEvent, RecordedEvent, Store } from '../src/store/store.js';
import { importBuilt } from './built.js';
import { median } from './stats.js';

// The code under test, from the build (see built.ts); the types come from the sources it was built from.
const { createSources } = await importBuilt<typeof import('../connectors/index.js')>('connectors/index.js');
const { parseConfig } = await importBuilt<typeof import('../src/config.js')>('src/config.js');
const { createHttpApp, createHttpListener } = await importBuilt<typeof import('../src/http/app.js')>('src/http/app.js');
const { createLogger } = await importBuilt<typeof import('../src/log.js')>('src/log.js');
const { Connections } = await importBuilt<typeof import('../src/pipeline/connections.js')>('src/pipeline/connections.js');
const { Inbox } = await importBuilt<typeof import('../src/pipeline/inbox.js')>('src/pipeline/inbox.js');
const { startPuente } = await importBuilt<typeof import('../src/server.js')>('src/server.js');
const { writeChunksDurably } = await importBuilt<typeof import('../src/store/durable-file.js')>('src/store/durable-file.js');
const { newId } = await importBuilt<typeof import('../src/store/ids.js')>('src/store/ids.js');
const { captureStoreSnapshot, DEFAULT_STORE_FILE_NAME } = await importBuilt<typeof import('../src/store/lowdb-store.js')>('src/store/lowdb-store.js');
const { snapshotChunks } = await importBuilt<typeof import('../src/store/snapshot.js')>('src/store/snapshot.js');

/** The shipped mappings; PUENTE_BENCH_MAPPINGS points elsewhere (a copy) while mapping files are being edited. */
const MAPPINGS_DIR = process.env.PUENTE_BENCH_MAPPINGS ?? path.resolve(import.meta.dirname, '../mappings');

export interface PuenteUnderTest {
  url: string;
  dataDir: string;
  running: RunningPuente;
  /** Closes Puente and reads back what the store holds on disk. */
  closeAndInspect(): Promise<StoreOnDisk>;
  /** Closes Puente and removes its data without looking at it. */
  discard(): Promise<void>;
}

export interface CompactionCost {
  /** The synchronous capture of references at commit C. */
  captureMs: number;
  /** Capture + sliced serialisation + durable write, wall time (the event loop serves meanwhile). */
  totalMs: number;
  /** The longest the event loop went without a turn during the compaction. */
  longestBlockMs: number;
  /** For comparison: one JSON.stringify of the whole store, which is what compaction used to block for. */
  wholeStringifyMs: number;
}

export interface StoreOnDisk {
  events: number;
  /** Events whose status is not `received`: must be 0 while the pipeline is stopped. */
  eventsTouchedByPipeline: number;
  fileBytes: number;
  /**
   * What one compaction costs at this size, measured after the run on the same data, the way the store
   * compacts: capture references (synchronous), then serialise in slices and write durably (temp file,
   * fsync, rename, directory fsync) while the event loop keeps turning. Commits themselves only append
   * their change to the log. Medians of 3.
   */
  compactionAtFinalSize: CompactionCost;
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

export interface PuenteVariant {
  /**
   * 'express': deliveries go to a second listener serving Puente's express app alone (same store, same
   * handler), as every delivery did before the front door; for comparisons only. Default: the server
   * startPuente listens with.
   */
  door?: 'front door' | 'express';
  /** Replaces the bench's logger (pino at info into a discarding stream). */
  logger?: Logger;
  /** Runs right after start, before any delivery: for prototypes of changes measured from bench/. */
  adjust?: (running: RunningPuente) => void;
}

export async function startPuenteUnderTest(secret: string, shop: string, variant: PuenteVariant = {}): Promise<PuenteUnderTest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'puente-bench-'));
  const loaded = parseConfig(configText(dir, secret, shop), path.join(dir, 'puente.config.yaml'), {});
  const running = await startPuente(loaded, { logger: variant.logger ?? discardingLogger() });
  // The ack path alone: stored events stay `received`; pokes from the webhook route are ignored.
  await running.engine.stop();
  variant.adjust?.(running);
  let expressOnly: Server | undefined;
  if (variant.door === 'express') {
    expressOnly = await new Promise<Server>((resolve, reject) => {
      const s = createServer(running.app).listen(0, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  }
  const close = async () => {
    if (expressOnly) {
      const s = expressOnly;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    await running.close();
  };
  return {
    url: expressOnly ? `http://127.0.0.1:${(expressOnly.address() as AddressInfo).port}/webhooks/shopify` : `${running.url}/webhooks/shopify`,
    dataDir: running.dataDir,
    running,
    async discard() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
    async closeAndInspect() {
      await close();
      const file = path.join(running.dataDir, DEFAULT_STORE_FILE_NAME);
      const fileBytes = statSync(file).size;
      const data = JSON.parse(readFileSync(file, 'utf8')) as StoreData;
      const events = Object.values(data.events);
      const compactionAtFinalSize = await measureCompaction(data, path.join(dir, 'compaction-probe.json'));
      rmSync(dir, { recursive: true, force: true });
      return {
        events: events.length,
        eventsTouchedByPipeline: events.filter((e) => e.status !== 'received').length,
        fileBytes,
        compactionAtFinalSize,
      };
    },
  };
}

async function measureCompaction(data: StoreData, probeFile: string): Promise<CompactionCost> {
  const capture: number[] = [];
  const total: number[] = [];
  const longestBlock: number[] = [];
  const wholeStringify: number[] = [];
  for (let i = 0; i < 3; i++) {
    // A chain of setImmediate: the largest gap between two of its turns is the longest block.
    let last = performance.now();
    let longest = 0;
    let running = true;
    const tick = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    const parts = captureStoreSnapshot(data, data.logCommit ?? 0);
    const t1 = performance.now();
    await writeChunksDurably(probeFile, snapshotChunks(parts), { backupPath: `${probeFile}.bak` });
    const t2 = performance.now();
    running = false;
    capture.push(t1 - t0);
    total.push(t2 - t0);
    longestBlock.push(longest);
    const s0 = performance.now();
    JSON.stringify(data);
    wholeStringify.push(performance.now() - s0);
  }
  return { captureMs: median(capture), totalMs: median(total), longestBlockMs: median(longestBlock), wholeStringifyMs: median(wholeStringify) };
}

/**
 * Diagnostic only — not a configuration Puente can run in: the bare minimum of an inbox store, which
 * keeps events in a Map and never serialises or writes them. Only what the webhook route reaches
 * (`recordEvent`) exists.
 */
class MemoryInboxStore {
  private readonly byDedupeKey = new Map<string, EventRecord>();

  async recordEvent(event: NewEvent, options: { payloadText?: string } = {}): Promise<RecordedEvent> {
    const existing = this.byDedupeKey.get(event.dedupeKey);
    if (existing) {
      existing.deliveries += 1;
      return { id: existing.id, status: existing.status, event: existing, duplicate: true };
    }
    // A payload given as text is kept as that text (not parsed: this store never reads payloads).
    const record: EventRecord = { ...event, payload: options.payloadText ?? event.payload, id: newId('evt'), status: event.status ?? 'received', documentIds: [], deliveries: 1, updatedAt: event.receivedAt };
    this.byDedupeKey.set(event.dedupeKey, record);
    return { id: record.id, status: record.status, event: record, duplicate: false };
  }

  get events(): number {
    return this.byDedupeKey.size;
  }

  clear(): void {
    this.byDedupeKey.clear();
  }
}

export interface HttpPathOnly {
  url: string;
  /** Distinct events recorded in memory. */
  events(): number;
  close(): Promise<void>;
}

/**
 * Puente's own HTTP layer (the front door and express, the Shopify receiver with its HMAC check and
 * body scan, the Inbox with its routing and log line) over the in-memory inbox store above, to
 * show what the acknowledgement path costs without the durable write. Connections come from a real
 * start. `door: 'express'` serves the express app alone (no front door), to compare the two.
 */
export async function startHttpPathOnly(secret: string, shop: string, door: 'front door' | 'express' = 'front door'): Promise<HttpPathOnly> {
  const puente = await startPuenteUnderTest(secret, shop);
  const connections = new Connections(puente.running.connections);
  const maxBodyBytes = 2 * 1024 * 1024;
  await puente.discard();

  const log = discardingLogger();
  const store = new MemoryInboxStore();
  const deps = {
    store: store as unknown as Store,
    inbox: new Inbox(store as unknown as Store, connections, log),
    sources: createSources({ shopify: { apiKey: '', apiSecretKey: secret, apiVersion: '2026-01' }, bindings: [], store: store as unknown as Store, logger: log }),
    adminToken: 'bench-admin-token',
    maxBodyBytes,
    log,
    onStored: () => undefined,
  };
  const listener = door === 'express' ? createHttpApp(deps) : createHttpListener(deps).listener;
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer(listener).listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/shopify`,
    events: () => store.events,
    // The events go with the server: the runs after this one must not carry its heap (≈ 150 MiB).
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => store.clear()),
  };
}
