/**
 * The Odoo JSON-RPC client: the envelopes it sends, and how each of Odoo's answers — results,
 * `error` members (always HTTP 200), HTTP failures, no answer — becomes a result or a typed
 * OdooError whose message says what to fix.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OdooClient } from '../../connectors/odoo/client.js';
import { OdooError } from '../../connectors/odoo/errors.js';
import { DB, KEY, LOGIN, ODOO, UID, kwArgs, onCall, onLogin, onVersion, rpcError, rpcResult, seen } from './rpc-mock.js';

const client = () => new OdooClient({ url: `${ODOO}/`, database: DB, username: LOGIN, apiKey: KEY, retry: { retries: 2, minTimeout: 1, maxTimeout: 2 } });

async function failure(promise: Promise<unknown>): Promise<OdooError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OdooError);
  return error as OdooError;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  seen.length = 0;
});
afterEach(() => {
  nock.cleanAll();
});

describe('OdooClient', () => {
  it('logs in once with common.authenticate, then calls object.execute_kw with the uid and key', async () => {
    onLogin();
    onCall('account.move', 'search_count', rpcResult(3));
    onCall('account.move', 'search_count', rpcResult(4));
    const odoo = client();
    expect(await odoo.searchCount('account.move', [['state', '=', 'posted']])).toBe(3);
    expect(await odoo.searchCount('account.move', [])).toBe(4);
    expect(nock.pendingMocks()).toEqual([]);
    expect(seen.map((b) => b.params.method)).toEqual(['authenticate', 'execute_kw', 'execute_kw']);
    expect(seen[0]!.params).toEqual({ service: 'common', method: 'authenticate', args: [DB, LOGIN, KEY, {}] });
    expect(seen[1]!.params.args.slice(0, 5)).toEqual([DB, UID, KEY, 'account.move', 'search_count']);
    expect(kwArgs(seen[1]!).args).toEqual([[['state', '=', 'posted']]]);
    expect(kwArgs(seen[1]!).kwargs).toEqual({ context: { active_test: false } });
    expect(seen[1]!.jsonrpc).toBe('2.0');
    expect(seen[1]!.method).toBe('call');
  });

  it('reads without calling Odoo when there is nothing to read, and asks search_read for archived rows too', async () => {
    onLogin();
    onCall('account.move', 'search_read', rpcResult([{ id: 1 }]));
    const odoo = client();
    expect(await odoo.read('res.partner', [], ['name'])).toEqual([]);
    await odoo.searchRead('account.move', [], { fields: ['name'], order: 'write_date asc, id asc', limit: 5 });
    expect(kwArgs(seen[1]!).kwargs).toEqual({ fields: ['name'], order: 'write_date asc, id asc', limit: 5, context: { active_test: false } });
  });

  it('a wrong login or key (authenticate answers false) is an auth error that names what to check', async () => {
    onLogin(rpcResult(false));
    const error = await failure(client().authenticate());
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(`user "${LOGIN}" could not log in to database "${DB}"`);
    expect(error.message).toContain('apiKey');
    expect(error.message).not.toContain(KEY);
  });

  it('a database that does not exist is a config error naming the database', async () => {
    onLogin(rpcError('psycopg2.OperationalError', 'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "prod" does not exist'));
    const error = await failure(client().authenticate());
    expect(error.kind).toBe('config');
    expect(error.message).toContain('database "prod" does not exist on this Odoo: check `database`');
  });

  it('AccessDenied on a call is an auth error, and the next call logs in again', async () => {
    onLogin();
    onCall('account.move', 'search_count', rpcError('odoo.exceptions.AccessDenied', 'Access Denied'));
    onLogin();
    onCall('account.move', 'search_count', rpcResult(1));
    const odoo = client();
    const error = await failure(odoo.searchCount('account.move', []));
    expect(error.kind).toBe('auth');
    expect(error.odooName).toBe('odoo.exceptions.AccessDenied');
    expect(error.message).toContain('(AccessDenied)');
    expect(await odoo.searchCount('account.move', [])).toBe(1);
    expect(seen.filter((b) => b.params.method === 'authenticate')).toHaveLength(2);
  });

  it('a model this Odoo lacks, and a field it lacks, are config errors naming them', async () => {
    onLogin();
    onCall('account.move', 'search_read', rpcError('odoo.exceptions.UserError', "Object account.move doesn't exist"));
    onCall('account.move', 'read', rpcError('builtins.ValueError', "Invalid field 'debit_origin_id' on model 'account.move'"));
    onCall('account.move', 'search_count', rpcError('builtins.ValueError', "Invalid field account.move.l10n_co_x in leaf ('l10n_co_x', '=', 1)"));
    const odoo = client();
    const model = await failure(odoo.searchRead('account.move', [], { fields: ['name'] }));
    expect([model.kind, model.field]).toEqual(['config', 'account.move']);
    expect(model.message).toContain('this Odoo has no model account.move');
    const field = await failure(odoo.read('account.move', [1], ['debit_origin_id']));
    expect([field.kind, field.field]).toEqual(['config', 'account.move.debit_origin_id']);
    expect(field.message).toContain('this Odoo version has no field account.move.debit_origin_id');
    const leaf = await failure(odoo.searchCount('account.move', [['l10n_co_x', '=', 1]]));
    expect([leaf.kind, leaf.field]).toEqual(['config', 'account.move.l10n_co_x']);
  });

  it('missing read rights are a config error that says which rights to give', async () => {
    onLogin();
    onCall('account.move', 'search_count', rpcError('odoo.exceptions.AccessError', 'You are not allowed to access Journal Entry (account.move) records.'));
    const error = await failure(client().searchCount('account.move', []));
    expect(error.kind).toBe('config');
    expect(error.message).toContain('give the user read access to Invoicing');
  });

  it('never copies Odoo\'s traceback into the message', async () => {
    onLogin();
    onCall('account.move', 'search_count', rpcError('builtins.TypeError', 'unsupported operand'));
    const error = await failure(client().searchCount('account.move', []));
    expect(error.kind).toBe('unexpected');
    expect(error.message).toBe('Odoo account.move.search_count failed: builtins.TypeError: unsupported operand');
    expect(error.message).not.toContain('Traceback');
  });

  it('retries a 502 and a dropped connection, then answers', async () => {
    nock(ODOO).post('/jsonrpc').reply(502, 'Bad Gateway');
    nock(ODOO).post('/jsonrpc').replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    onLogin();
    expect(await client().authenticate()).toBe(UID);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('gives up after its retries with a retryable error that names the unreachable host', async () => {
    for (let i = 0; i < 3; i++) nock(ODOO).post('/jsonrpc').replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const error = await failure(client().authenticate());
    expect(error.kind).toBe('retryable');
    expect(error.message).toContain(`cannot reach ${ODOO}`);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('does not retry a wrong address: 404, or a page that is not JSON-RPC', async () => {
    nock(ODOO).post('/jsonrpc').reply(404, '<html>Not Found</html>');
    const notFound = await failure(client().version());
    expect([notFound.kind, notFound.status]).toEqual(['config', 404]);
    expect(notFound.message).toContain('check `url`');
    nock(ODOO).post('/jsonrpc').reply(200, '<!DOCTYPE html><html><body>Odoo login</body></html>');
    const html = await failure(client().version());
    expect(html.kind).toBe('config');
    expect(html.message).toContain('not JSON-RPC');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('does not follow a redirect (it would turn the POST into a GET): it names where Odoo lives', async () => {
    nock(ODOO).post('/jsonrpc').reply(301, '', { Location: 'https://www.erp.tostadores.example/jsonrpc' });
    const error = await failure(client().version());
    expect([error.kind, error.status]).toEqual(['config', 301]);
    expect(error.message).toContain('redirects to https://www.erp.tostadores.example: set `url`');
  });

  it('version() reads the server version without logging in', async () => {
    onVersion(rpcResult({ server_version: 'saas~17.4+e', server_version_info: [17, 4, 0, 'final', 0, 'e'], protocol_version: 1 }));
    expect(await client().version()).toEqual({ serverVersion: 'saas~17.4+e', major: 17 });
    expect(seen.map((b) => b.params.method)).toEqual(['version']);
  });

  it('requireFields names every missing field and the model', async () => {
    onLogin();
    onCall('account.move', 'fields_get', rpcResult({ id: {}, name: {}, state: {} }));
    const error = await failure(client().requireFields('account.move', ['name', 'move_type', 'reversed_entry_id'], 'to read invoices'));
    expect(error.kind).toBe('config');
    expect(error.message).toContain("this Odoo's account.move has no field move_type, reversed_entry_id");
    expect(error.field).toBe('account.move.move_type');
    expect(kwArgs(seen[1]!).kwargs).toEqual({ attributes: ['type'] });
  });
});
