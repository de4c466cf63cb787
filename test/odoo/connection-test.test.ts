/**
 * "Test connection" for an Odoo source: each thing that can be wrong is reported as the step that
 * failed and a message that says what to change.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testOdooConnection } from '../../connectors/odoo/index.js';
import { ALL_FIELDS } from './recorded.js';
import { DB, LOGIN, ODOO, SETTINGS, UID, kwArgs, onCall, onFieldsGet, onLogin, onVersion, rpcError, rpcResult, seen } from './rpc-mock.js';

const VERSION = { server_version: '17.0+e', server_version_info: [17, 0, 0, 'final', 0, 'e'], server_serie: '17.0', protocol_version: 1 };
const run = (settings: Record<string, unknown> = {}) => testOdooConnection({ ...SETTINGS, ...settings }, { retry: { retries: 0 } });

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  seen.length = 0;
});
afterEach(() => {
  nock.cleanAll();
});

describe('testOdooConnection', () => {
  it('reports the version, the user, the moves it would see and the optional modules found', async () => {
    onVersion(rpcResult(VERSION));
    onLogin();
    onFieldsGet(ALL_FIELDS, ['account.move.debit_origin_id']);
    onCall('account.move', 'search_count', rpcResult(1284));
    expect(await run({ journals: ['INV'] })).toEqual({
      ok: true,
      serverVersion: '17.0+e',
      uid: UID,
      postedMoves: 1284,
      features: { debitNotes: false, identificationTypes: true },
    });
    const count = seen.find((b) => b.params.args[4] === 'search_count')!;
    expect(kwArgs(count).args[0]).toEqual([
      ['move_type', 'in', ['out_invoice', 'out_refund']],
      ['state', '=', 'posted'],
      ['journal_id.code', 'in', ['INV']],
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a wrong database', async () => {
    onVersion(rpcResult(VERSION));
    onLogin(rpcError('psycopg2.OperationalError', 'FATAL:  database "prod" does not exist'));
    expect(await run()).toEqual({ ok: false, step: 'login', kind: 'config', error: expect.stringContaining(`database "${DB}" does not exist on this Odoo`) });
  });

  it('a wrong user or API key', async () => {
    onVersion(rpcResult(VERSION));
    onLogin(rpcResult(false));
    expect(await run()).toEqual({ ok: false, step: 'login', kind: 'auth', error: expect.stringContaining(`user "${LOGIN}" could not log in`) });
  });

  it('a field this Odoo version lacks', async () => {
    onVersion(rpcResult(VERSION));
    onLogin();
    onFieldsGet(ALL_FIELDS, ['account.move.line.display_type']);
    const result = await run();
    expect(result).toEqual({ ok: false, step: 'fields', kind: 'config', error: expect.stringContaining("account.move.line has no field display_type") });
  });

  it('an address that is not an Odoo, or is down', async () => {
    nock(ODOO).post('/jsonrpc').reply(200, '<html><body>Welcome to nginx</body></html>');
    expect(await run()).toMatchObject({ ok: false, step: 'reach', kind: 'config', error: expect.stringContaining('not JSON-RPC') });
    nock(ODOO).post('/jsonrpc').replyWithError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' });
    expect(await run()).toMatchObject({ ok: false, step: 'reach', kind: 'retryable', error: expect.stringContaining('(ENOTFOUND)') });
  });

  it('settings that are not valid, without calling Odoo', async () => {
    expect(await run({ url: 'erp.example' })).toMatchObject({ ok: false, step: 'settings', kind: 'config', error: expect.stringMatching(/^url: /) });
    expect(await run({ apiKey: '' })).toMatchObject({ ok: false, step: 'settings', error: expect.stringContaining('apiKey: is required') });
    expect(seen).toEqual([]);
  });
});
