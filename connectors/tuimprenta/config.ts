/**
 * Configuration of one tuimprenta.digital account (one API key). Every message names its key, and
 * values are never echoed: the block holds the API key and the webhook secret.
 */
import { z } from 'zod';

const positiveInt = (key: string) =>
  z
    .number({ error: `${key} must be a whole number` })
    .int({ error: `${key} must be a whole number` })
    .positive({ error: `${key} must be greater than 0` });

/** The API's documented limit: 60 requests per minute per key. */
export const TUIMPRENTA_REQUESTS_PER_MINUTE = 60;
/** Most documents Puente puts in one `POST /v1/batches` (the sandbox refuses more). */
export const TUIMPRENTA_MAX_BATCH_DOCUMENTS = 100;
/** How long the sandbox remembers an Idempotency-Key; Puente replays a key only well inside it. */
export const TUIMPRENTA_IDEMPOTENCY_RETENTION_HOURS = 24;

export const TuimprentaTargetConfig = z.strictObject({
  type: z.literal('tuimprenta', { error: 'type must be "tuimprenta"' }),
  baseUrl: z
    .url({ error: 'baseUrl must be an http(s) URL such as https://api.tuimprenta.digital' })
    .refine((url) => /^https?:\/\//i.test(url), { error: 'baseUrl must start with http:// or https://' })
    .refine((url) => !/\/v1\/?$/i.test(url), { error: 'baseUrl must stop before /v1 (e.g. https://api.tuimprenta.digital, not …/v1)' })
    .transform((url) => url.replace(/\/+$/, '')),
  apiKey: z
    .string({ error: 'apiKey is required (the secret API key of the tuimprenta account)' })
    .regex(/^\S+$/, { error: 'apiKey must be a non-empty string without spaces' }),
  /** Verifies `X-Tuimprenta-Signature` on webhooks; without it webhooks are refused and polling alone is used. */
  webhookSecret: z.string({ error: 'webhookSecret must be a string' }).min(1, { error: 'webhookSecret must not be empty' }).optional(),
  requestsPerMinute: positiveInt('requestsPerMinute')
    .max(TUIMPRENTA_REQUESTS_PER_MINUTE * 100, { error: 'requestsPerMinute must be at most 6000' })
    .default(TUIMPRENTA_REQUESTS_PER_MINUTE),
  /**
   * Hours an Idempotency-Key is remembered by the API. Within it (less a safety hour) lookup replays
   * the key; past it, lookup searches the invoice list instead, because a replay could issue anew.
   */
  idempotencyRetentionHours: positiveInt('idempotencyRetentionHours').max(24 * 30).default(TUIMPRENTA_IDEMPOTENCY_RETENTION_HOURS),
  batch: z
    .strictObject(
      {
        maxDocuments: positiveInt('batch.maxDocuments')
          .max(TUIMPRENTA_MAX_BATCH_DOCUMENTS, { error: `batch.maxDocuments must be at most ${TUIMPRENTA_MAX_BATCH_DOCUMENTS}` })
          .default(TUIMPRENTA_MAX_BATCH_DOCUMENTS),
        lingerMs: z
          .number({ error: 'batch.lingerMs must be a number of milliseconds' })
          .int({ error: 'batch.lingerMs must be a whole number' })
          .nonnegative({ error: 'batch.lingerMs must not be negative' })
          .default(2000),
        maxBytes: positiveInt('batch.maxBytes').max(5 * 1024 * 1024, { error: 'batch.maxBytes must be at most 5242880 (the API’s body limit)' }).default(4 * 1024 * 1024),
        /**
         * From this many documents a group goes out as one `POST /v1/batches`; smaller groups go one
         * `POST /v1/invoices` each. A batch costs at least three requests (create, status, result).
         */
        batchFrom: positiveInt('batch.batchFrom').default(3),
      },
      { error: 'batch must be an object' },
    )
    .default({ maxDocuments: TUIMPRENTA_MAX_BATCH_DOCUMENTS, lingerMs: 2000, maxBytes: 4 * 1024 * 1024, batchFrom: 3 }),
  statusPollMs: positiveInt('statusPollMs').optional(),
});

export type TuimprentaTargetConfig = z.infer<typeof TuimprentaTargetConfig>;
export type TuimprentaTargetConfigInput = z.input<typeof TuimprentaTargetConfig>;

export function parseTuimprentaTargetConfig(input: unknown): TuimprentaTargetConfig {
  const parsed = TuimprentaTargetConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return `${key ? `${key}: ` : ''}unknown key(s) ${issue.keys.join(', ')}`;
    return key && !issue.message.startsWith(key) ? `${key}: ${issue.message}` : issue.message;
  });
  throw new Error(`Invalid tuimprenta target config: ${problems.join('; ')}`);
}
