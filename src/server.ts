/**
 * The composition root: builds the store, connectors, mappings and pipeline from configuration,
 * starts any embedded sandbox, and serves HTTP. `puente serve` and the end-to-end tests start Puente
 * through here.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { createSources, sourceTypes, targetTypes, type RunningSandbox } from '../connectors/index.js';
import type { TargetConnector } from './connector.js';
import { ConfigError, zodProblems, type LoadedConfig } from './config.js';
import { createHttpApp } from './http/app.js';
import { createLogger, type Logger } from './log.js';
import { LiveMappings } from './mapping/watch.js';
import { Connections, type Connection } from './pipeline/connections.js';
import { Dispatcher } from './pipeline/dispatcher.js';
import { PipelineEngine } from './pipeline/engine.js';
import { EventProcessor } from './pipeline/event-processor.js';
import { Inbox } from './pipeline/inbox.js';
import { outputValidator } from './pipeline/output-contract.js';
import { Preparer } from './pipeline/preparer.js';
import { Replayer } from './pipeline/replay.js';
import { LowdbStore } from './store/lowdb-store.js';
import type { Store } from './store/store.js';
import { isValidTimeZone } from './time.js';
import { ZodError } from 'zod';

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
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
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

/** A connection's source block, validated by its source type; errors name `connections[i].source.…`. */
function parseSourceBlock(file: string, index: number, block: { type: string } & Record<string, unknown>) {
  const key = `connections[${index}].source`;
  const type = sourceTypes[block.type];
  if (!type) throw new ConfigError(file, [`${key}.type: unknown source type "${block.type}"; known: ${Object.keys(sourceTypes).join(', ')}`]);
  try {
    return type.parse(block);
  } catch (error) {
    if (error instanceof ZodError) throw new ConfigError(file, zodProblems(error, key));
    throw new ConfigError(file, [`${key}: ${(error as Error).message}`]);
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

  const store = new LowdbStore({ dataDir, onWarning: (message) => log.warn({ dataDir }, message) });
  await store.open();
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };

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
    }

    const connections = new Connections(
      config.connections.map((settings, i) => {
        const { source, settings: sourceSettings } = parseSourceBlock(loaded.file, i, settings.source);
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
    const sources = createSources({
      shopify: { apiKey: config.shopify.apiKey, apiSecretKey: config.shopify.apiSecret, apiVersion: config.shopify.apiVersion },
      bindings: connections.all().map((c) => ({ connectionId: c.id, source: c.source, settings: c.sourceSettings })),
      store,
      logger: log,
    });

    const inbox = new Inbox(store, connections, log);
    const dispatcher = new Dispatcher(store, connections, log, { statusPollMs: config.pipeline.statusPollMs });
    const engine = new PipelineEngine(
      store,
      connections,
      new EventProcessor(store, connections, log),
      new Preparer(store, connections, () => mappings.current, log),
      dispatcher,
      log,
      { tickMs: config.pipeline.tickMs },
    );

    const { token: adminToken, generated } = adminTokenFor(config.adminToken, dataDir);
    const app = createHttpApp({
      store,
      inbox,
      sources,
      adminToken,
      maxBodyBytes: config.server.maxBodyBytes,
      log,
      onStored: () => engine.poke(),
      mappings,
      replayer: new Replayer(store, log, () => engine.poke()),
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
      const s = app.listen(config.server.port, config.server.host, () => resolveListen(s));
      s.once('error', reject);
    });
    closers.push(
      () =>
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
    );
    await engine.start();
    closers.push(() => engine.stop());
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
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
