/**
 * Fuzzing the tuimprenta.digital callback parser (the webhook an invoicing API sends Puente), on its
 * own and as the target connector exposes it to the HTTP layer: random bytes, random JSON, real events
 * with fields changed, random and forged signatures. It never throws; a refusal is 400/401/413 with a
 * message; only a delivery signed with the configured secret is ever believed; what it believes names
 * a document by the idempotency key the invoice carries and an outcome the dispatcher knows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTuimprentaTargetConfig } from '../../connectors/tuimprenta/config.js';
import { createTuimprentaTarget } from '../../connectors/tuimprenta/index.js';
import { receiveTuimprentaWebhook, signWebhookPayload } from '../../connectors/tuimprenta/webhook.js';
import { silentLog } from '../pipeline/harness.js';
import { invoiceResource as invoiceFixture } from '../tuimprenta/helpers.js';

const SECRET = 'whsec_fuzz_callback';
const MAX_BYTES = 8 * 1024;

const invoice = invoiceFixture({ metadata: { puente_idempotency_key: 'shopify:bodega.myshopify.com|order:1|invoice' } });
const batch = { id: 'bat_1', object: 'batch', status: 'completed' };

/** A value that is sometimes right and sometimes anything. */
const maybe = <T>(right: T) => fc.oneof({ arbitrary: fc.constant(right), weight: 3 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });

const eventObject = fc.record({
  id: fc.oneof(fc.stringMatching(/^evt_[A-Za-z0-9]{1,12}$/), fc.string({ maxLength: 12 })),
  object: maybe('event'),
  type: fc.oneof(fc.constantFrom('invoice.issued', 'invoice.cancelled', 'batch.completed', 'batch.failed', 'batch.partial', 'invoice.voided', 'x.y'), fc.string({ maxLength: 16 })),
  created_at: maybe('2026-11-20T14:15:02.000Z'),
  data: fc.oneof(
    fc.record({
      object: fc.oneof(
        fc.record(
          Object.fromEntries(Object.entries(invoice).map(([k, v]) => [k, maybe(v)])) as { [K in keyof typeof invoice]: fc.Arbitrary<unknown> },
          { requiredKeys: ['id', 'object', 'document_type', 'status'] },
        ),
        fc.record(Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, maybe(v)])) as { [K in keyof typeof batch]: fc.Arbitrary<unknown> }),
        fc.jsonValue({ maxDepth: 3 }),
      ),
    }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
});

const rawBody = fc.oneof(
  eventObject.map((e) => JSON.stringify(e)),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 1, max: 5000 }).map((d) => `{"id":"evt_1","object":"event","type":"x.y","created_at":"t","data":{"object":${'['.repeat(d)}${']'.repeat(d)}}}`),
  fc.constantFrom('', '{}', 'null', '{"__proto__":{"polluted":1}}', 'x'.repeat(MAX_BYTES + 1)),
);

const signature = fc.constantFrom('valid', 'valid', 'wrong', 'missing', 'malformed', 'rotated', 'uppercase');

function headersFor(body: string | Buffer, kind: string): Record<string, string> {
  const valid = signWebhookPayload(body, SECRET);
  switch (kind) {
    case 'valid':
      return { 'x-tuimprenta-signature': valid };
    case 'wrong':
      return { 'x-tuimprenta-signature': signWebhookPayload(body, 'whsec_other') };
    case 'malformed':
      return { 'x-tuimprenta-signature': valid.slice(0, -3) };
    case 'rotated':
      return { 'X-Tuimprenta-Signature': `${signWebhookPayload(body, 'whsec_old')}, ${valid}` };
    case 'uppercase':
      return { 'X-TUIMPRENTA-SIGNATURE': valid.toUpperCase().replace('SHA256=', 'sha256=') };
    default:
      return {};
  }
}

const OUTCOMES = ['issued', 'rejected', 'pending', 'failed'];

function checkRefusal(verdict: { status: number; error: string }): void {
  expect([400, 401, 413]).toContain(verdict.status);
  expect(verdict.error.length).toBeGreaterThan(10);
}

describe('tuimprenta callback parser', () => {
  it('never throws, refuses clearly, and believes only what was signed with the secret', () => {
    fc.assert(
      fc.property(rawBody, signature, (body, sign) => {
        const verdict = receiveTuimprentaWebhook({ rawBody: body, headers: headersFor(body, sign) }, { secret: SECRET, maxBytes: MAX_BYTES });
        const signed = sign === 'valid' || sign === 'rotated' || sign === 'uppercase';
        if (!verdict.ok) {
          checkRefusal(verdict);
          if (!signed && Buffer.byteLength(body) <= MAX_BYTES) expect(verdict.status).toBe(401);
          return;
        }
        expect(signed).toBe(true);
        expect(verdict.dedupeKey).toMatch(/^evt_[A-Za-z0-9]+$/);
        expect(['invoice', 'batch', 'other']).toContain(verdict.event.category);
      }),
      { numRuns: 2000 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it('refuses everything when no secret is configured', () => {
    fc.assert(
      fc.property(rawBody, (body) => {
        const verdict = receiveTuimprentaWebhook({ rawBody: body, headers: headersFor(body, 'valid') }, { secret: undefined, maxBytes: MAX_BYTES });
        expect(verdict.ok).toBe(false);
        if (!verdict.ok) expect([401, 413]).toContain(verdict.status);
      }),
      { numRuns: 300 },
    );
  });
});

describe('tuimprenta target callback (what the HTTP layer calls)', () => {
  const target = createTuimprentaTarget(
    parseTuimprentaTargetConfig({ type: 'tuimprenta', baseUrl: 'http://127.0.0.1:9', apiKey: 'sk_fuzz', webhookSecret: SECRET }),
    { logger: silentLog },
  );

  it('never throws; results name a document key and an outcome the dispatcher acts on', async () => {
    try {
      fc.assert(
        fc.property(rawBody, signature, (body, sign) => {
          const rawText = Buffer.isBuffer(body) ? body.toString('utf8') : body;
          const verdict = target.callback!({ rawBody: rawText, headers: headersFor(rawText, sign) });
          if (!verdict.ok) {
            checkRefusal(verdict);
            return;
          }
          expect(verdict.eventId).toMatch(/^evt_/);
          for (const result of verdict.results) {
            expect(typeof result.idempotencyKey).toBe('string');
            expect(OUTCOMES).toContain(result.outcome.outcome);
          }
        }),
        { numRuns: 1000 },
      );
    } finally {
      await target.close();
    }
  }, 60_000);
});
