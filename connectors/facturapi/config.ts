/**
 * Configuration of one FacturApi target account: one issuer (RUC) on one FacturApi tenant.
 * Every message names its key, so an admin can find the line to fix; values are never echoed
 * (the block holds the API key).
 */
import { z } from 'zod';
import { rucCheckDigit } from '../../src/domain/identifiers.js';
import { LOTE_MAX_BYTES, LOTE_MAX_DOCUMENTS } from './codes.js';
import type { FacturapiDocumentKind } from './wire.js';

const positiveInt = (key: string) =>
  z
    .number({ error: `${key} must be a whole number` })
    .int({ error: `${key} must be a whole number` })
    .positive({ error: `${key} must be greater than 0` });

/** `1`, `"1"` or `"001"` → `"001"`. SIFEN's establecimiento and punto de expedición are 3 digits. */
const threeDigits = (key: string) =>
  z
    .union([z.string(), z.number()], { error: `${key} must be a code of 1 to 3 digits, e.g. "001"` })
    .transform((value) => String(value).trim())
    .refine((value) => /^\d{1,3}$/.test(value) && Number(value) > 0, { error: `${key} must be 1 to 3 digits and not 0, e.g. "001"` })
    .transform((value) => value.padStart(3, '0'));

const numberingRange = (key: string) =>
  z
    .strictObject(
      {
        establecimiento: threeDigits(`${key}.establecimiento`).optional(),
        punto: threeDigits(`${key}.punto`).optional(),
        firstNumber: positiveInt(`${key}.firstNumber`).max(9_999_999, { error: `${key}.firstNumber must be at most 9999999 (7 digits)` }).default(1),
        lastNumber: positiveInt(`${key}.lastNumber`).max(9_999_999, { error: `${key}.lastNumber must be at most 9999999 (7 digits)` }).default(9_999_999),
      },
      { error: `${key} must be an object with firstNumber (and optionally establecimiento, punto, lastNumber)` },
    )
    .refine((range) => range.lastNumber >= range.firstNumber, { error: `${key}.lastNumber must not be below ${key}.firstNumber`, path: ['lastNumber'] });

const DEFAULT_RANGE = { firstNumber: 1, lastNumber: 9_999_999 };

export const FacturapiTargetConfig = z
  .strictObject({
    type: z.literal('facturapi', { error: 'type must be "facturapi"' }),
    baseUrl: z
      .url({ error: 'baseUrl must be an http(s) URL such as http://127.0.0.1:3004' })
      .refine((url) => /^https?:\/\//i.test(url), { error: 'baseUrl must start with http:// or https://' })
      .transform((url) => url.replace(/\/+$/, '')),
    tenantId: z
      .string({ error: 'tenantId is required (the tenant segment of the API URL, e.g. "puente-demo")' })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'tenantId must be 1-64 letters, digits, - or _' }),
    apiKey: z
      .string({ error: 'apiKey is required (the API key FacturApi issued, "api_key_…")' })
      .regex(/^\S{8,}$/, { error: 'apiKey must be at least 8 characters without spaces' }),
    ruc: z
      .string({ error: 'ruc is required: the issuer RUC with its check digit, e.g. "80069563-1"' })
      .transform((value) => value.trim())
      .superRefine((value, ctx) => {
        const match = /^([0-9A-Za-z]{1,8})-(\d)$/.exec(value);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: 'ruc must be the RUC and its check digit joined by "-", e.g. "80069563-1"' });
          return;
        }
        const expected = rucCheckDigit(match[1]!, 'ruc');
        if (expected !== match[2]) ctx.addIssue({ code: 'custom', message: `ruc has the wrong check digit: SET's modulo 11 gives ${expected}` });
      }),
    /** The issuer's: 1 persona física, 2 persona jurídica. Part of every CDC. */
    tipoContribuyente: z.union([z.literal(1), z.literal(2)], { error: 'tipoContribuyente must be 1 (persona física) or 2 (persona jurídica)' }),
    establecimiento: threeDigits('establecimiento').default('001'),
    punto: threeDigits('punto').default('001'),
    numbering: z
      .strictObject(
        {
          invoice: numberingRange('numbering.invoice').default(DEFAULT_RANGE),
          credit_note: numberingRange('numbering.credit_note').default(DEFAULT_RANGE),
          debit_note: numberingRange('numbering.debit_note').default(DEFAULT_RANGE),
        },
        { error: 'numbering must be an object with invoice, credit_note and/or debit_note' },
      )
      .default({ invoice: DEFAULT_RANGE, credit_note: DEFAULT_RANGE, debit_note: DEFAULT_RANGE }),
    requestsPerMinute: positiveInt('requestsPerMinute').max(6000, { error: 'requestsPerMinute must be at most 6000' }).default(60),
    batch: z
      .strictObject(
        {
          maxDocuments: positiveInt('batch.maxDocuments')
            .max(LOTE_MAX_DOCUMENTS, { error: `batch.maxDocuments must be at most ${LOTE_MAX_DOCUMENTS} (SIFEN's lote limit)` })
            .default(LOTE_MAX_DOCUMENTS),
          lingerMs: z
            .number({ error: 'batch.lingerMs must be a number of milliseconds' })
            .int({ error: 'batch.lingerMs must be a whole number' })
            .nonnegative({ error: 'batch.lingerMs must not be negative' })
            .default(2000),
          maxBytes: positiveInt('batch.maxBytes')
            .max(LOTE_MAX_BYTES, { error: `batch.maxBytes must be at most ${LOTE_MAX_BYTES} (SIFEN's 1000 KB per request)` })
            .default(LOTE_MAX_BYTES),
        },
        { error: 'batch must be an object' },
      )
      .default({ maxDocuments: LOTE_MAX_DOCUMENTS, lingerMs: 2000, maxBytes: LOTE_MAX_BYTES }),
    /**
     * Secret the 9-digit security code of each CDC is derived from (cdc.ts). Defaults to the API
     * key; set a stable one if the key may be rotated while documents are in flight.
     */
    securityCodeSecret: z.string({ error: 'securityCodeSecret must be a string' }).min(16, { error: 'securityCodeSecret must be at least 16 characters' }).optional(),
    /** Whether the FacturApi account rounds PYG totals to multiples of 50 (xmlgen's redondeoSedeco, default true). */
    redondeoSedeco: z.boolean({ error: 'redondeoSedeco must be true or false' }).default(true),
  });

export type FacturapiTargetConfig = z.infer<typeof FacturapiTargetConfig>;
export type FacturapiTargetConfigInput = z.input<typeof FacturapiTargetConfig>;

/** Where documents of one kind are numbered: establecimiento, punto and the authorized range. */
export interface NumberingSeries {
  establecimiento: string;
  punto: string;
  /** `${establecimiento}-${punto}`, the pipeline's series. */
  series: string;
  firstNumber: number;
  lastNumber: number;
}

export function numberingSeries(config: FacturapiTargetConfig, kind: FacturapiDocumentKind): NumberingSeries {
  const range = config.numbering[kind];
  const establecimiento = range.establecimiento ?? config.establecimiento;
  const punto = range.punto ?? config.punto;
  return { establecimiento, punto, series: `${establecimiento}-${punto}`, firstNumber: range.firstNumber, lastNumber: range.lastNumber };
}

/** The issuer as the CDC needs it. */
export function issuerOf(config: FacturapiTargetConfig): { ruc: string; dv: string; tipoContribuyente: number } {
  const [ruc = '', dv = ''] = config.ruc.split('-');
  return { ruc, dv, tipoContribuyente: config.tipoContribuyente };
}

/** Parses a config block and throws one Error listing every problem as `key: reason`. */
export function parseFacturapiTargetConfig(input: unknown): FacturapiTargetConfig {
  const parsed = FacturapiTargetConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return `${key ? `${key}: ` : ''}unknown key(s) ${issue.keys.join(', ')}`;
    return key && !issue.message.startsWith(key) ? `${key}: ${issue.message}` : issue.message;
  });
  throw new Error(`Invalid FacturApi target config: ${problems.join('; ')}`);
}
