import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WooCommerceClient } from '../../connectors/woocommerce/client.js';
import { oauthSignature } from '../../connectors/woocommerce/signing.js';
import { buildOrder, buildRefund } from '../../connectors/woocommerce/sandbox/orders.js';
import { TargetError } from '../../src/errors.js';
import { CONSUMER_KEY, CONSUMER_SECRET, NIT_ORDER } from './samples.js';

const HTTPS = 'https://tienda.example';
const HTTP = 'http://tienda.local';
const fast = { retries: 2, minTimeout: 1, maxTimeout: 5 };
const client = (url = HTTPS) => new WooCommerceClient({ url, consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET, retry: fast });
const QUERY = { modifiedAfter: '2026-11-20T19:03:14', page: 1, perPage: 100 };

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TargetError) return error;
    throw error;
  }
  throw new Error('expected a TargetError');
}

describe('WooCommerce REST client', () => {
  it('lists orders modified after an instant, oldest change first, with Basic auth over https', async () => {
    const order = buildOrder(NIT_ORDER);
    const scope = nock(HTTPS, { reqheaders: { authorization: `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}` } })
      .get('/wp-json/wc/v3/orders')
      .query({ modified_after: '2026-11-20T19:03:14', dates_are_gmt: 'true', orderby: 'modified', order: 'asc', status: 'any', page: '1', per_page: '100' })
      .reply(200, [order], { 'X-WP-Total': '1', 'X-WP-TotalPages': '1' });
    const page = await client().listOrders(QUERY);
    expect(page).toEqual({ orders: [order], total: 1, totalPages: 1 });
    scope.done();
  });

  it('signs with OAuth 1.0a in the query string over plain http, never sending the secret', async () => {
    let seen: Record<string, string> = {};
    const scope = nock(HTTP)
      .get('/wp-json/wc/v3/orders')
      .query((query) => {
        seen = query as Record<string, string>;
        return true;
      })
      .reply(function () {
        return [this.req.headers.authorization ? 400 : 200, []];
      });
    await client(HTTP).listOrders(QUERY);
    scope.done();
    expect(seen.oauth_consumer_key).toBe(CONSUMER_KEY);
    expect(seen.oauth_signature_method).toBe('HMAC-SHA256');
    expect(JSON.stringify(seen)).not.toContain(CONSUMER_SECRET);
    const expected = oauthSignature('GET', `${HTTP}/wp-json/wc/v3/orders`, seen, CONSUMER_SECRET, 'HMAC-SHA256');
    expect(seen.oauth_signature).toBe(expected);
  });

  it('fetches one refund of an order', async () => {
    const order = buildOrder(NIT_ORDER);
    const refund = buildRefund(order, { id: 4850, createdAt: '2026-11-22T15:30:00', lines: [{ itemId: order.line_items[0]!.id, quantity: 1 }] });
    nock(HTTPS).get('/wp-json/wc/v3/orders/4817/refunds/4850').reply(200, refund);
    expect(await client().getRefund('4817', '4850')).toEqual(refund);
  });

  it('401 is an auth error that names the key to check, and is not retried', async () => {
    const scope = nock(HTTPS)
      .get('/wp-json/wc/v3/orders/4817/refunds/4850')
      .reply(401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot view this resource.', data: { status: 401 } });
    const error = await failure(client().getRefund('4817', '4850'));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/consumerKey\/consumerSecret/);
    expect(error.message).not.toContain(CONSUMER_SECRET);
    scope.done();
  });

  it('a 5xx or a network blip is retried, then succeeds', async () => {
    nock(HTTPS).get('/wp-json/wc/v3/orders/4817/refunds/4850').reply(502, 'Bad Gateway');
    nock(HTTPS).get('/wp-json/wc/v3/orders/4817/refunds/4850').replyWithError({ code: 'ECONNRESET' });
    nock(HTTPS).get('/wp-json/wc/v3/orders/4817/refunds/4850').reply(200, { id: 4850 });
    expect(await client().getRefund('4817', '4850')).toEqual({ id: 4850 });
  });

  it('still failing after the retries: retryable, so the pipeline tries again later', async () => {
    nock(HTTPS).get('/wp-json/wc/v3/orders/4817/refunds/4850').times(3).reply(503, { code: 'down', message: 'Maintenance' });
    const error = await failure(client().getRefund('4817', '4850'));
    expect(error.kind).toBe('retryable');
    expect(error.status).toBe(503);
  });

  it('429 is rate_limited with the wait WooCommerce asked for; a long wait is left to the caller', async () => {
    const scope = nock(HTTPS).get('/wp-json/wc/v3/orders/1/refunds/2').reply(429, {}, { 'Retry-After': '120' });
    const error = await failure(client().getRefund('1', '2'));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(120_000);
    scope.done();
  });

  it('404 (a deleted refund) is rejected: asking again will not bring it back', async () => {
    const scope = nock(HTTPS)
      .get('/wp-json/wc/v3/orders/4817/refunds/9')
      .reply(404, { code: 'woocommerce_rest_invalid_id', message: 'Invalid resource ID.', data: { status: 404 } });
    const error = await failure(client().getRefund('4817', '9'));
    expect(error.kind).toBe('rejected');
    expect(error.message).toMatch(/woocommerce_rest_invalid_id/);
    scope.done();
  });

  it('a 200 that is not JSON (a site without pretty permalinks) is retryable and says why', async () => {
    nock(HTTPS).get('/wp-json/wc/v3/orders/1/refunds/2').times(3).reply(200, '<!doctype html><html></html>');
    const error = await failure(client().getRefund('1', '2'));
    expect(error.kind).toBe('retryable');
    expect(error.message).toMatch(/permalinks/);
  });
});
