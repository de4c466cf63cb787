/**
 * `puente status`: asks the running server how each connection is doing (GET /api/health/deep) and
 * prints it as a table.
 *
 *   puente status [--url URL] [--token TOKEN] [--json]
 *
 * Exit codes: 0 every connection is ok, 1 something is degraded, 3 the server cannot be reached or
 * refused the token, 2 the command line is wrong. Scripts and monitors can rely on them.
 */
import type { ConnectionHealth, Count, HealthReport } from '../pipeline/health.js';
import { CliUsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ServerUnreachableError, adminEndpoint, adminRequest, parseCommandLine, processIo, type AdminEndpoint, type CliIo } from './io.js';

export const EXIT_UNREACHABLE = 3;

export const STATUS_USAGE = `Usage:
  puente status [--url URL] [--token TOKEN] [--json]
    Shows, per connection, the queue depth, the oldest queued document, documents needing
    attention, the last issued document and the rate limiter's state.
    --url     the running server (default: the configured port on 127.0.0.1, or $PUENTE_URL)
    --token   the admin token (default: configured, generated into dataDir/admin-token, or $PUENTE_ADMIN_TOKEN)
    --json    print the server's report as JSON
  Exit codes: 0 ok, 1 degraded, 3 unreachable or refused, 2 usage.
`;

/** The server answered, but not with a report (refused token, older version, not JSON). */
class RefusedError extends Error {}

async function fetchReport(endpoint: AdminEndpoint): Promise<HealthReport> {
  const { url } = endpoint;
  const answer = await adminRequest(endpoint, 'GET', '/api/health/deep');
  if (answer.status === 401) throw new RefusedError(`Puente at ${url} refused the admin token (401): pass the right one with --token`);
  if (answer.status === 404) throw new RefusedError(`Puente at ${url} has no /api/health/deep (404): is it an older version?`);
  if (answer.status !== 200) throw new RefusedError(`Puente at ${url} answered ${answer.status} to /api/health/deep`);
  if (!Array.isArray(answer.body.connections)) throw new RefusedError(`Puente at ${url} answered /api/health/deep with something that is not a health report`);
  return answer.body as unknown as HealthReport;
}

const n = (c: Count) => `${c.count}${c.atLeast ? '+' : ''}`;

function age(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)}h`;
  return `${(ms / 86_400_000).toFixed(1)}d`;
}

function since(iso: string | undefined, now: number): string {
  return iso ? `${age(Math.max(0, now - Date.parse(iso)))} ago` : 'never';
}

function limiterText(c: ConnectionHealth, now: number): string {
  const parts: string[] = [];
  const until = [c.limiter.pausedUntil, c.limiter.clientPausedUntil].filter((v): v is string => !!v).sort().pop();
  if (until) parts.push(`paused ${age(Math.max(0, Date.parse(until) - now))}`);
  if (c.limiter.queued !== undefined) parts.push(`${c.limiter.queued} queued`);
  if (c.limiter.running !== undefined) parts.push(`${c.limiter.running} running`);
  return parts.length ? parts.join(', ') : '-';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function formatReport(report: HealthReport, url: string): string {
  const now = Date.parse(report.checkedAt);
  const rows = [
    ['CONNECTION', 'STATUS', 'TARGET', 'QUEUE', 'OLDEST', 'ATTENTION', 'WAITING EVENTS', 'LAST ISSUED', 'LIMITER'],
    ...report.connections.map((c) => [
      c.id,
      c.status,
      `${c.targetAccount} (${c.target})`,
      `${n(c.queueDepth)} (${n(c.documents.pending)} pending, ${n(c.documents.ready)} ready, ${n(c.documents.inFlight)} in flight)`,
      age(c.oldestQueuedAgeMs),
      n(c.documents.needsAttention),
      n(c.events.waiting),
      since(c.lastIssuedAt, now),
      limiterText(c, now),
    ]),
  ];
  const lines = [`Puente at ${url}: ${report.status.toUpperCase()} (checked ${report.checkedAt})`, ''];
  lines.push(report.connections.length ? table(rows) : 'no connections are configured');
  if (report.unroutableEvents.count > 0) lines.push('', `${n(report.unroutableEvents)} event(s) arrived from a source with no connection`);
  if (report.reasons.length) lines.push('', 'Why degraded:', ...report.reasons.map((r) => `  - ${r}`));
  return `${lines.join('\n')}\n`;
}

export async function runStatusCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(args, {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new CliUsageError(`status takes options only, not ${positionals.join(' ')}`);
    const endpoint = adminEndpoint(io, { url: values.url, token: values.token });
    const report = await fetchReport(endpoint);
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, endpoint.url));
    return report.status === 'ok' ? EXIT_OK : EXIT_FAILURE;
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr.write(`puente status: ${error.message}\n\n${STATUS_USAGE}`);
      return EXIT_USAGE;
    }
    io.stderr.write(`puente status: ${(error as Error)?.message ?? String(error)}\n`);
    return error instanceof RefusedError || error instanceof ServerUnreachableError ? EXIT_UNREACHABLE : EXIT_FAILURE;
  }
}
