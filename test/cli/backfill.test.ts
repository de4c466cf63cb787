/**
 * `puente backfill`: finds the connection, starts the server's backfill, follows it with a progress
 * bar until it ends, and exits 0 when done, 1 when it failed (saying how to resume), 2 on a wrong
 * command line. The server's admin API is played by nock.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { progressLine, runBackfillCommand } from '../../src/cli/backfill.js';
import type { CliIo } from '../../src/cli/io.js';
import type { BackfillState } from '../../src/pipeline/polling.js';

const URL = 'http://127.0.0.1:3999';
const TOKEN = 'cli-admin-token';

function io(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    cwd: '/nonexistent',
    env: {},
    out: () => out,
    err: () => err,
  };
}

const state = (patch: Partial<BackfillState>): BackfillState => ({
  connectionId: 'acme',
  since: '2026-01-01',
  from: '2026-01-01T00:00:00-05:00',
  status: 'running',
  scanned: 0,
  found: 0,
  startedAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T10:00:00.000Z',
  ...patch,
});

const connections = { connections: [{ id: 'acme', source: 'shopify:acme.myshopify.com' }, { id: 'tienda', source: 'woocommerce:tienda.example' }] };
const noWait = () => Promise.resolve();

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe('puente backfill', () => {
  it('starts the backfill of the shop\'s connection and follows it to the end with a progress bar', async () => {
    const api = nock(URL, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/api/connections')
      .reply(200, connections)
      .post('/api/connections/acme/backfill', { since: '2026-01-01' })
      .reply(202, state({}))
      .get('/api/connections/acme/backfill')
      .reply(200, state({ scanned: 50, total: 200, found: 12 }))
      .get('/api/connections/acme/backfill')
      .reply(200, state({ status: 'done', scanned: 200, total: 200, found: 31 }));
    const cli = io();
    const code = await runBackfillCommand(['shopify', '--shop', 'acme.myshopify.com', '--since', '2026-01-01', '--url', URL, '--token', TOKEN], cli, noWait);
    expect(code).toBe(0);
    expect(api.isDone()).toBe(true);
    expect(cli.out()).toContain('Backfilling acme from 2026-01-01T00:00:00-05:00');
    expect(cli.out()).toContain('[████████░░░░░░░░░░░░░░░░░░░░░░]  25%  50/200 orders looked at · 12 new events');
    expect(cli.out()).toContain('100%  200/200 orders looked at · 31 new events\nDone.');
  });

  it('exits 1 when the backfill failed, saying that the same command resumes it', async () => {
    nock(URL)
      .get('/api/connections')
      .reply(200, connections)
      .post('/api/connections/tienda/backfill')
      .reply(202, state({ connectionId: 'tienda' }))
      .get('/api/connections/tienda/backfill')
      .reply(200, state({ connectionId: 'tienda', status: 'failed', scanned: 100, found: 3, lastError: 'HTTP 503 from the store' }));
    const cli = io();
    const code = await runBackfillCommand(['woocommerce', '--connection', 'tienda', '--since', '2026-01-01', '--url', URL, '--token', TOKEN], cli, noWait);
    expect(code).toBe(1);
    expect(cli.out()).toContain('Failed: HTTP 503 from the store — run the same command to resume.');
  });

  it('refuses a wrong command line (exit 2), and a shop without a connection, naming the ones there are', async () => {
    const missing = io();
    expect(await runBackfillCommand(['shopify', '--shop', 'acme.myshopify.com', '--url', URL, '--token', TOKEN], missing, noWait)).toBe(2);
    expect(missing.err()).toContain('--since is required');

    nock(URL).get('/api/connections').reply(200, connections);
    const unknown = io();
    expect(await runBackfillCommand(['shopify', '--shop', 'other.myshopify.com', '--since', '2026-01-01', '--url', URL, '--token', TOKEN], unknown, noWait)).toBe(2);
    expect(unknown.err()).toContain('no shopify connection for other.myshopify.com; shopify connections: acme (shopify:acme.myshopify.com)');
  });

  it('passes on what the server refused, without following anything', async () => {
    nock(URL)
      .get('/api/connections')
      .reply(200, connections)
      .post('/api/connections/acme/backfill')
      .reply(409, { error: 'already_running', message: 'a backfill from 2025-12-01 is running for "acme"; wait for it to finish' });
    const follow = nock(URL).get('/api/connections/acme/backfill').reply(200, state({}));
    const cli = io();
    expect(await runBackfillCommand(['shopify', '--shop', 'acme.myshopify.com', '--since', '2026-01-01', '--url', URL, '--token', TOKEN], cli, noWait)).toBe(1);
    expect(follow.isDone()).toBe(false);
    expect(cli.out()).toBe('');
    expect(cli.err()).toContain('a backfill from 2025-12-01 is running');
  });

  it('shows a count without a bar when the source does not say how many orders there are', () => {
    expect(progressLine(state({ scanned: 7, found: 2 }))).toBe('… 7 orders looked at · 2 new events');
  });
});
