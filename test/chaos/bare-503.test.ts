/**
 * A 503 is a request to slow down only when it says for how long (Retry-After / X-RateLimit-Reset).
 * A bare 503 is an outage: retryable (or, for a submit, an unknown outcome) and it must not pause the
 * whole account for a default minute — under a chaos run's 20 % failures that pause stalled every
 * connection.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApidianClient } from '../../connectors/apidian/client.js';
import { FacturapiClient } from '../../connectors/facturapi/client.js';
import { TargetError } from '../../src/errors.js';

const APIDIAN = 'http://apidian.test';
const FACTURAPI = 'http://facturapi.test';
const CDC = '01801234565001001000013722026112214829157369';

const clients: { close(): Promise<void> }[] = [];
function apidian() {
  const client = new ApidianClient({ baseUrl: `${APIDIAN}/api`, token: 'a'.repeat(64), requestsPerMinute: 6000, retry: { retries: 0, minTimeout: 1, maxTimeout: 5 } });
  clients.push(client);
  return client;
}
function facturapi() {
  const client = new FacturapiClient({ baseUrl: FACTURAPI, tenantId: 'acme-py', apiKey: 'api_key_0123456789abcdef0123456789abcdef', requestsPerMinute: 6000, retry: { retries: 0, minTimeout: 1, maxTimeout: 5 } });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TargetError);
    return error as TargetError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => nock.enableNetConnect());

describe('a 503 without Retry-After is an outage, not a rate limit', () => {
  it('APIDIAN: send-batch answered a bare 503 is retryable, and the next call goes out at once', async () => {
    const client = apidian();
    nock(APIDIAN).post('/api/ubl2.1/send-batch/b').reply(503, { message: 'Service Unavailable' });
    const error = await failure(client.sendBatch('b'));
    expect(error.kind).toBe('retryable');
    expect(error.retryAfterMs).toBeUndefined();
    // Not paused: the next request reaches the API.
    const next = nock(APIDIAN).post('/api/ubl2.1/send-batch/c').reply(503, { message: 'Service Unavailable' });
    await failure(client.sendBatch('c'));
    expect(next.isDone()).toBe(true);
  });

  it('APIDIAN: a 503 with Retry-After stays rate_limited', async () => {
    nock(APIDIAN).post('/api/ubl2.1/send-batch/b').reply(503, { message: 'Service Unavailable' }, { 'Retry-After': '7' });
    expect(await failure(apidian().sendBatch('b'))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000 });
  });

  it('FacturApi: a bare 503 to a read is retryable; to lote/create, an unknown outcome (it may have been taken)', async () => {
    const client = facturapi();
    nock(FACTURAPI).post('/acme-py/de/estado').reply(503, { success: false, error: 'Servicio no disponible' });
    expect(await failure(client.estadoDe([CDC]))).toMatchObject({ kind: 'retryable' });
    nock(FACTURAPI).post('/acme-py/lote/create').reply(503, { success: false, error: 'Servicio no disponible' });
    expect(await failure(client.createLote([{}]))).toMatchObject({ kind: 'unknown_outcome' });
    expect(client.pausedUntil).toBe(0);
  });

  it('FacturApi: a 503 with Retry-After stays rate_limited and pauses the client', async () => {
    const client = facturapi();
    nock(FACTURAPI).post('/acme-py/de/estado').reply(503, { success: false, error: 'Servicio no disponible' }, { 'Retry-After': '9' });
    expect(await failure(client.estadoDe([CDC]))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 9000 });
    expect(client.pausedUntil).toBeGreaterThan(Date.now() + 5000);
  });
});
