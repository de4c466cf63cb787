/**
 * Webhooks from tuimprenta.digital (`POST /webhooks/tuimprenta/:connection`, route wired by the
 * HTTP layer). The API signs each delivery with `X-Tuimprenta-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of the raw body under the account's webhook secret. The exact header syntax is not
 * published ([NF]); this one is Puente's choice, and the sandbox signs the same way. A
 * comma-separated list of signatures is accepted so a secret can be rotated without dropping events.
 *
 * `receiveTuimprentaWebhook` never throws for bad input: it verifies on the raw bytes (timing-safe),
 * parses the event, and returns the dedupe key (the event id; the API redelivers the same id when a
 * delivery is not acknowledged). Webhooks only speed things up: the target still polls
 * (`status`/`lookup`) when none arrives.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { BatchResource, InvoiceResource } from './responses.js';

export const SIGNATURE_HEADER = 'x-tuimprenta-signature';
export const INVOICE_EVENT_TYPES = ['invoice.issued', 'invoice.cancelled'] as const;
export const BATCH_EVENT_TYPES = ['batch.processing', 'batch.completed', 'batch.failed', 'batch.partial'] as const;
/** Bodies above this are refused before any HMAC is computed. */
export const DEFAULT_MAX_WEBHOOK_BYTES = 1024 * 1024;

export type InvoiceEventType = (typeof INVOICE_EVENT_TYPES)[number];
export type BatchEventType = (typeof BATCH_EVENT_TYPES)[number];

interface EventBase {
  /** `evt_…`: the same for every redelivery of one event. */
  id: string;
  createdAt: string;
}
export type TuimprentaEvent =
  | (EventBase & { category: 'invoice'; type: InvoiceEventType; invoice: InvoiceResource })
  | (EventBase & { category: 'batch'; type: BatchEventType; batch: BatchResource })
  /** An event type Puente does not act on (yet): acknowledged, not an error, so it is not redelivered. */
  | (EventBase & { category: 'other'; type: string; data: unknown });

export interface TuimprentaWebhookInput {
  rawBody: Buffer | string;
  headers: Record<string, string | string[] | undefined>;
}

export type TuimprentaWebhookVerdict =
  | { ok: true; dedupeKey: string; event: TuimprentaEvent }
  | { ok: false; status: 400 | 401 | 413; error: string };

const Envelope = z.looseObject({
  id: z.string().regex(/^evt_[A-Za-z0-9]+$/, 'id must be an event id (evt_…)'),
  object: z.literal('event'),
  type: z.string().regex(/^[a-z_]+\.[a-z_.]+$/, 'type must be an event type such as invoice.issued'),
  created_at: z.string(),
  data: z.looseObject({ object: z.unknown() }),
});

/** The header value the API sends for `rawBody` (used by the sandbox and tests). */
export function signWebhookPayload(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(toBytes(rawBody)).digest('hex')}`;
}

export function receiveTuimprentaWebhook(
  input: TuimprentaWebhookInput,
  options: { secret: string | undefined; maxBytes?: number },
): TuimprentaWebhookVerdict {
  const body = toBytes(input.rawBody);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_WEBHOOK_BYTES;
  if (body.length > maxBytes) return { ok: false, status: 413, error: `body of ${body.length} bytes exceeds the ${maxBytes}-byte limit` };
  if (!options.secret) return { ok: false, status: 401, error: 'no webhook secret is configured for this connection (webhookSecret)' };

  const header = headerValue(input.headers, SIGNATURE_HEADER);
  if (!header) return { ok: false, status: 401, error: 'missing X-Tuimprenta-Signature header' };
  const candidates = header.split(',').map((part) => part.trim()).filter(Boolean);
  const digests = candidates.map((candidate) => /^sha256=([0-9a-f]{64})$/i.exec(candidate)?.[1]);
  if (!digests.length || digests.some((d) => d === undefined)) {
    return { ok: false, status: 401, error: 'X-Tuimprenta-Signature must be sha256=<64 hex digits> (comma-separated when several)' };
  }
  const expected = createHmac('sha256', options.secret).update(body).digest();
  // Every candidate is compared, matched or not, so timing reveals nothing about which one failed.
  let matched = false;
  for (const digest of digests) {
    if (timingSafeEqual(Buffer.from(digest!, 'hex'), expected)) matched = true;
  }
  if (!matched) return { ok: false, status: 401, error: 'X-Tuimprenta-Signature does not match the body; check webhookSecret' };

  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, error: 'body is not valid JSON' };
  }
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) return { ok: false, status: 400, error: `not a tuimprenta event: ${describeIssue(envelope.error)}` };
  const { id, type, created_at: createdAt, data } = envelope.data;

  if ((INVOICE_EVENT_TYPES as readonly string[]).includes(type)) {
    const invoice = InvoiceResource.safeParse(data.object);
    if (!invoice.success) return { ok: false, status: 400, error: `${type}: data.object is not an invoice (${describeIssue(invoice.error)})` };
    return { ok: true, dedupeKey: id, event: { id, createdAt, category: 'invoice', type: type as InvoiceEventType, invoice: invoice.data } };
  }
  if ((BATCH_EVENT_TYPES as readonly string[]).includes(type)) {
    const batch = BatchResource.safeParse(data.object);
    if (!batch.success) return { ok: false, status: 400, error: `${type}: data.object is not a batch (${describeIssue(batch.error)})` };
    return { ok: true, dedupeKey: id, event: { id, createdAt, category: 'batch', type: type as BatchEventType, batch: batch.data } };
  }
  return { ok: true, dedupeKey: id, event: { id, createdAt, category: 'other', type, data: data.object } };
}

function toBytes(raw: Buffer | string): Buffer {
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
}

function headerValue(headers: TuimprentaWebhookInput['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value.join(',') : value;
  }
  return undefined;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}` : 'invalid';
}
