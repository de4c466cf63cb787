/**
 * The `puente` command.
 *   puente serve                         start Puente (the default)
 *   puente demo [--url URL]              send signed sample Shopify webhooks to a running Puente
 *   puente sandbox apidian --port N [--data FILE]   run an invoicing API sandbox on its own
 *   puente mappings validate|test|preview|diff …    tools for mapping files (src/cli/mappings.ts)
 *   puente replay --status needs_attention …        re-run parked documents (src/cli/replay.ts)
 *   puente void DOCUMENT_ID --reason "…"            set aside a parked document for good (src/cli/void.ts)
 *   puente status [--json]                          how each connection is doing (src/cli/status.ts)
 *   puente backfill shopify --shop S --since DATE   invoice historical orders (src/cli/backfill.ts)
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { StoreLockedError } from '../store/store.js';

const USAGE = `Usage:
  puente serve                                    start Puente with puente.config.yaml (or $PUENTE_CONFIG)
  puente demo [--url URL] [--token TOKEN]         send signed sample Shopify webhooks and print what was issued
  puente sandbox NAME [--port N] [--data FILE] [--requests-per-minute N]
                                                  run a sandbox on its own: an invoicing API's (apidian, …)
                                                  or a store's or ERP's simulator (woocommerce, odoo)
  puente mappings validate [DIR] | test [DIR] | preview MAPPING INPUT | diff --from X --to Y --corpus DIR
                                                  check, test, dry-run and compare mapping files (puente mappings help)
  puente replay --status needs_attention [--kind KIND] [--document ID | --event ID] [--url URL] [--token TOKEN]
                                                  send parked documents through the pipeline again after a fix
  puente void DOCUMENT_ID --reason "…" [--url URL] [--token TOKEN] [--json]
                                                  a parked document that will never be issued: skipped for good,
                                                  its number never reused and closed where the target allows it
  puente status [--url URL] [--token TOKEN] [--json]
  puente backfill SOURCE (--shop DOMAIN | --connection ID) --since DATE [--no-wait] [--json]
                                                  per connection: queue, oldest queued, attention, last issued, limiter
                                                  (exit 1 when degraded, 3 when the server cannot be reached)
`;

async function serve(): Promise<void> {
  const { startPuente } = await import('../server.js');
  const loaded = loadConfig();
  // PUENTE_SHUTDOWN_GRACE_MS: how long a send in progress may take to finish on SIGTERM (default 10 s).
  const grace = process.env.PUENTE_SHUTDOWN_GRACE_MS;
  const shutdownGraceMs = grace === undefined || grace === '' ? undefined : Number(grace);
  if (shutdownGraceMs !== undefined && !(Number.isFinite(shutdownGraceMs) && shutdownGraceMs >= 0)) {
    throw new UsageError(`PUENTE_SHUTDOWN_GRACE_MS must be a number of milliseconds ≥ 0, not "${grace}"`);
  }
  const puente = await startPuente(loaded, shutdownGraceMs === undefined ? {} : { shutdownGraceMs });
  const lines = [
    `Puente is running at ${puente.url}`,
    `  config        ${loaded.file}`,
    `  data          ${puente.dataDir} (lowdb)`,
    `  admin API     ${puente.url}/api/documents  (Authorization: Bearer <token>)`,
    `  mappings      ${puente.mappings.list().length} from ${puente.mappings.dir}, reloaded on change (GET ${puente.url}/api/mappings)`,
    `  admin token   ${puente.adminTokenGenerated ? `generated, in ${puente.dataDir}/admin-token` : 'from configuration'}`,
    `  health        puente status  (GET ${puente.url}/api/health/deep with the admin token; /healthz is public)`,
    ...Object.entries(puente.sandboxes).map(([name, url]) => `  sandbox       ${name} at ${url} (embedded)`),
    ...puente.connections.map((c) => `  connection    ${c.id}: ${c.source} → ${c.targetAccount} (${c.target.name}); webhooks at ${puente.url}/webhooks/${c.sourceSystem}`),
    `  try it        npm run demo`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  let stopping = false;
  // First signal: stop accepting, let the send in progress finish (up to the grace), flush, exit 0.
  // A second signal while that runs: exit now (1); what was in flight is reconciled at the next start.
  const stop = async (signal: string) => {
    if (stopping) {
      puente.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    puente.log.info({ signal }, 'shutting down');
    try {
      await puente.close();
    } catch (error) {
      puente.log.error({ err: (error as Error)?.message ?? String(error) }, 'shutdown failed');
      process.exit(1);
    }
    puente.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function sandbox(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '3001' },
      data: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'requests-per-minute': { type: 'string' },
    },
    allowPositionals: true,
  });
  const { sourceTypes, targetTypes } = await import('../../connectors/index.js');
  const name = positionals[0] ?? '';
  const sourceSandboxes = Object.entries(sourceTypes).flatMap(([key, type]) => (type.startSandbox ? [key] : []));
  const target = targetTypes[name];
  const startSource = sourceTypes[name]?.startSandbox;
  if (!target && !startSource) throw new UsageError(`unknown sandbox "${name}"; available: ${[...Object.keys(targetTypes), ...sourceSandboxes].join(', ')}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not "${values.port}"`);
  const requestsPerMinute = values['requests-per-minute'] === undefined ? undefined : Number(values['requests-per-minute']);
  if (requestsPerMinute !== undefined && (!Number.isInteger(requestsPerMinute) || requestsPerMinute < 1)) {
    throw new UsageError(`--requests-per-minute must be a whole number ≥ 1, not "${values['requests-per-minute']}"`);
  }
  if (!target && (values.data !== undefined || requestsPerMinute !== undefined)) {
    throw new UsageError(`--data and --requests-per-minute are for the invoicing APIs' sandboxes; the ${name} simulator keeps its state in memory`);
  }
  const running = target
    ? await target.startSandbox({
        port,
        host: values.host!,
        ...(requestsPerMinute ? { requestsPerMinute } : {}),
        ...(values.data ? { dataFile: values.data } : {}),
      })
    : await startSource!({ port, host: values.host! });
  process.stdout.write(
    `${name} sandbox listening at ${running.baseUrl}\n` +
      running.notes.map((line) => `  ${line}\n`).join('') +
      (target
        ? `  documents           GET ${running.origin}/_sandbox/documents\n` +
          `  faults              POST ${running.origin}/_sandbox/faults\n` +
          (values.data ? `  state               ${values.data}\n` : '  state               in memory (use --data FILE to keep it)\n')
        : ''),
  );
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

class UsageError extends Error {}

export async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve();
      case 'demo': {
        const { runDemo } = await import('./demo.js');
        process.exitCode = await runDemo(rest);
        return;
      }
      case 'sandbox':
        return await sandbox(rest);
      case 'mappings': {
        const { runMappingsCommand } = await import('./mappings.js');
        process.exitCode = await runMappingsCommand(rest);
        return;
      }
      case 'replay': {
        const { runReplayCommand } = await import('./replay.js');
        process.exitCode = await runReplayCommand(rest);
        return;
      }
      case 'void': {
        const { runVoidCommand } = await import('./void.js');
        process.exitCode = await runVoidCommand(rest);
        return;
      }
      case 'backfill': {
        const { runBackfillCommand } = await import('./backfill.js');
        process.exitCode = await runBackfillCommand(rest);
        return;
      }
      case 'status': {
        const { runStatusCommand } = await import('./status.js');
        process.exitCode = await runStatusCommand(rest);
        return;
      }
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`puente: ${error.message}\n\n${USAGE}`);
    } else if (error instanceof ConfigError || error instanceof StoreLockedError || (error as Error)?.name === 'MappingSetRejectedError') {
      // Expected refusals: their message says what to do; a stack would only hide it.
      process.stderr.write(`puente: ${(error as Error).message}\n`);
    } else {
      process.stderr.write(`puente: ${(error as Error)?.stack ?? String(error)}\n`);
    }
    process.exit(error instanceof UsageError ? 2 : 1);
  }
}
