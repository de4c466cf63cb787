/**
 * `puente replay`: after fixing what parked documents (a mapping, a lookup, a numbering range,
 * credentials), send them through the pipeline again, through the running server's admin API.
 *
 *   puente replay --status needs_attention [--kind KIND] [--connection ID] [--limit N]
 *   puente replay --document ID
 *   puente replay --event ID
 * with [--url URL] [--token TOKEN] [--json]. Exit codes: 0 done, 1 the server refused or is not
 * reachable, 2 the command line is wrong.
 */
import { ATTENTION_KINDS, type EventReplay, type ReplayedDocument } from '../pipeline/replay.js';
import { CliUsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, adminEndpoint, adminRequest, parseCommandLine, processIo, type CliIo } from './io.js';

export const REPLAY_USAGE = `Usage:
  puente replay --status needs_attention [--kind KIND] [--connection ID] [--limit N]
  puente replay --document ID
  puente replay --event ID
    options: --url URL (default: the configured server) --token TOKEN (default: the configured or
    generated admin token, or $PUENTE_ADMIN_TOKEN) --json
    KIND: ${ATTENTION_KINDS.join(' | ')}
A replay keeps each document's id, legal key and number: it never issues a second document.
`;


function describeDocument(document: ReplayedDocument): string {
  const why = document.attention ? `${document.attention.kind}${document.attention.path ? ` at ${document.attention.path}` : ''}: ${document.attention.reason}` : 'no reason recorded';
  return `  ${document.documentId}  ${document.kind}${document.number ? `  keeps number ${document.number}` : ''}\n      was parked for ${why}\n`;
}

export async function runReplayCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(args, {
      status: { type: 'string' },
      kind: { type: 'string' },
      connection: { type: 'string' },
      limit: { type: 'string' },
      document: { type: 'string' },
      event: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new CliUsageError(`replay takes options only, not ${positionals.join(' ')}`);
    const targets = [values.status !== undefined, values.document !== undefined, values.event !== undefined].filter(Boolean).length;
    if (targets !== 1) throw new CliUsageError('say what to replay: --status needs_attention, --document ID or --event ID (one of them)');
    if (values.status !== undefined && values.status !== 'needs_attention') {
      throw new CliUsageError(`--status ${values.status}: only documents that need attention can be replayed (--status needs_attention)`);
    }
    if (values.kind !== undefined && !(ATTENTION_KINDS as readonly string[]).includes(values.kind)) {
      throw new CliUsageError(`--kind ${values.kind} is not a reason documents are parked for; use ${ATTENTION_KINDS.join(', ')}`);
    }
    if ((values.kind || values.connection || values.limit) && values.status === undefined) {
      throw new CliUsageError('--kind, --connection and --limit go with --status needs_attention');
    }
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw new CliUsageError(`--limit must be a whole number from 1 to 1000, not "${values.limit}"`);
    const endpoint = adminEndpoint(io, { url: values.url, token: values.token });
    const { url } = endpoint;

    const answer = values.document
      ? await adminRequest(endpoint, 'POST', `/api/documents/${encodeURIComponent(values.document)}/replay`)
      : values.event
        ? await adminRequest(endpoint, 'POST', `/api/events/${encodeURIComponent(values.event)}/replay`)
        : await adminRequest(endpoint, 'POST', '/api/replay', {
            status: 'needs_attention',
            ...(values.kind ? { kind: values.kind } : {}),
            ...(values.connection ? { connectionId: values.connection } : {}),
            ...(limit ? { limit } : {}),
          });

    if (answer.status !== 200) {
      if (values.json) io.stdout.write(`${JSON.stringify({ ok: false, status: answer.status, ...answer.body }, null, 2)}\n`);
      else io.stderr.write(`puente replay: the server answered ${answer.status}: ${String(answer.body.message ?? answer.body.error ?? 'no reason given')}\n`);
      return EXIT_FAILURE;
    }
    const documents: ReplayedDocument[] = values.document
      ? [answer.body.document as ReplayedDocument]
      : values.event
        ? (answer.body as unknown as EventReplay).documents
        : (answer.body.documents as ReplayedDocument[]);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ok: true, ...answer.body }, null, 2)}\n`);
      return EXIT_OK;
    }
    if (values.event) {
      const { event } = answer.body as unknown as EventReplay;
      io.stdout.write(
        event.before === event.after
          ? `event ${values.event} stays ${event.after}\n`
          : `event ${values.event} was ${event.before}: the ledger looks at it again\n`,
      );
    }
    if (documents.length === 0) {
      io.stdout.write(values.event ? 'no document of it needed attention\n' : 'nothing to replay: no document matches\n');
      return EXIT_OK;
    }
    io.stdout.write(`replayed ${documents.length} document${documents.length === 1 ? '' : 's'}; the pipeline prepares ${documents.length === 1 ? 'it' : 'them'} again now:\n`);
    for (const document of documents) io.stdout.write(describeDocument(document));
    io.stdout.write(`follow them with GET ${url}/api/documents?status=needs_attention (anything that still fails is parked again)\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr.write(`puente replay: ${error.message}\n\n${REPLAY_USAGE}`);
      return EXIT_USAGE;
    }
    io.stderr.write(`puente replay: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}
