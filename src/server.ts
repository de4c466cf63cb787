/**
 * The composition root: builds the store, connectors, mappings and pipeline from configuration,
 * starts any embedded sandbox, and serves HTTP. `puente serve` and the end-to-end tests start Puente
 * through here.
 */
import { Backfills, Sweeper } from './pipeline/polling.js';
import { WriteBacks } from './pipeline/write-back.js';
import { NumberClosures } from './pipeline/number-closures.js';
import { Voider } from './pipeline/void.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import path from 'node:path';
import { createSourceSet, sourceTypes, targetTypes, type RunningSandbox } from '../connectors/index.js';
import { ensureAllSubscriptions } from '../connectors/shopify/admin/index.js';
import type { TargetConnector } from './connector.js';
import { ConfigError, type LoadedConfig } from './config.js';
import { createHttpListener } from './http/app.js';
import { createShopifyApp } from './http/pages/index.js';
import { createLogger, type Logger } from './log.js';
import { LiveMappings } from './mapping/watch.js';
import { Connections, type Connection } from './pipeline/connections.js';
import { Dispatcher } from './pipeline/dispatcher.js';
import { healthReport } from './pipeline/health.js';
import { PipelineEngine } from './pipeline/engine.js';
import { EventProcessor } from './pipeline/event-processor.js';
import { Inbox } from './pipeline/inbox.js';
import { outputValidator } from './pipeline/output-contract.js';
import { Preparer } from './pipeline/preparer.js';
import { Replayer } from './pipeline/replay.js';
import { LowdbStore } from './store/lowdb-store.js';
import type { Store } from './store/store.js';
import { isValidTimeZone } from './time.js';

export interface RunningPuente {
  url: string;
  port: number;
  adminToken: string;
  adminTokenGenerated: boolean;
  dataDir: string;
  sandboxes: Record<string, string>;
  connections: Connection[];
  engine: PipelineEngine;
  /** The live mapping set; reloads itself when files under mappingsDir change. */
  mappings: LiveMappings;
  store: Store;
  log: Logger;
  /** The express app being served (tests walk its routes). */
  app: Express;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /**
   * On close, how long the pipeline pass in progress may take to finish its sends (default 10 s).
   * Past it, what it was sending stays in flight and the next start reconciles it before any resend.
   */
  shutdownGraceMs?: number;
}

/** The admin token: configured, or generated once into the data directory (file mode 0600). */
function adminTokenFor(configured: string, dataDir: string): { token: string; generated: boolean } {
  if (configured) return { token: configured, generated: false };
  const file = path.join(dataDir, 'admin-token');
  try {
    return { token: readFileSync(file, 'utf8').trim(), generated: true };
  } catch {
    const token = randomBytes(24).toString('base64url');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return { token, generated: true };
  }
}

export async function startPuente(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningPuente> {
  const { config, baseDir } = loaded;
  const log = options.logger ?? createLogger(config.log.level);
  const resolve = (p: string) => path.resolve(baseDir, p);
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });

  const problems: string[] = [];
  config.connections.forEach((c, i) => {
    if (!isValidTimeZone(c.timezone)) problems.push(`connections[${i}].timezone: "${c.timezone}" is not an IANA timezone such as America/Bogota`);
  });
  if (problems.length) throw new ConfigError(loaded.file, problems);

  const store = new LowdbStore({
    dataDir,
    archiveAfterMs: config.store.archiveAfterHours * 3_600_000,
    dedupeWindowMs: config.store.dedupeWindowHours * 3_600_000,
    archiveEveryMs: config.store.archiveEverySeconds * 1000,
    onWarning: (message) => log.warn({ dataDir }, message),
  });
  await store.open();
  const closers: (() => Promise<void>)[] = [() => store.close()];
  // Once only, newest first: a second close (a second signal, a test's afterAll) joins the first.
  let closing: Promise<void> | undefined;
  const closeAll = () =>
    (closing ??= (async () => {
      for (const close of [...closers].reverse()) {
        await close().catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'shutdown step failed'));
      }
    })());
  const shutdownGraceMs = options.shutdownGraceMs ?? 10_000;

  try {
    // Targets, starting the embedded sandbox of any account whose baseUrl says `embedded`.
    const sandboxes: Record<string, string> = {};
    const runningSandboxes: Record<string, RunningSandbox> = {};
    const targets: Record<string, TargetConnector> = {};
    for (const [name, block] of Object.entries(config.targets)) {
      const type = targetTypes[block.type];
      if (!type) {
        throw new ConfigError(loaded.file, [`targets.${name}.type: unknown target type "${block.type}"; known: ${Object.keys(targetTypes).join(', ')}`]);
      }
      const resolved: Record<string, unknown> = { ...block };
      if (block.baseUrl === 'embedded') {
        let sandbox = runningSandboxes[block.type];
        if (!sandbox) {
          const settings = config.sandboxes[block.type] ?? { port: 0 };
          sandbox = await type.startSandbox({
            port: settings.port,
            ...(settings.dataFile ? { dataFile: resolve(settings.dataFile) } : {}),
          });
          runningSandboxes[block.type] = sandbox;
          closers.push(() => sandbox!.close());
          sandboxes[block.type] = sandbox.baseUrl;
        }
        resolved.baseUrl = sandbox.baseUrl;
      }
      try {
        targets[name] = type.create(resolved, { logger: log.child({ target: name }) });
      } catch (error) {
        throw new ConfigError(loaded.file, [`targets.${name}: ${(error as Error).message}`]);
      }
      // Targets that hold limiters and timers release them (queued calls are dropped) after the engine stopped.
      const closable = targets[name] as TargetConnector & { close?: () => Promise<void> };
      if (typeof closable.close === 'function') closers.push(() => closable.close!());
    }

    const connections = new Connections(
      config.connections.map((settings, i) => {
        const { source, settings: sourceSettings } = loaded.sources[i]!;
        return {
          id: settings.id,
          source,
          sourceSystem: settings.source.type,
          sourceSettings,
          targetAccount: settings.target,
          target: targets[settings.target]!,
          settings,
        };
      }),
    );
    // Golden tests check outputs against the contracts the pipeline enforces, with the wire schemas
    // of the configured targets.
    const wireSchemaFor = (system: string, kind: Parameters<TargetConnector['wireSchema']>[0]) =>
      Object.values(targets).find((target) => target.name === system && target.kinds.includes(kind))?.wireSchema(kind);
    const mappings = await LiveMappings.open({
      dir: resolve(config.mappingsDir),
      log: log.child({ component: 'mappings' }),
      validatorFor: (mapping) => outputValidator(mapping, wireSchemaFor),
    });
    closers.push(() => mappings.close());
    // The Shopify app's install side: OAuth, sealed sessions, the settings page, and what app/uninstalled
    // and the compliance webhooks do (its lifecycle goes to the Shopify webhook receiver).
    const shopifyApp = createShopifyApp({
      store,
      connections,
      targetTypes,
      shopify: config.shopify,
      adminToken: adminTokenFor(config.adminToken, dataDir).token,
      dataDir,
      log,
      onRouted: () => engine.poke(),
      // After an install: subscribe the shop's webhooks (the Admin API client is made just below).
      onInstalled: async (shop) => {
        await ensureShopSubscriptions([shop]);
      },
    });
    const { sources, shopifyAdmin } = createSourceSet({
      shopify: {
        apiKey: config.shopify.apiKey,
        apiSecretKey: config.shopify.apiSecret,
        apiVersion: config.shopify.apiVersion,
        lifecycle: shopifyApp.lifecycle,
        installedToken: async (shop) => (await shopifyApp.sessions.offlineSession(shop))?.accessToken,
        publicUrl: config.shopify.appUrl,
        ...(config.shopify.adminOrigin ? { adminOrigin: config.shopify.adminOrigin } : {}),
      },
      // Read on every call: connections saved from the settings page join at run time.
      get bindings() {
        return connections.all().map((c) => ({ connectionId: c.id, source: c.source, settings: c.sourceSettings }));
      },
      store,
      logger: log,
    });
    // Webhook subscriptions point at appUrl: without one (the embedded demo) there is nothing to register.
    const ensureShopSubscriptions = async (shops: string[]) => {
      if (!config.shopify.appUrl) return;
      for (const { shop, report, error } of await ensureAllSubscriptions(shopifyAdmin, shops)) {
        if (error) log.warn({ shop, reason: error }, 'webhook subscriptions could not be checked; retried tomorrow or at the next start');
        else log.info({ shop, created: report?.created, deleted: report?.deleted.length }, 'webhook subscriptions checked');
      }
    };
    const shopifyShops = () => connections.all().filter((c) => c.sourceSystem === 'shopify').map((c) => c.source.slice('shopify:'.length));

    const inbox = new Inbox(store, connections, log);
    const writeBacks = new WriteBacks(store, connections, sources, log.child({ component: 'write-back' }));
    // Voided documents' numbers, closed at the target apart from issuing (SIFEN inutilización).
    const numberClosures = new NumberClosures(store, connections, log.child({ component: 'number-closures' }));
    const dispatcher = new Dispatcher(store, connections, log, {
      statusPollMs: config.pipeline.statusPollMs,
      onIssued: (document) => writeBacks.enqueue(document),
    });
    const engine = new PipelineEngine(
      store,
      connections,
      new EventProcessor(store, connections, log, sources),
      new Preparer(store, connections, () => mappings.current, log, undefined, (system, order, connection) =>
        sourceTypes[system]?.buyerTaxId?.(order, connection.settings.country, connection.settings.taxId),
      ),
      dispatcher,
      log,
      { tickMs: config.pipeline.tickMs },
    );

    // Sweeps and backfills read sources and feed what they find through the inbox, like webhooks.
    const pollDeps = { store, connections, sources, inbox, log: log.child({ component: 'polling' }), onStored: () => engine.poke() };
    const sweeper = new Sweeper(pollDeps, (connection) => connection.settings.sweepMinutes ?? sourceTypes[connection.sourceSystem]?.defaultSweepMinutes ?? 0);
    const backfills = new Backfills(pollDeps);

    const { token: adminToken, generated } = adminTokenFor(config.adminToken, dataDir);
    const { app, listener } = createHttpListener({
      store,
      inbox,
      sources,
      adminToken,
      maxBodyBytes: config.server.maxBodyBytes,
      log,
      onStored: () => engine.poke(),
      mappings,
      replayer: new Replayer(store, log, () => engine.poke()),
      voids: { voider: new Voider(store, numberClosures, log, () => engine.poke()), closures: numberClosures },
      health: () => healthReport(store, connections, dispatcher),
      connectionAdmin: {
        connections,
        store,
        backfills,
        sweeper,
        writeBacks,
        testSource: async (connection) => sourceTypes[connection.sourceSystem]?.testConnection?.(connection.sourceSettings),
      },
      shopifyApp: shopifyApp.router,
      callbacks: {
        connections,
        apply: async (key, outcome) => {
          const applied = await dispatcher.applyCallback(key, outcome);
          if (applied) engine.poke();
          return applied;
        },
      },
    });
    const server: Server = await new Promise((resolveListen, reject) => {
      // Webhook deliveries take the lean front door (src/http/ingest.ts); the rest goes to express.
      const s = createServer(listener).listen(config.server.port, config.server.host, () => resolveListen(s));
      s.once('error', reject);
    });
    // Stops accepting connections, lets requests being answered (a webhook being stored) finish for a
    // moment, then cuts what is left. Runs first on close: nothing new arrives while the rest stops.
    let httpClosed: Promise<void> | undefined;
    const closeHttp = () =>
      (httpClosed ??= new Promise<void>((done) => {
        // Not unref'd: it is what lets close() go on to flush the store when a client holds a socket.
        const force = setTimeout(() => server.closeAllConnections(), Math.min(5_000, shutdownGraceMs));
        server.close(() => {
          clearTimeout(force);
          done();
        });
        server.closeIdleConnections();
      }));
    closers.push(closeHttp);
    // Shops configured on the settings page are live connections again before the pipeline runs.
    await shopifyApp.restore();
    closers.push(() => shopifyApp.close());
    await engine.start();
    closers.push(async () => {
      if (!(await engine.stop(shutdownGraceMs))) {
        log.warn({ graceMs: shutdownGraceMs }, 'shutdown: a send outlived the grace period; its documents stay in flight and are reconciled at the next start');
      }
    });
    sweeper.start();
    // Shopify deletes subscriptions after repeated failed deliveries: check them at start and daily.
    void ensureShopSubscriptions(shopifyShops());
    const subscriptionCheck = setInterval(() => void ensureShopSubscriptions(shopifyShops()), 24 * 60 * 60_000).unref();
    closers.push(async () => clearInterval(subscriptionCheck));
    await backfills.resumeInterrupted();
    writeBacks.start();
    closers.push(() => Promise.all([sweeper.stop(), backfills.stop(), writeBacks.stop()]).then(() => undefined));
    await numberClosures.recover();
    numberClosures.start();
    closers.push(() => numberClosures.stop());
    await mappings.watch();

    const port = (server.address() as AddressInfo).port;
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
    return {
      url: `http://${host}:${port}`,
      port,
      adminToken,
      adminTokenGenerated: generated,
      dataDir,
      sandboxes,
      connections: connections.all(),
      engine,
      mappings,
      store,
      log,
      app,
      close: async () => {
        await closeHttp();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
