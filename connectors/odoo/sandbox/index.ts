/**
 * The Odoo sandbox: a local JSON-RPC server (`POST /jsonrpc`) that answers the calls Puente's Odoo
 * connector makes, with Odoo's result and error shapes, plus test endpoints to post documents:
 *
 *   POST /_sandbox/invoices        {partner?, currency?, journal?, dueDays?, lines:[{product, quantity, priceUnit, discount?, taxes?}]}
 *   POST /_sandbox/credit-notes    {invoiceId, lines?}       (all of the invoice when lines are absent)
 *   POST /_sandbox/debit-notes     {invoiceId, lines}
 *   POST /_sandbox/moves/<id>/touch                          (write_date moves, nothing else: a payment)
 *   GET  /_sandbox/moves           every move as account.move.read gives it
 *   POST /_sandbox/settings        {missingFields: ["account.move.debit_origin_id"]} (an Odoo without that module)
 *   POST /_sandbox/reset
 *
 * Listens on 127.0.0.1 unless told otherwise. Demo credentials: ODOO_SANDBOX_* in state.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OdooSandboxState, OdooServerError, type OdooSandboxOptions, type SandboxLineInput, type SandboxMoveInput } from './state.js';
import { listenSandbox } from '../../../src/sandbox-server.js';

export {
  ODOO_SANDBOX_API_KEY,
  ODOO_SANDBOX_DATABASE,
  ODOO_SANDBOX_LOGIN,
  ODOO_SANDBOX_UID,
  ODOO_SANDBOX_VERSION,
  OdooSandboxState,
  OdooServerError,
  lineAmounts,
  type OdooSandboxOptions,
  type SandboxLineInput,
  type SandboxMoveInput,
} from './state.js';

const MAX_BODY = 1024 * 1024;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

/** What Odoo's JsonRPCDispatcher answers for an exception (serialize_exception). */
function rpcError(id: unknown, error: unknown): unknown {
  const known = error instanceof OdooServerError;
  const name = known ? error.odooName : 'builtins.Exception';
  const message = (error as Error)?.message ?? String(error);
  return {
    jsonrpc: '2.0',
    id: id ?? null,
    error: {
      code: known ? error.code : 200,
      message: 'Odoo Server Error',
      data: { name, debug: `Traceback (most recent call last):\n  (sandbox)\n${name}: ${message}\n`, message, arguments: [message], context: {} },
    },
  };
}

function moveSummary(move: Record<string, unknown>): Record<string, unknown> {
  return {
    id: move.id,
    name: move.name,
    moveType: move.move_type,
    amountUntaxed: move.amount_untaxed,
    amountTax: move.amount_tax,
    amountTotal: move.amount_total,
    reversedEntryId: move.reversed_entry_id || null,
    debitOriginId: move.debit_origin_id || null,
  };
}

export function createOdooSandbox(options: OdooSandboxOptions = {}): {
  state: OdooSandboxState;
  handle(request: IncomingMessage, response: ServerResponse): void;
} {
  const state = new OdooSandboxState(options);

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    if (request.method === 'POST' && path === '/jsonrpc') {
      let id: unknown = null;
      try {
        const body = JSON.parse(await readBody(request)) as { id?: unknown; params?: { service?: string; method?: string; args?: unknown[] } };
        id = body.id ?? null;
        const result = state.dispatch(String(body.params?.service), String(body.params?.method), body.params?.args ?? []);
        send(response, 200, { jsonrpc: '2.0', id, result });
      } catch (error) {
        // Odoo answers 200 with an `error` member, whatever went wrong.
        send(response, 200, rpcError(id, error));
      }
      return;
    }
    if (!path.startsWith('/_sandbox/')) {
      send(response, 404, { error: 'not_found', message: `${request.method} ${path}: this sandbox serves POST /jsonrpc and /_sandbox/*` });
      return;
    }
    try {
      const body = request.method === 'POST' ? (JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>) : {};
      const touch = /^\/_sandbox\/moves\/(\d+)\/touch$/.exec(path);
      if (request.method === 'POST' && path === '/_sandbox/invoices') {
        send(response, 201, moveSummary(state.postInvoice(body as unknown as SandboxMoveInput)));
      } else if (request.method === 'POST' && path === '/_sandbox/credit-notes') {
        const lines = body.lines as SandboxLineInput[] | undefined;
        send(response, 201, moveSummary(state.postCreditNote(Number(body.invoiceId), lines ? { lines } : {})));
      } else if (request.method === 'POST' && path === '/_sandbox/debit-notes') {
        send(response, 201, moveSummary(state.postDebitNote(Number(body.invoiceId), { lines: body.lines as SandboxLineInput[] })));
      } else if (request.method === 'POST' && touch) {
        send(response, 200, moveSummary(state.touch(Number(touch[1]))));
      } else if (request.method === 'GET' && path === '/_sandbox/moves') {
        send(response, 200, { moves: state.moves() });
      } else if (request.method === 'POST' && path === '/_sandbox/settings') {
        state.missing.clear();
        for (const field of (body.missingFields as string[] | undefined) ?? []) state.missing.add(field);
        send(response, 200, { missingFields: [...state.missing] });
      } else if (request.method === 'POST' && path === '/_sandbox/reset') {
        state.reset();
        send(response, 200, { reset: true });
      } else {
        send(response, 404, { error: 'not_found', message: `${request.method} ${path} is not a sandbox endpoint` });
      }
    } catch (error) {
      send(response, 400, { error: 'bad_request', message: (error as Error).message });
    }
  }

  return {
    state,
    handle(request, response) {
      route(request, response).catch((error: unknown) => send(response, 500, { error: 'internal', message: (error as Error).message }));
    },
  };
}

export interface RunningOdooSandbox {
  /** `http://127.0.0.1:port` — the `url` of an Odoo source block. */
  url: string;
  port: number;
  state: OdooSandboxState;
  close(): Promise<void>;
}

export async function startOdooSandbox(options: OdooSandboxOptions & { port?: number; host?: string } = {}): Promise<RunningOdooSandbox> {
  const { port = 0, host = '127.0.0.1', ...sandboxOptions } = options;
  const sandbox = createOdooSandbox(sandboxOptions);
  const { url, port: listeningPort, close } = await listenSandbox((request, response) => sandbox.handle(request, response), port, host);
  return { url, port: listeningPort, state: sandbox.state, close };
}
