/**
 * `puente void`: set aside for good a parked document that will never be issued (the order was
 * invoiced by hand elsewhere, a test order slipped through), through the running server's admin API.
 * Its number is never reused, and is closed at the target where the authority allows it.
 *
 *   puente void DOCUMENT_ID --reason "…" [--url URL] [--token TOKEN] [--json]
 * Exit codes: 0 voided, 1 the server refused or is not reachable, 2 the command line is wrong.
 */
import type { VoidedDocument } from '../pipeline/void.js';
import { VOID_REASON_MAX, VOID_REASON_MIN } from '../pipeline/void.js';
import { CliUsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, adminEndpoint, adminRequest, parseCommandLine, processIo, type CliIo } from './io.js';

export const VOID_USAGE = `Usage:
  puente void DOCUMENT_ID --reason "why it will never be issued"
    options: --url URL (default: the configured server) --token TOKEN (default: the configured or
    generated admin token, or $PUENTE_ADMIN_TOKEN) --json
Only a document that needs attention can be voided. The reason (${VOID_REASON_MIN}–${VOID_REASON_MAX} characters) is kept with it
and, on SIFEN, sent with the inutilización of its number. A voided document is never sent or replayed.
`;

const CLOSURE_WORDS: Record<string, string> = {
  pending: 'is being closed at the invoicing API (follow GET /api/number-closures)',
  closed: 'is closed at the invoicing API',
  failed: 'could not be closed',
  not_supported: 'stays unused: the invoicing API has no way to close it',
  not_needed: 'needs no closing',
};

export async function runVoidCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(args, {
      reason: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new CliUsageError(positionals.length === 0 ? 'say which document to void: puente void DOCUMENT_ID --reason "…"' : `void takes one document id, not ${positionals.join(' ')}`);
    if (values.reason === undefined) throw new CliUsageError('--reason is required: say why the document will never be issued');
    const reason = values.reason.trim();
    if (reason.length < VOID_REASON_MIN || reason.length > VOID_REASON_MAX) {
      throw new CliUsageError(`--reason must be ${VOID_REASON_MIN} to ${VOID_REASON_MAX} characters (it has ${reason.length})`);
    }
    const id = positionals[0]!;
    const endpoint = adminEndpoint(io, { url: values.url, token: values.token });
    const answer = await adminRequest(endpoint, 'POST', `/api/documents/${encodeURIComponent(id)}/void`, { reason });

    if (answer.status !== 200) {
      if (values.json) io.stdout.write(`${JSON.stringify({ ok: false, status: answer.status, ...answer.body }, null, 2)}\n`);
      else io.stderr.write(`puente void: the server answered ${answer.status}: ${String(answer.body.message ?? answer.body.error ?? 'no reason given')}\n`);
      return EXIT_FAILURE;
    }
    const document = answer.body.document as VoidedDocument;
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ok: true, document }, null, 2)}\n`);
      return EXIT_OK;
    }
    const closure = document.voided.numberClosure;
    io.stdout.write(`voided ${document.documentId} (${document.kind}); it will never be sent\n`);
    if (document.number !== undefined) {
      io.stdout.write(`  its number ${document.number} of series ${document.series} ${CLOSURE_WORDS[closure.state] ?? closure.state}${closure.note ? `: ${closure.note}` : ''}\n`);
    } else {
      io.stdout.write('  it had no number yet\n');
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr.write(`puente void: ${error.message}\n\n${VOID_USAGE}`);
      return EXIT_USAGE;
    }
    io.stderr.write(`puente void: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}
