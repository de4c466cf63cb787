/**
 * `puente backfill`: invoice a connection's historical orders from a date, through the running
 * server. The server does the work and keeps its cursor after every page, so the run survives this
 * command being interrupted (run it again to follow it) and the server restarting (it resumes).
 * The trigger policy and what was already issued are respected: nothing is issued twice.
 *
 *   puente backfill shopify --shop acme.myshopify.com --since 2026-01-01
 *   puente backfill woocommerce --connection tienda --since 2026-01-01T00:00:00-05:00
 */
import type { BackfillState } from '../pipeline/polling.js';
import { CliUsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, adminEndpoint, adminRequest, parseCommandLine, processIo, type AdminEndpoint, type CliIo } from './io.js';

export const BACKFILL_USAGE = `Usage:
  puente backfill SOURCE (--shop DOMAIN | --connection ID) --since DATE [--no-wait] [--json]
    SOURCE: shopify | woocommerce | odoo
    DATE: YYYY-MM-DD (midnight in the connection's timezone) or an ISO 8601 instant with its offset
    options: --url URL --token TOKEN (default: the configured server and admin token)
The server runs the backfill and keeps its place; interrupting this command does not stop it, and
running the same command again follows it (or resumes it after a failure).
`;

interface ConnectionSummary {
  id: string;
  source: string;
}

const POLL_MS = 1_000;
const BAR_WIDTH = 30;

export function progressLine(state: BackfillState): string {
  const counts = `${state.scanned}${state.total !== undefined ? `/${state.total}` : ''} orders looked at · ${state.found} new events`;
  if (state.total === undefined || state.total === 0) return `${state.status === 'running' ? '…' : '✓'} ${counts}`;
  const share = Math.min(1, state.scanned / state.total);
  const filled = Math.round(share * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  ${counts}`;
}

async function findConnection(endpoint: AdminEndpoint, type: string, shop: string | undefined, id: string | undefined): Promise<string> {
  const answer = await adminRequest(endpoint, 'GET', '/api/connections');
  if (answer.status !== 200) throw new Error(`the server refused to list connections (${answer.status}): ${String(answer.body.message ?? '')}`);
  const all = (answer.body.connections ?? []) as ConnectionSummary[];
  const ofType = all.filter((c) => c.source.startsWith(`${type}:`));
  const match = id ? ofType.find((c) => c.id === id) : ofType.find((c) => c.source === `${type}:${shop}`);
  if (!match) {
    const known = ofType.map((c) => `${c.id} (${c.source})`).join(', ') || 'none';
    throw new CliUsageError(`no ${type} connection ${id ? `"${id}"` : `for ${shop}`}; ${type} connections: ${known}`);
  }
  return match.id;
}

export async function runBackfillCommand(args: string[], io: CliIo = processIo(), sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(args, {
      shop: { type: 'string' },
      connection: { type: 'string' },
      since: { type: 'string' },
      'no-wait': { type: 'boolean' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      token: { type: 'string' },
    });
    const [type, ...extra] = positionals;
    if (!type || extra.length > 0) throw new CliUsageError('say which kind of source to backfill: shopify, woocommerce or odoo');
    if (!values.since) throw new CliUsageError('--since is required: the first day to invoice, e.g. --since 2026-01-01');
    if (!values.shop === !values.connection) throw new CliUsageError('say which connection: --shop DOMAIN (Shopify) or --connection ID');
    const endpoint = adminEndpoint(io, values);
    const connectionId = await findConnection(endpoint, type, values.shop, values.connection);

    const started = await adminRequest(endpoint, 'POST', `/api/connections/${encodeURIComponent(connectionId)}/backfill`, { since: values.since });
    if (started.status !== 202) {
      io.stderr.write(`puente backfill: ${String(started.body.message ?? `the server answered ${started.status}`)}\n`);
      return EXIT_FAILURE;
    }
    let state = started.body as unknown as BackfillState;
    if (!values.json) io.stdout.write(`Backfilling ${connectionId} from ${state.from} (cursor kept by the server; Ctrl-C leaves it running)\n`);
    if (values['no-wait']) {
      if (values.json) io.stdout.write(`${JSON.stringify(state)}\n`);
      return EXIT_OK;
    }
    while (state.status === 'running') {
      if (!values.json) io.stdout.write(`\r${progressLine(state)}`);
      await sleep(POLL_MS);
      const answer = await adminRequest(endpoint, 'GET', `/api/connections/${encodeURIComponent(connectionId)}/backfill`);
      if (answer.status !== 200) throw new Error(`the server stopped answering for the backfill (${answer.status}); run the command again to follow it`);
      state = answer.body as unknown as BackfillState;
    }
    if (values.json) io.stdout.write(`${JSON.stringify(state)}\n`);
    else io.stdout.write(`\r${progressLine(state)}\n${state.status === 'done' ? 'Done.' : `Failed: ${state.lastError ?? 'unknown error'} — run the same command to resume.`}\n`);
    return state.status === 'done' ? EXIT_OK : EXIT_FAILURE;
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr.write(`puente backfill: ${error.message}\n\n${BACKFILL_USAGE}`);
      return EXIT_USAGE;
    }
    io.stderr.write(`puente backfill: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
