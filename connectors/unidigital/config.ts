/**
 * Configuration of one Unidigital account (one company user on the imprenta). Every message names
 * its key; values are never echoed, because the block holds the password.
 */
import { z } from 'zod';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const positiveInt = (key: string) =>
  z
    .number({ error: `${key} must be a whole number` })
    .int({ error: `${key} must be a whole number` })
    .positive({ error: `${key} must be greater than 0` });

const series = (key: string) =>
  z.strictObject(
    {
      strongId: z
        .string({ error: `${key}.strongId is required: the series GUID from GET /series` })
        .regex(GUID, { error: `${key}.strongId must be a GUID such as 6b0f2a9e-3c1d-4e8b-9f27-5a4d3c2b1e0f (GET /series)` }),
      /** Readable name of the series ("A", "0"); it becomes Puente's numbering series. Defaults to the strongId. */
      name: z
        .string({ error: `${key}.name must be text` })
        .regex(/^[A-Za-z0-9_-]{1,20}$/, { error: `${key}.name must be 1-20 letters, digits, - or _` })
        .optional(),
    },
    { error: `${key} must be an object with strongId (and optionally name)` },
  );

const numbering = (key: string) =>
  z.strictObject(
    {
      /** The first Number Puente uses in this series and type, when the imprenta's counter is lower. */
      firstNumber: positiveInt(`${key}.firstNumber`).optional(),
    },
    { error: `${key} must be an object such as { firstNumber: 121 }` },
  );

export const UnidigitalTargetConfig = z
  .strictObject({
    type: z.literal('unidigital', { error: 'type must be "unidigital"' }),
    baseUrl: z
      .url({ error: 'baseUrl must be an http(s) URL such as https://qa.unidigital.global/digitalinvoice-core' })
      .refine((url) => /^https?:\/\//i.test(url), { error: 'baseUrl must start with http:// or https://' })
      .transform((url) => url.replace(/\/+$/, '')),
    userName: z
      .string({ error: 'userName is required (the UserName of the Unidigital user)' })
      .min(1, { error: 'userName must not be empty' }),
    /** The password as the user types it; Puente sends only its SHA-512 digest. */
    password: z.string({ error: 'password must be text' }).min(1, { error: 'password must not be empty' }).optional(),
    /** Alternatively the SHA-512 hex digest itself, so the plain password need not be stored. */
    passwordSha512: z
      .string({ error: 'passwordSha512 must be text' })
      .regex(/^[0-9a-f]{128}$/i, { error: 'passwordSha512 must be the 128-character hex SHA-512 digest of the password' })
      .optional(),
    /** The series documents are issued in (all three types), from GET /series. */
    series: series('series'),
    /** A different series for one document type, when the company keeps them apart. */
    seriesByKind: z
      .strictObject(
        {
          invoice: series('seriesByKind.invoice').optional(),
          credit_note: series('seriesByKind.credit_note').optional(),
          debit_note: series('seriesByKind.debit_note').optional(),
        },
        { error: 'seriesByKind must be an object with invoice, credit_note and/or debit_note' },
      )
      .default({}),
    numbering: z
      .strictObject(
        {
          invoice: numbering('numbering.invoice').optional(),
          credit_note: numbering('numbering.credit_note').optional(),
          debit_note: numbering('numbering.debit_note').optional(),
        },
        { error: 'numbering must be an object with invoice, credit_note and/or debit_note' },
      )
      .default({}),
    /** SucursalStrongId (GET /commercialOffice) for documents whose mapping does not set one. */
    sucursalStrongId: z.string({ error: 'sucursalStrongId must be text' }).regex(GUID, { error: 'sucursalStrongId must be a GUID' }).optional(),
    batch: z
      .strictObject(
        {
          maxDocuments: positiveInt('batch.maxDocuments').max(1000, { error: 'batch.maxDocuments must be at most 1000' }).default(100),
          /** Documents per `documents/create` call; the server's maximum is not published [NF]. */
          chunkSize: positiveInt('batch.chunkSize').max(500, { error: 'batch.chunkSize must be at most 500' }).default(50),
          lingerMs: z
            .number({ error: 'batch.lingerMs must be a number of milliseconds' })
            .int({ error: 'batch.lingerMs must be a whole number' })
            .nonnegative({ error: 'batch.lingerMs must not be negative' })
            .default(2000),
          maxBytes: positiveInt('batch.maxBytes').default(5 * 1024 * 1024),
        },
        { error: 'batch must be an object' },
      )
      .default({ maxDocuments: 100, chunkSize: 50, lingerMs: 2000, maxBytes: 5 * 1024 * 1024 }),
    /** How often to ask for control numbers; the imprenta takes about a minute (1–5 min). */
    statusPollMs: positiveInt('statusPollMs').default(30_000),
  })
  .superRefine((config, ctx) => {
    if (!config.password === !config.passwordSha512) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'give exactly one of password or passwordSha512' });
    }
  });

export type UnidigitalTargetConfig = z.infer<typeof UnidigitalTargetConfig>;
export type UnidigitalTargetConfigInput = z.input<typeof UnidigitalTargetConfig>;

/** Parses a config block; throws one Error listing every problem as `key: reason`. */
export function parseUnidigitalTargetConfig(input: unknown): UnidigitalTargetConfig {
  const parsed = UnidigitalTargetConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return `${key ? `${key}: ` : ''}unknown key(s) ${issue.keys.join(', ')}`;
    return key && !issue.message.startsWith(key) ? `${key}: ${issue.message}` : issue.message;
  });
  throw new Error(`Invalid Unidigital target config: ${problems.join('; ')}`);
}
