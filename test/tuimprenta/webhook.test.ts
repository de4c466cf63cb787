import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TuimprentaClient } from '../../connectors/tuimprenta/client.js';
import { exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import {
  TUIMPRENTA_SANDBOX_API_KEY,
  TUIMPRENTA_SANDBOX_WEBHOOK_SECRET,
  startTuimprentaSandbox,
  type RunningTuimprentaSandbox,
} from '../../connectors/tuimprenta/sandbox/index.js';
import { receiveTuimprentaWebhook, signWebhookPayload, type TuimprentaWebhookVerdict } from '../../connectors/tuimprenta/webhook.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { invoiceResource as invoiceFixture } from './helpers.js';

const SECRET = 'whsec_test_0123456789';
const invoice = invoiceFixture({ metadata: { puente_idempotency_key: 'shopify:shop/order/1/invoice' } });
const event = (type: string, object: unknown, id = 'evt_0a1b2c') => ({ id, object: 'event', type, created_at: '2026-11-20T14:15:02.000Z', data: { object } });
const signed = (body: unknown, secret = SECRET) => {
  const rawBody = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { rawBody, headers: { 'x-tuimprenta-signature': signWebhookPayload(rawBody, secret) } };
};
const failed = (verdict: TuimprentaWebhookVerdict) => (verdict.ok ? undefined : { status: verdict.status, error: verdict.error });

describe('receiveTuimprentaWebhook', () => {
  it('verifies, parses an invoice.issued event and dedupes on the event id', () => {
    const verdict = receiveTuimprentaWebhook(signed(event('invoice.issued', invoice)), { secret: SECRET });
    expect(verdict).toMatchObject({ ok: true, dedupeKey: 'evt_0a1b2c', event: { category: 'invoice', type: 'invoice.issued', invoice: { control_number: '00-00000042' } } });
  });

  it('parses batch events and acknowledges types it does not know', () => {
    const batch = { id: 'bat_1', object: 'batch', status: 'partial', counts: { total: 2, processed: 2, succeeded: 1, failed: 1 }, created_at: '2026-11-20T14:15:01.000Z' };
    expect(receiveTuimprentaWebhook(signed(event('batch.partial', batch)), { secret: SECRET })).toMatchObject({ ok: true, event: { category: 'batch', batch: { status: 'partial' } } });
    expect(receiveTuimprentaWebhook(signed(event('account.updated', { id: 'acct_1' })), { secret: SECRET })).toMatchObject({ ok: true, event: { category: 'other', type: 'account.updated' } });
  });

  it('checks the exact bytes: the same JSON re-serialized with other spacing fails', () => {
    const compact = JSON.stringify(event('invoice.issued', invoice));
    const { headers } = signed(compact);
    const pretty = JSON.stringify(JSON.parse(compact), null, 2);
    expect(failed(receiveTuimprentaWebhook({ rawBody: pretty, headers }, { secret: SECRET }))).toEqual({ status: 401, error: expect.stringMatching(/does not match/) });
    expect(receiveTuimprentaWebhook({ rawBody: compact, headers }, { secret: SECRET }).ok).toBe(true);
  });

  it('refuses a wrong secret, a missing or malformed header, and a missing secret with 401', () => {
    const body = event('invoice.issued', invoice);
    expect(failed(receiveTuimprentaWebhook(signed(body, 'other-secret'), { secret: SECRET }))?.status).toBe(401);
    expect(failed(receiveTuimprentaWebhook({ rawBody: JSON.stringify(body), headers: {} }, { secret: SECRET }))).toEqual({ status: 401, error: 'missing X-Tuimprenta-Signature header' });
    const hex = createHmac('sha256', SECRET).update(JSON.stringify(body)).digest('hex');
    expect(failed(receiveTuimprentaWebhook({ rawBody: JSON.stringify(body), headers: { 'X-Tuimprenta-Signature': hex } }, { secret: SECRET }))?.error).toMatch(/sha256=/);
    expect(failed(receiveTuimprentaWebhook(signed(body), { secret: undefined }))?.status).toBe(401);
  });

  it('accepts any of several signatures, so a secret can be rotated', () => {
    const { rawBody } = signed(event('invoice.issued', invoice));
    const header = `${signWebhookPayload(rawBody, 'old-secret')}, ${signWebhookPayload(rawBody, SECRET)}`;
    expect(receiveTuimprentaWebhook({ rawBody, headers: { 'x-tuimprenta-signature': [header] } }, { secret: SECRET }).ok).toBe(true);
  });

  it('answers 400 for a signed body that is not JSON or not an event, 413 for an oversize one', () => {
    expect(failed(receiveTuimprentaWebhook(signed('not json'), { secret: SECRET }))).toEqual({ status: 400, error: 'body is not valid JSON' });
    expect(failed(receiveTuimprentaWebhook(signed({ hello: 'world' }), { secret: SECRET }))?.error).toMatch(/not a tuimprenta event: id/);
    expect(failed(receiveTuimprentaWebhook(signed(event('invoice.issued', { id: 'inv_1' })), { secret: SECRET }))?.error).toMatch(/data.object is not an invoice/);
    expect(failed(receiveTuimprentaWebhook(signed(event('invoice.issued', invoice)), { secret: SECRET, maxBytes: 10 }))?.status).toBe(413);
  });
});

describe('the sandbox delivers signed events a receiver accepts', () => {
  let sandbox: RunningTuimprentaSandbox;
  let receiver: Loopback;
  const received: { verdict: TuimprentaWebhookVerdict }[] = [];
  let failNext = 0;

  beforeAll(async () => {
    receiver = await listenOnLoopback((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const verdict = receiveTuimprentaWebhook({ rawBody: Buffer.concat(chunks), headers: req.headers }, { secret: TUIMPRENTA_SANDBOX_WEBHOOK_SECRET });
        received.push({ verdict });
        if (failNext > 0) {
          failNext--;
          res.writeHead(500).end();
          return;
        }
        res.writeHead(verdict.ok ? 200 : verdict.status).end();
      });
    });
    const url = `${receiver.url}/webhooks/tuimprenta/demo`;
    sandbox = await startTuimprentaSandbox({ port: 0, webhookUrl: url, requestsPerMinute: 6000, batchQueueMs: 0, batchProcessMs: 0, webhooks: { backoffMs: [10] } });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('invoice.issued arrives verified; a failed delivery is retried with the same event id', async () => {
    failNext = 1;
    const client = new TuimprentaClient({ baseUrl: sandbox.url, apiKey: TUIMPRENTA_SANDBOX_API_KEY, requestsPerMinute: 6000 });
    const { invoice: created } = await client.createInvoice(exampleInvoice(), 'webhook-1');
    await client.close();
    await expect.poll(() => sandbox.webhooks.deliveries.find((d) => d.type === 'invoice.issued')?.status, { timeout: 5000 }).toBe('delivered');
    const issued = received.filter((r) => r.verdict.ok && r.verdict.event.type === 'invoice.issued');
    expect(issued).toHaveLength(2);
    const [first, second] = issued.map((r) => (r.verdict.ok ? r.verdict : undefined));
    expect(first?.dedupeKey).toBe(second?.dedupeKey);
    expect(first?.event).toMatchObject({ category: 'invoice', invoice: { id: created.id, control_number: created.control_number } });
  });
});
