/**
 * nock helpers for Odoo's JSON-RPC: every call is `POST /jsonrpc`, told apart by its params
 * (service, method, and for execute_kw the model and model method). Each helper registers one
 * interceptor for one call, answering with Odoo's own envelope.
 */
import nock from 'nock';

export const ODOO = 'https://erp.tostadores.example';
export const DB = 'prod';
export const LOGIN = 'facturacion@tostadores.example';
export const KEY = 'b3f1c0ffee5e11f0a4d2';
export const UID = 7;

export const SETTINGS = { type: 'odoo', url: ODOO, database: DB, username: LOGIN, apiKey: KEY } as const;

export interface RpcBody {
  jsonrpc: string;
  method: string;
  id: number;
  params: { service: string; method: string; args: unknown[] };
}

/** The calls seen, in order (filled by every interceptor made here). */
export const seen: RpcBody[] = [];

function matcher(service: string, method: string, model?: string, modelMethod?: string, extra?: (body: RpcBody) => boolean) {
  return (body: RpcBody) => {
    if (body?.jsonrpc !== '2.0' || body.method !== 'call') return false;
    if (body.params.service !== service || body.params.method !== method) return false;
    if (model && (body.params.args[3] !== model || body.params.args[4] !== modelMethod)) return false;
    return extra ? extra(body) : true;
  };
}

function record(body: RpcBody) {
  seen.push(body);
}

export function rpcResult(result: unknown) {
  return (_uri: string, body: RpcBody) => {
    record(body);
    return { jsonrpc: '2.0', id: body.id, result };
  };
}

/** Odoo's error envelope (HTTP 200), as its JSON-RPC dispatcher writes it. */
export function rpcError(name: string, message: string, code = 200) {
  return (_uri: string, body: RpcBody) => {
    record(body);
    return {
      jsonrpc: '2.0',
      id: body.id,
      error: {
        code,
        message: code === 100 ? 'Odoo Session Expired' : 'Odoo Server Error',
        data: { name, debug: `Traceback (most recent call last):\n  File "/opt/odoo/odoo/http.py"\n${name}: ${message}`, message, arguments: [message], context: {} },
      },
    };
  };
}

export function onLogin(reply: (uri: string, body: RpcBody) => unknown = rpcResult(UID)) {
  return nock(ODOO).post('/jsonrpc', matcher('common', 'authenticate') as never).reply(200, reply as never);
}

export function onVersion(reply: (uri: string, body: RpcBody) => unknown) {
  return nock(ODOO).post('/jsonrpc', matcher('common', 'version') as never).reply(200, reply as never);
}

export function onCall(model: string, method: string, reply: (uri: string, body: RpcBody) => unknown, extra?: (body: RpcBody) => boolean) {
  return nock(ODOO).post('/jsonrpc', matcher('object', 'execute_kw', model, method, extra) as never).reply(200, reply as never);
}

/** fields_get for every model the connector checks, answering these field names (minus `without`). */
export function onFieldsGet(fields: Record<string, string[]>, without: string[] = []) {
  for (const [model, names] of Object.entries(fields)) {
    const answer = Object.fromEntries(names.filter((n) => !without.includes(`${model}.${n}`)).map((n) => [n, { type: 'char' }]));
    onCall(model, 'fields_get', rpcResult(answer));
  }
}

/** The args of execute_kw: [db, uid, key, model, method, args, kwargs]. */
export function kwArgs(body: RpcBody): { args: unknown[]; kwargs: Record<string, unknown> } {
  return { args: body.params.args[5] as unknown[], kwargs: (body.params.args[6] ?? {}) as Record<string, unknown> };
}
