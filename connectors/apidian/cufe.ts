/**
 * CUFE / CUDE and SoftwareSecurityCode (reference §1.9).
 *
 * The CUFE is what DIAN and the buyer use to find an invoice; a credit or debit note that corrects it
 * must quote it exactly (billing_reference.uuid). Puente's client and the sandbox both derive it from
 * the same wire document through `cufeInputFromWire`, so they cannot disagree about it.
 *
 * SHA-384, lowercase hex (96 chars), over:
 *   ID (prefix+number) + IssueDate + IssueTime (with offset, 16:59:27-05:00) + LineExtensionAmount
 *   + "01" + IVA + "04" + INC + "03" + ICA + PayableAmount + supplier NIT + customer id
 *   + technical key (CUFE) | software PIN (CUDE) + ProfileExecutionID (1 production, 2 test)
 * Amounts are written with exactly two decimals, as they appear in the UBL XML.
 */
import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { TAX_ID, TYPE_DOCUMENT_ID } from './ids.js';
import { monetaryTotalsOf, type ApidianDocumentKind, type ApidianWireDocument, type Numeric, type WireTaxTotal } from './wire.js';

/** An amount as the wire carries it (number or decimal string) or as Puente computes it. */
export type Amount = Numeric | Decimal;

/** Everything the CUFE/CUDE hashes except the secret that distinguishes them. */
export interface DocumentKeyFields {
  /** prefix + number, e.g. SETP990000001 */
  id: string;
  /** YYYY-MM-DD */
  issueDate: string;
  /** HH:mm:ss with offset, e.g. 16:59:27-05:00 */
  issueTime: string;
  lineExtensionAmount: Amount;
  /** Σ IVA (tax 01) of the document, 0 when it has none. */
  ivaAmount: Amount;
  /** Σ INC (tax 04). */
  incAmount: Amount;
  /** Σ ICA (tax 03). */
  icaAmount: Amount;
  payableAmount: Amount;
  /** The issuer's NIT, without check digit. */
  supplierNit: string;
  /** The buyer's identification number as sent. */
  customerId: string;
  /** 1 = production, 2 = test (habilitación). */
  profileExecutionId: 1 | 2;
}

export interface DocumentKeyInput extends DocumentKeyFields {
  algorithm: 'CUFE' | 'CUDE';
  /** The resolution's technical key (CUFE) or the software PIN (CUDE). */
  secret: string;
}

/** Two decimals, half away from zero, like the number_format APIDIAN writes into the XML. */
export function formatAmount(amount: Amount): string {
  const value = amount instanceof Decimal ? amount : new Decimal(typeof amount === 'number' ? String(amount) : amount.trim());
  return value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}

/** The string that is hashed, in DIAN's field order. */
export function documentKeySource(fields: DocumentKeyFields, secret: string): string {
  return [
    fields.id,
    fields.issueDate,
    fields.issueTime,
    formatAmount(fields.lineExtensionAmount),
    '01',
    formatAmount(fields.ivaAmount),
    '04',
    formatAmount(fields.incAmount),
    '03',
    formatAmount(fields.icaAmount),
    formatAmount(fields.payableAmount),
    fields.supplierNit,
    fields.customerId,
    secret,
    String(fields.profileExecutionId),
  ].join('');
}

function sha384(text: string): string {
  return createHash('sha384').update(text, 'utf8').digest('hex');
}

/** CUFE of an invoice (national or export): the secret is the resolution's technical key. */
export function computeCufe(fields: DocumentKeyFields & { technicalKey: string }): string {
  return sha384(documentKeySource(fields, fields.technicalKey));
}

/** CUDE of a credit or debit note: the secret is the software PIN. */
export function computeCude(fields: DocumentKeyFields & { softwarePin: string }): string {
  return sha384(documentKeySource(fields, fields.softwarePin));
}

export function computeDocumentKey(input: DocumentKeyInput): string {
  return sha384(documentKeySource(input, input.secret));
}

/** sha384(softwareID + pin + ID), the SoftwareSecurityCode of the UBL extension. */
export function softwareSecurityCode(softwareId: string, pin: string, id: string): string {
  return sha384(`${softwareId}${pin}${id}`);
}

/** What the issuing company contributes to the CUFE/CUDE. */
export interface IssuerKeyMaterial {
  /** The company's NIT, without check digit. */
  nit: string;
  /** Technical key of the resolution the invoice is numbered under (needed for invoices). */
  technicalKey?: string;
  /** Software PIN (needed for notes). */
  softwarePin?: string;
  /** type_environment_id: 1 production, 2 test. */
  environment: 1 | 2;
  /** Used when the wire document omits `prefix` (APIDIAN then takes the resolution's). */
  prefix?: string;
  /**
   * Used when the wire document omits `date` or `time`: APIDIAN stamps the current Bogotá time.
   * Callers that leave them out cannot predict the CUFE unless they pass the same instant.
   */
  now?: Date;
}

/** Colombia has no daylight saving time: Bogotá is always UTC−5. */
export const COLOMBIA_UTC_OFFSET = '-05:00';

/** Date and time in Bogotá for an instant: ['2026-11-20', '09:03:00']. */
export function bogotaDateTime(instant: Date): [string, string] {
  const shifted = new Date(instant.getTime() - 5 * 60 * 60 * 1000).toISOString();
  return [shifted.slice(0, 10), shifted.slice(11, 19)];
}

function sumTax(taxTotals: unknown, taxId: number): Decimal {
  if (!Array.isArray(taxTotals)) return new Decimal(0);
  return (taxTotals as WireTaxTotal[]).reduce((sum, tax) => {
    if (tax === null || typeof tax !== 'object' || Number(tax.tax_id) !== taxId) return sum;
    const amount = tax.tax_amount;
    return amount === undefined || amount === null || amount === '' ? sum : sum.plus(new Decimal(String(amount).trim()));
  }, new Decimal(0));
}

/**
 * Derives the CUFE/CUDE input of a wire document: IVA/INC/ICA are the sums of the document-level
 * tax_totals with tax_id 1/4/3; debit notes read requested_monetary_totals; the time gets Bogotá's
 * offset. Throws when the document or the issuer lacks what the key needs (no silent defaults).
 */
export function cufeInputFromWire(kind: ApidianDocumentKind, wire: ApidianWireDocument, issuer: IssuerKeyMaterial): DocumentKeyInput {
  const doc = wire as Record<string, unknown>;
  const algorithm = kind === 'invoice' || kind === 'export_invoice' ? 'CUFE' : 'CUDE';
  const secret = algorithm === 'CUFE' ? issuer.technicalKey : issuer.softwarePin;
  if (!secret) {
    throw new Error(
      algorithm === 'CUFE'
        ? `a ${kind} CUFE needs the resolution's technical key; configure it for type_document_id ${TYPE_DOCUMENT_ID[kind]}`
        : `a ${kind} CUDE needs the software PIN; configure the APIDIAN software`,
    );
  }
  const prefix = doc.prefix === undefined || doc.prefix === null || doc.prefix === '' ? issuer.prefix ?? '' : String(doc.prefix).trim();
  if (doc.number === undefined || doc.number === null) throw new Error('the wire document has no number, so it has no CUFE/CUDE');
  let date = typeof doc.date === 'string' && doc.date.trim() !== '' ? doc.date.trim() : undefined;
  let time = typeof doc.time === 'string' && doc.time.trim() !== '' ? doc.time.trim() : undefined;
  if (date === undefined || time === undefined) {
    if (!issuer.now) throw new Error('the wire document has no date/time; pass the instant APIDIAN stamped (issuer.now)');
    const [nowDate, nowTime] = bogotaDateTime(issuer.now);
    date ??= nowDate;
    time ??= nowTime;
  }
  const totals = monetaryTotalsOf(kind, wire);
  if (!totals || typeof totals !== 'object') {
    throw new Error(`the wire document has no ${kind === 'debit_note' ? 'requested_monetary_totals' : 'legal_monetary_totals'}`);
  }
  const customer = doc.customer as Record<string, unknown> | undefined;
  return {
    algorithm,
    secret,
    // APIDIAN stores the number as an integer: "0990000001" becomes 990000001 in the XML ID.
    id: `${prefix}${String(doc.number).trim().replace(/^0+(?=\d)/, '')}`,
    issueDate: date,
    issueTime: `${time}${COLOMBIA_UTC_OFFSET}`,
    lineExtensionAmount: totals.line_extension_amount,
    ivaAmount: sumTax(doc.tax_totals, TAX_ID.IVA),
    incAmount: sumTax(doc.tax_totals, TAX_ID.INC),
    icaAmount: sumTax(doc.tax_totals, TAX_ID.ICA),
    payableAmount: totals.payable_amount,
    supplierNit: issuer.nit,
    customerId: String(customer?.identification_number ?? '').trim(),
    profileExecutionId: issuer.environment,
  };
}
