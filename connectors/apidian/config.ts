/**
 * Configuration of one APIDIAN target account (one company NIT on one APIDIAN install).
 * Every message names its key, so an admin can find the line to fix.
 */
import { z } from 'zod';

const positiveInt = (key: string) =>
  z
    .number({ error: `${key} must be a whole number` })
    .int({ error: `${key} must be a whole number` })
    .positive({ error: `${key} must be greater than 0` });

/** DIAN prefixes are short alphanumeric codes (SETP, NC, FE1); APIDIAN stores at most 4 chars for export. */
const prefix = (key: string) =>
  z
    .string({ error: `${key} is required (the resolution prefix, e.g. "SETP")` })
    .regex(/^[A-Za-z0-9]{1,10}$/, { error: `${key} must be 1-10 letters or digits, e.g. "SETP"` });

const range = (key: string) => ({
  from: positiveInt(`${key}.from`),
  to: positiveInt(`${key}.to`),
});

function checkRange(key: string) {
  return (value: { from: number; to: number }, ctx: z.RefinementCtx) => {
    if (value.to < value.from) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `${key}.to (${value.to}) must not be below ${key}.from (${value.from})`,
      });
    }
  };
}

/** Invoices (and export invoices) carry a CUFE, which needs the resolution's technical key. */
const cufeResolution = (key: string) =>
  z
    .strictObject(
      {
        prefix: prefix(`${key}.prefix`),
        resolutionNumber: z
          .string({ error: `${key}.resolutionNumber must be a string, e.g. "18760000001"` })
          .regex(/^\d{1,20}$/, { error: `${key}.resolutionNumber must be digits only` })
          .optional(),
        technicalKey: z
          .string({ error: `${key}.technicalKey is required (the "clave técnica" of the DIAN resolution)` })
          .min(1, { error: `${key}.technicalKey must not be empty` }),
        ...range(key),
      },
      { error: `${key} must be an object with prefix, technicalKey, from and to` },
    )
    .superRefine(checkRange(key));

/** Notes carry a CUDE, computed with the software PIN instead of a technical key. */
const noteResolution = (key: string) =>
  z
    .strictObject(
      {
        prefix: prefix(`${key}.prefix`),
        resolutionNumber: z
          .string({ error: `${key}.resolutionNumber must be a string` })
          .regex(/^\d{1,20}$/, { error: `${key}.resolutionNumber must be digits only` })
          .optional(),
        ...range(key),
      },
      { error: `${key} must be an object with prefix, from and to` },
    )
    .superRefine(checkRange(key));

export const ApidianTargetConfig = z.strictObject({
  type: z.literal('apidian', { error: 'type must be "apidian"' }),
  baseUrl: z
    .url({ error: 'baseUrl must be an http(s) URL such as http://127.0.0.1:3001/api' })
    .refine((url) => /^https?:\/\//i.test(url), { error: 'baseUrl must start with http:// or https://' })
    .refine((url) => !/\/ubl2\.1\/?$/i.test(url), {
      error: 'baseUrl must stop before /ubl2.1 (e.g. http://host/api, not http://host/api/ubl2.1)',
    })
    .transform((url) => url.replace(/\/+$/, '')),
  token: z
    .string({ error: 'token is required (the api_token APIDIAN returned when the company was registered)' })
    .regex(/^\S+$/, { error: 'token must be a non-empty string without spaces' }),
  supplierNit: z
    .string({ error: 'supplierNit is required, as a string of digits (e.g. "900123456")' })
    .regex(/^\d{5,15}$/, { error: 'supplierNit must be 5-15 digits, without the check digit or dashes' }),
  softwarePin: z
    .string({ error: 'softwarePin must be a string of 5 digits' })
    .regex(/^\d{5}$/, { error: 'softwarePin must be exactly 5 digits (the PIN of the software registered at DIAN)' })
    .optional(),
  environment: z
    .union([z.literal(1), z.literal(2)], { error: 'environment must be 1 (production) or 2 (habilitación/test)' })
    .default(2),
  requestsPerMinute: positiveInt('requestsPerMinute')
    .max(6000, { error: 'requestsPerMinute must be at most 6000' })
    .default(60),
  resolutions: z.strictObject(
    {
      invoice: cufeResolution('resolutions.invoice'),
      credit_note: noteResolution('resolutions.credit_note'),
      debit_note: noteResolution('resolutions.debit_note'),
      export_invoice: cufeResolution('resolutions.export_invoice').optional(),
    },
    { error: 'resolutions must be an object with invoice, credit_note and debit_note' },
  ),
  batch: z
    .strictObject(
      {
        maxDocuments: positiveInt('batch.maxDocuments')
          .max(500, { error: 'batch.maxDocuments must be at most 500' })
          .default(50),
        lingerMs: z
          .number({ error: 'batch.lingerMs must be a number of milliseconds' })
          .int({ error: 'batch.lingerMs must be a whole number' })
          .nonnegative({ error: 'batch.lingerMs must not be negative' })
          .default(2000),
        maxBytes: positiveInt('batch.maxBytes').default(10 * 1024 * 1024),
      },
      { error: 'batch must be an object' },
    )
    .default({ maxDocuments: 50, lingerMs: 2000, maxBytes: 10 * 1024 * 1024 }),
  statusPollMs: positiveInt('statusPollMs').optional(),
});

export type ApidianTargetConfig = z.infer<typeof ApidianTargetConfig>;
export type ApidianTargetConfigInput = z.input<typeof ApidianTargetConfig>;

/**
 * Parses a config block and throws one Error listing every problem as `key: reason`.
 * Values are never echoed, because the block holds the API token.
 */
export function parseApidianTargetConfig(input: unknown): ApidianTargetConfig {
  const parsed = ApidianTargetConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    // zod's own messages for unknown keys do not name the key path; ours do, so keep them as they are.
    if (issue.code === 'unrecognized_keys') {
      return `${key ? `${key}: ` : ''}unknown key(s) ${issue.keys.join(', ')}`;
    }
    return key && !issue.message.startsWith(key) ? `${key}: ${issue.message}` : issue.message;
  });
  throw new Error(`Invalid APIDIAN target config: ${problems.join('; ')}`);
}
