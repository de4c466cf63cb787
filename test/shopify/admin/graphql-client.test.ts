import nock from 'nock';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createShopifyGraphqlClient, validateAdminApiVersion } from '../../../connectors/shopify/admin/graphql-client.js';
import { TargetError } from '../../../src/errors.js';

const SHOP = 'acme.myshopify.com';
const ORIGIN = `https://${SHOP}`;
const PATH = '/admin/api/2026-01/graphql.json';
const QUERY = 'query PuenteProbe { shop { id } }';

function fakeTime() {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
    sleeps,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

function answer(data: unknown, requested: number, available: number, max = 1000, restoreRate = 50) {
  return {
    data,
    extensions: { cost: { requestedQueryCost: requested, actualQueryCost: requested, throttleStatus: { maximumAvailable: max, currentlyAvailable: available, restoreRate } } },
  };
}

function client(time = fakeTime()) {
  return createShopifyGraphqlClient({
    apiVersion: '2026-01',
    accessTokenFor: async () => 'shpat_test',
    sleep: time.sleep,
    now: time.now,
    retry: { retries: 2, minTimeout: 1, maxTimeout: 1 },
  });
}

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TargetError);
    return error as TargetError;
  }
  throw new Error('expected a TargetError');
}

describe('Shopify GraphQL Admin client', () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });

  it('posts to the pinned API version with the shop token and returns data', async () => {
    nock(ORIGIN)
      .post(PATH, (body) => body.query === QUERY && body.variables.x === 1)
      .matchHeader('x-shopify-access-token', 'shpat_test')
      .reply(200, answer({ shop: { id: 'gid://shopify/Shop/1' } }, 2, 998));
    await expect(client().request(SHOP, { query: QUERY, variables: { x: 1 } })).resolves.toEqual({ shop: { id: 'gid://shopify/Shop/1' } });
  });

  it('waits the computed time when the bucket cannot hold the next query, then sends it', async () => {
    const time = fakeTime();
    const c = client(time);
    // First answer: the query costs 105 and leaves 5 points; 50 flow back per second.
    nock(ORIGIN).post(PATH).reply(200, answer({ n: 1 }, 105, 5));
    await c.request(SHOP, { query: QUERY });
    expect(time.sleeps).toEqual([]);
    nock(ORIGIN).post(PATH).reply(200, answer({ n: 2 }, 105, 0));
    await expect(c.request(SHOP, { query: QUERY })).resolves.toEqual({ n: 2 });
    // (105 − 5) / 50 points per second = 2 s.
    expect(time.sleeps).toEqual([2000]);
  });

  it('counts what flowed back since the last answer before deciding to wait', async () => {
    const time = fakeTime();
    const c = client(time);
    nock(ORIGIN).post(PATH).reply(200, answer({ n: 1 }, 105, 5));
    await c.request(SHOP, { query: QUERY });
    time.advance(1500); // 75 points restored: 80 < 105, 0.5 s more
    nock(ORIGIN).post(PATH).reply(200, answer({ n: 2 }, 105, 0));
    await c.request(SHOP, { query: QUERY });
    expect(time.sleeps).toEqual([500]);
  });

  it('on THROTTLED waits for the bucket to refill and asks again, without failing', async () => {
    const time = fakeTime();
    nock(ORIGIN)
      .post(PATH)
      .reply(200, {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost: 300, actualQueryCost: null, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 100, restoreRate: 50 } } },
      });
    nock(ORIGIN).post(PATH).reply(200, answer({ ok: true }, 300, 0));
    await expect(client(time).request(SHOP, { query: QUERY })).resolves.toEqual({ ok: true });
    // (300 − 100) / 50 = 4 s, and nothing more once those 4 s have passed.
    expect(time.sleeps).toEqual([4000]);
  });

  it('gives up on endless throttling as rate_limited, not as a hang', async () => {
    const time = fakeTime();
    const throttled = {
      errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
      extensions: { cost: { requestedQueryCost: 50, actualQueryCost: null, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 0, restoreRate: 50 } } },
    };
    nock(ORIGIN).post(PATH).times(3).reply(200, throttled);
    const c = createShopifyGraphqlClient({ apiVersion: '2026-01', accessTokenFor: async () => 't', sleep: time.sleep, now: time.now, maxThrottledRetries: 2 });
    const error = await failure(c.request(SHOP, { query: QUERY }));
    expect(error.kind).toBe('rate_limited');
    expect(time.sleeps.length).toBe(2);
  });

  it('401 is an auth error, not retried', async () => {
    nock(ORIGIN).post(PATH).once().reply(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    const error = await failure(client().request(SHOP, { query: QUERY }));
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).not.toContain('shpat_test');
  });

  it('no token for the shop is an auth error before any request', async () => {
    const notInstalled = createShopifyGraphqlClient({ apiVersion: '2026-01', accessTokenFor: async () => undefined });
    const error = await failure(notInstalled.request(SHOP, { query: QUERY }));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(SHOP);
  });

  it('retries 5xx and then succeeds', async () => {
    nock(ORIGIN).post(PATH).reply(502, 'Bad Gateway');
    nock(ORIGIN).post(PATH).reply(200, answer({ ok: 1 }, 1, 999));
    await expect(client().request(SHOP, { query: QUERY })).resolves.toEqual({ ok: 1 });
  });

  it('429 after every retry becomes rate_limited with Retry-After', async () => {
    nock(ORIGIN).post(PATH).times(3).reply(429, { errors: 'Exceeded 2 calls per second' }, { 'Retry-After': '2.0' });
    const error = await failure(client().request(SHOP, { query: QUERY }));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(2000);
  });

  it('a network failure after every retry is retryable', async () => {
    nock(ORIGIN).post(PATH).times(3).replyWithError('socket hang up');
    const error = await failure(client().request(SHOP, { query: QUERY }));
    expect(error.kind).toBe('retryable');
  });

  it('GraphQL errors are rejected with the messages; ACCESS_DENIED is auth', async () => {
    nock(ORIGIN).post(PATH).reply(200, { errors: [{ message: "Field 'nope' doesn't exist on type 'Order'", extensions: { code: 'undefinedField' } }] });
    const rejected = await failure(client().request(SHOP, { query: QUERY }));
    expect(rejected.kind).toBe('rejected');
    expect(rejected.messages).toEqual(["Field 'nope' doesn't exist on type 'Order'"]);

    nock(ORIGIN).post(PATH).reply(200, { errors: [{ message: 'Access denied for orders field.', extensions: { code: 'ACCESS_DENIED' } }] });
    expect((await failure(client().request(SHOP, { query: QUERY }))).kind).toBe('auth');
  });

  it('answers an overridden admin origin (simulators)', async () => {
    nock('http://127.0.0.1:4555').post(`/${SHOP}${PATH}`).reply(200, answer({ ok: true }, 1, 999));
    const c = createShopifyGraphqlClient({ apiVersion: '2026-01', accessTokenFor: async () => 't', adminOrigin: (shop) => `http://127.0.0.1:4555/${shop}` });
    await expect(c.request(SHOP, { query: QUERY })).resolves.toEqual({ ok: true });
  });

  it('refuses an API version that is not a quarterly Admin API version, or too old for these queries', () => {
    expect(() => validateAdminApiVersion('2026-02')).toThrow(/not a Shopify Admin API version/);
    expect(() => validateAdminApiVersion('2024-10')).toThrow(/older than 2025-10/);
    expect(validateAdminApiVersion('2026-04')).toBe('2026-04');
  });
});
