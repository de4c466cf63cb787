/**
 * Unidigital wire documents: the body of `documents/createandapprove` and of each `Docs[]` item of a
 * batch `documents/create` (reference §2.5), for FA (invoice), NC (credit note) and ND (debit note).
 *
 * `unidigitalWireSchema(kind)` is what the pipeline validates a stage-2 mapping's output with, and its
 * output is exactly the body Puente sends. It does three things:
 * 1. checks the shape and every required field, with messages that name the field (and, where the
 *    reference quotes one, Unidigital's own message);
 * 2. completes what is arithmetic over other fields and that the mapping language cannot compute
 *    (amounts.ts: line totals, IGTF, GrandTotal, every `*VES` mirror, AmountLetters) and normalises
 *    formats the imprenta is strict about (EmissionDateAndTime with −04:00, FiscalRegistry digits);
 * 3. audits the amounts exactly as the imprenta would, so a document that would be rejected (and
 *    might burn a correlativo) is stopped before it is sent.
 * Amounts may be given as decimal strings or JSON numbers; they are computed as decimals and written
 * as JSON numbers, the type the .NET API binds decimals from.
 */
import { z } from 'zod';
import type { DocumentKind } from '../../src/domain/fiscal-document.js';
import { Dec } from '../../src/domain/money.js';
import { amountInLetters } from './amount-letters.js';
import {
  HEADER_AMOUNT_FIELDS,
  LEGAL_PERCENTS,
  LINE_AMOUNT_FIELDS,
  TAX_CODES,
  VES_MIRRORED_FIELDS,
  auditAmounts,
  deriveAmounts,
  type AmountProblem,
  type DocumentAmounts,
  type HeaderAmountField,
  type LegalPercentField,
  type LineAmountField,
  type TaxCode,
  type VesField,
} from './amounts.js';

export const UNIDIGITAL_KINDS = ['invoice', 'credit_note', 'debit_note'] as const;
export type UnidigitalKind = (typeof UNIDIGITAL_KINDS)[number];

/** Unidigital's `DocumentType` code per document kind (§2.6). There is no export-invoice type. */
export const DOCUMENT_TYPE = { invoice: 'FA', credit_note: 'NC', debit_note: 'ND' } as const satisfies Record<UnidigitalKind, string>;
export type DocumentTypeCode = (typeof DOCUMENT_TYPE)[UnidigitalKind];
export const KIND_OF_DOCUMENT_TYPE: Readonly<Record<DocumentTypeCode, UnidigitalKind>> = { FA: 'invoice', NC: 'credit_note', ND: 'debit_note' };

export function isUnidigitalKind(kind: DocumentKind): kind is UnidigitalKind {
  return (UNIDIGITAL_KINDS as readonly string[]).includes(kind);
}

export const FISCAL_REGISTRY_CODES = ['V', 'E', 'J', 'G', 'P'] as const;
/** Venezuela has kept −04:00 all year since 2016; the imprenta wants the offset written out. */
export const VENEZUELA_OFFSET = '-04:00';
/** `OperationCode` C001 = venta de bienes y servicios, the only code the reference has seen. */
export const DEFAULT_OPERATION_CODE = 'C001';

// ─── input shape ─────────────────────────────────────────────────────────────────────────────────

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const decimal = (field: string) =>
  z.union([z.number(), z.string().regex(DECIMAL_TEXT)], {
    error: `${field} must be a number or a decimal string such as "1234.50"`,
  });

const text = (field: string, message = `'${field}' no debería estar vacío`) =>
  z.string({ error: message }).refine((value) => value.trim() !== '', { error: message });

const optionalText = (field: string) => z.string({ error: `${field} must be text` }).optional();

const amountFields = <F extends string>(fields: readonly F[]) =>
  Object.fromEntries(fields.map((field) => [field, decimal(field).optional()])) as Record<F, z.ZodOptional<ReturnType<typeof decimal>>>;

const VES_FIELDS = VES_MIRRORED_FIELDS.map((field) => `${field}VES` as VesField);

export const DetailInput = z.strictObject({
  Description: text('Description'),
  Quantity: decimal('Quantity'),
  UnitPrice: decimal('UnitPrice'),
  ...amountFields(LINE_AMOUNT_FIELDS.filter((f) => f !== 'Quantity' && f !== 'UnitPrice')),
  TaxCode: z.enum(TAX_CODES, { error: 'TaxCode must be G (16 %), R (8 %), A (31 %, suntuario) or E (exento)' }),
  IsExempt: z.boolean({ error: 'IsExempt must be true or false' }).optional(),
  ProductType: z.number({ error: 'ProductType must be a whole number (1 = producto)' }).int().positive().optional(),
  OperationCode: text('OperationCode', 'Debe indicar el código de operación del producto facturado (OperationCode, e.g. C001)'),
  UnitMeasureCode: optionalText('UnitMeasureCode'),
});

const headerShape = {
  // Optional here: the series belongs to the account, so a target's wireSchema(kind) fills it in from
  // its config (and requires it); these standalone schemas check a mapping's output without one.
  SerieStrongId: z.string({ error: 'SerieStrongId must be the strongId of the series, a GUID' }).regex(GUID, { error: 'SerieStrongId must be a GUID (the series strongId from GET /series)' }).optional(),
  SucursalStrongId: z.union([z.literal(''), z.string().regex(GUID)], { error: 'SucursalStrongId must be a GUID (GET /commercialOffice) or empty' }).optional(),
  Number: z.number({ error: 'Number must be a whole number (the correlativo of the series and document type)' }).int().positive({ error: 'Number must be 1 or more' }),
  EmissionDateAndTime: z.iso.datetime({ offset: true, local: false, error: 'EmissionDateAndTime must be an ISO date-time with its offset, e.g. 2026-09-22T10:15:00.000-04:00' }),
  SystemReference: z.string({ error: 'SystemReference must be text' }).max(200, { error: 'SystemReference must be at most 200 characters' }).optional(),
  Name: text('Name'),
  FiscalRegistryCode: z.enum(FISCAL_REGISTRY_CODES, { error: 'FiscalRegistryCode must be V, E, J, G or P' }).optional(),
  FiscalRegistry: text('Fiscal Registry'),
  Address: text('Address', "'Address' no debería estar vacío: the imprenta requires the buyer's address on every invoice, even for a final consumer"),
  Phone: optionalText('Phone'),
  EmailTo: text('Email To').pipe(z.email({ error: 'EmailTo must be an e-mail address' })),
  EmailCc: optionalText('EmailCc'),
  PaymentType: optionalText('PaymentType'),
  Currency: z.string({ error: 'Currency is required (VES, USD, …)' }).regex(/^[A-Z]{3}$/, { error: 'Currency must be an ISO 4217 code such as VES or USD' }),
  ConversionCurrency: z.literal('VES', { error: 'ConversionCurrency must be "VES"' }).optional(),
  ExchangeRate: decimal('ExchangeRate').optional(),
  ...amountFields(HEADER_AMOUNT_FIELDS),
  ...amountFields(Object.keys(LEGAL_PERCENTS) as LegalPercentField[]),
  ...amountFields(VES_FIELDS),
  AmountLetters: optionalText('AmountLetters'),
  AmountLettersVES: optionalText('AmountLettersVES'),
  TaxPercentVES: decimal('TaxPercentVES').optional(),
  TaxPercentReducedVES: decimal('TaxPercentReducedVES').optional(),
  TaxPercentSumptuaryVES: decimal('TaxPercentSumptuaryVES').optional(),
  Note1: optionalText('Note1'),
  Note2: optionalText('Note2'),
  Note3: optionalText('Note3'),
  ShippingAddress: optionalText('ShippingAddress'),
  Extra: z.record(z.string(), z.unknown(), { error: 'Extra must be an object' }).optional(),
  AffectedDocumentNumber: z.number({ error: 'AffectedDocumentNumber must be a whole number (the Number of the affected invoice)' }).int().positive().optional(),
  Details: z.array(DetailInput, { error: 'Details must be a list of lines' }).min(1, { error: 'Details needs at least one line' }),
};

export const DocumentInput = z.strictObject({
  DocumentType: z.enum(['FA', 'NC', 'ND'], { error: 'DocumentType must be FA, NC or ND' }),
  ...headerShape,
});
export type DocumentInput = z.infer<typeof DocumentInput>;

// ─── output ──────────────────────────────────────────────────────────────────────────────────────

export interface UnidigitalDetail {
  Description: string;
  Quantity: number;
  UnitPrice: number;
  Amount: number;
  Discount: number;
  AmountPlusDiscount: number;
  TaxAmount: number;
  TaxPercent: number;
  TaxCode: TaxCode;
  IsExempt: boolean;
  TotalAmount: number;
  ProductType: number;
  OperationCode: string;
  UnitMeasureCode?: string;
}

/** A complete Unidigital document, as sent. */
export type UnidigitalDocument = {
  /** Always present in what a target sends (its wireSchema fills it in). */
  SerieStrongId?: string;
  SucursalStrongId?: string;
  DocumentType: DocumentTypeCode;
  Number: number;
  EmissionDateAndTime: string;
  SystemReference?: string;
  Name: string;
  FiscalRegistryCode: (typeof FISCAL_REGISTRY_CODES)[number];
  FiscalRegistry: string;
  Address: string;
  Phone?: string;
  EmailTo: string;
  EmailCc?: string;
  PaymentType?: string;
  Currency: string;
  ConversionCurrency: 'VES';
  ExchangeRate: number;
  AmountLetters: string;
  AmountLettersVES: string;
  Note1?: string;
  Note2?: string;
  Note3?: string;
  ShippingAddress?: string;
  Extra?: Record<string, unknown>;
  AffectedDocumentNumber?: number;
  Details: UnidigitalDetail[];
} & Partial<Record<'PreviousBalance' | 'IGTFBaseAmount' | 'IGTFAmount', number>> &
  Record<Exclude<HeaderAmountField, 'PreviousBalance' | 'IGTFBaseAmount' | 'IGTFAmount'>, number> &
  Record<LegalPercentField, number> &
  Record<VesField, number>;

// ─── conversions ─────────────────────────────────────────────────────────────────────────────────

function dec(value: number | string | undefined): Dec | undefined {
  if (value === undefined) return undefined;
  // A JSON number is already a double; its shortest text form is the value the sender meant.
  return new Dec(typeof value === 'number' ? String(value) : value);
}

/** The amounts of a parsed document as exact decimals (nothing derived). */
export function amountsOf(doc: DocumentInput): DocumentAmounts {
  const header: DocumentAmounts['header'] = {};
  for (const field of HEADER_AMOUNT_FIELDS) {
    const value = dec(doc[field]);
    if (value !== undefined) header[field] = value;
  }
  const percents: DocumentAmounts['percents'] = {};
  for (const field of Object.keys(LEGAL_PERCENTS) as LegalPercentField[]) {
    const value = dec(doc[field]);
    if (value !== undefined) percents[field] = value;
  }
  const ves: DocumentAmounts['ves'] = {};
  for (const field of VES_FIELDS) {
    const value = dec(doc[field]);
    if (value !== undefined) ves[field] = value;
  }
  return {
    currency: doc.Currency,
    exchangeRate: dec(doc.ExchangeRate),
    percents,
    header,
    ves,
    lines: doc.Details.map((detail) => {
      const values: Partial<Record<LineAmountField, Dec>> = {};
      for (const field of LINE_AMOUNT_FIELDS) {
        const value = dec(detail[field]);
        if (value !== undefined) values[field] = value;
      }
      return { taxCode: detail.TaxCode, isExempt: detail.IsExempt, values };
    }),
  };
}

/** JSON numbers print their shortest round-trip form, so up to 15 significant digits are exact. */
function jsonNumber(value: Dec, path: (string | number)[], ctx: z.RefinementCtx): number {
  if (value.precision(true) > 15) {
    ctx.addIssue({ code: 'custom', path, message: `${path.join('.')} (${value.toFixed()}) has more than 15 significant digits and cannot be sent exactly as a JSON number` });
  }
  return Number(value.toFixed());
}

/**
 * EmissionDateAndTime in Venezuelan time with milliseconds, `2026-09-22T10:15:00.000-04:00`, the
 * form the integrator notes found the imprenta to accept; the instant is kept, whatever offset it came in.
 */
export function venezuelanDateTime(iso: string): string {
  const instant = Date.parse(iso);
  const local = new Date(instant - 4 * 3_600_000).toISOString(); // UTC−4 wall clock, written as if UTC
  return `${local.slice(0, 23)}${VENEZUELA_OFFSET}`;
}

/**
 * `J-12345678-9`, `j123456789`, `V 12.345.678` → code + digits. A letter in the registry wins when
 * no code was given; a letter that contradicts the given code is an error.
 */
export function splitFiscalRegistry(registry: string, code: string | undefined): { code?: string; digits: string; problem?: string } {
  const compact = registry.trim().toUpperCase().replace(/[\s.\-/]/g, '');
  const match = /^([VEJGP])?(\d+)$/.exec(compact);
  if (!match) return { digits: compact, problem: 'FiscalRegistry must be the RIF or cédula digits, optionally led by its letter (J-12345678-9, V12345678)' };
  const letter = match[1];
  if (letter && code && letter !== code) return { digits: match[2]!, problem: `FiscalRegistry starts with ${letter} but FiscalRegistryCode is ${code}` };
  const chosen = code ?? letter;
  return chosen ? { code: chosen, digits: match[2]! } : { digits: match[2]! };
}

function issue(ctx: z.RefinementCtx, problem: Pick<AmountProblem, 'path' | 'message'>): void {
  ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
}

/** Parsed input → the complete document, or issues on ctx (then the return value is ignored). */
function complete(doc: DocumentInput, ctx: z.RefinementCtx, expectedType: DocumentTypeCode | undefined): UnidigitalDocument {
  if (expectedType && doc.DocumentType !== expectedType) {
    issue(ctx, { path: ['DocumentType'], message: `DocumentType must be ${expectedType} for this kind of document (got ${doc.DocumentType})` });
  }
  if (doc.DocumentType !== 'FA' && doc.AffectedDocumentNumber === undefined) {
    issue(ctx, { path: ['AffectedDocumentNumber'], message: `AffectedDocumentNumber is required on a ${doc.DocumentType}: the Number of the invoice it corrects` });
  }
  const registry = splitFiscalRegistry(doc.FiscalRegistry, doc.FiscalRegistryCode);
  if (registry.problem) issue(ctx, { path: ['FiscalRegistry'], message: registry.problem });
  else if (!registry.code) issue(ctx, { path: ['FiscalRegistryCode'], message: 'FiscalRegistryCode is required: V, E, J, G or P (or lead FiscalRegistry with that letter)' });
  if (doc.Currency !== 'VES' && doc.ExchangeRate === undefined) {
    issue(ctx, {
      path: ['ExchangeRate'],
      message: `ExchangeRate is required for a document in ${doc.Currency}: the BCV rate to VES of the issue date (the FiscalDocument's exchangeRate with toCurrency VES)`,
    });
    return z.NEVER;
  }

  const amounts = deriveAmounts(amountsOf(doc));
  for (const problem of auditAmounts(amounts)) issue(ctx, problem);

  const header = amounts.header;
  const out: Record<string, unknown> = {
    ...(doc.SerieStrongId ? { SerieStrongId: doc.SerieStrongId } : {}),
    ...(doc.SucursalStrongId ? { SucursalStrongId: doc.SucursalStrongId } : {}),
    DocumentType: doc.DocumentType,
    Number: doc.Number,
    EmissionDateAndTime: venezuelanDateTime(doc.EmissionDateAndTime),
    ...(doc.SystemReference !== undefined ? { SystemReference: doc.SystemReference } : {}),
    Name: doc.Name.trim(),
    FiscalRegistryCode: registry.code,
    FiscalRegistry: registry.digits,
    Address: doc.Address.trim(),
    ...(doc.Phone ? { Phone: doc.Phone } : {}),
    EmailTo: doc.EmailTo.trim(),
    ...(doc.EmailCc ? { EmailCc: doc.EmailCc } : {}),
    ...(doc.PaymentType ? { PaymentType: doc.PaymentType } : {}),
    Currency: doc.Currency,
    ConversionCurrency: 'VES',
    ExchangeRate: jsonNumber(amounts.exchangeRate ?? new Dec(1), ['ExchangeRate'], ctx),
  };
  for (const field of HEADER_AMOUNT_FIELDS) {
    const value = header[field];
    // Base and amount of IGTF are sent only when IGTF applies (§2.5); PreviousBalance only when given.
    if (value === undefined) continue;
    out[field] = jsonNumber(value, [field], ctx);
  }
  for (const field of Object.keys(LEGAL_PERCENTS) as LegalPercentField[]) out[field] = jsonNumber(amounts.percents[field]!, [field], ctx);
  // Galac also sends the rates mirrored; harmless and keeps every *VES field present.
  out.TaxPercentVES = LEGAL_PERCENTS.TaxPercent;
  out.TaxPercentReducedVES = LEGAL_PERCENTS.TaxPercentReduced;
  out.TaxPercentSumptuaryVES = LEGAL_PERCENTS.TaxPercentSumptuary;
  for (const field of VES_FIELDS) {
    const value = amounts.ves[field];
    if (value !== undefined) out[field] = jsonNumber(value, [field], ctx);
  }
  const grandTotal = header.GrandTotal ?? new Dec(0);
  out.AmountLetters = doc.AmountLetters ?? amountInLetters(grandTotal, doc.Currency);
  out.AmountLettersVES = doc.AmountLettersVES ?? amountInLetters(amounts.ves.GrandTotalVES ?? grandTotal, 'VES');
  for (const key of ['Note1', 'Note2', 'Note3', 'ShippingAddress', 'Extra', 'AffectedDocumentNumber'] as const) {
    if (doc[key] !== undefined) out[key] = doc[key];
  }
  out.Details = doc.Details.map((detail, i) => {
    const line = amounts.lines[i]!;
    const at = (field: string) => ['Details', i, field];
    const value = (field: LineAmountField) => jsonNumber(line.values[field] ?? new Dec(0), at(field), ctx);
    return {
      Description: describedQuantity(detail.Description.trim(), line.values.Quantity),
      Quantity: value('Quantity'),
      UnitPrice: value('UnitPrice'),
      Amount: value('Amount'),
      Discount: value('Discount'),
      AmountPlusDiscount: value('AmountPlusDiscount'),
      TaxAmount: value('TaxAmount'),
      TaxPercent: value('TaxPercent'),
      TaxCode: detail.TaxCode,
      IsExempt: line.isExempt ?? detail.TaxCode === 'E',
      TotalAmount: value('TotalAmount'),
      ProductType: detail.ProductType ?? 1,
      OperationCode: detail.OperationCode.trim(),
      ...(detail.UnitMeasureCode ? { UnitMeasureCode: detail.UnitMeasureCode } : {}),
    } satisfies UnidigitalDetail;
  });
  return out as UnidigitalDocument;
}

/**
 * The imprenta stores a fractional Quantity but prints it as "0" (§2.5), so a buyer would see 0 kg of
 * coffee on the PDF. The quantity is then written into the description as well.
 */
function describedQuantity(description: string, quantity: Dec | undefined): string {
  if (!quantity || quantity.isInteger()) return description;
  const written = quantity.toFixed();
  return description.includes(written) ? description : `${description} (cantidad ${written})`;
}

/** The schema of a wire document of `kind`: validates, completes and audits (see the module comment). */
export function unidigitalWireSchema(kind: UnidigitalKind) {
  return DocumentInput.transform((doc, ctx) => complete(doc, ctx, DOCUMENT_TYPE[kind]));
}

export const unidigitalWireSchemas = {
  invoice: unidigitalWireSchema('invoice'),
  credit_note: unidigitalWireSchema('credit_note'),
  debit_note: unidigitalWireSchema('debit_note'),
} as const;

/** One line per issue, `path: message`, for logs and rejections. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    return path ? `${path}: ${i.message}` : i.message;
  });
}
