/**
 * The simulated DIAN: judges signed documents and renders its SOAP answers the way APIDIAN converts
 * them to JSON (reference §1.8): attributes under `_attributes`, every value a string, ErrorMessage
 * `{}` / `{string:"…"}` / `{string:[…]}`.
 *
 * APIDIAN itself never checks totals; DIAN does, and a rejection still travels in an HTTP 200 with
 * success:true. The rules simulated here are the ones a connector most often breaks:
 * - Regla 90: the document was already processed (same number, or same CUFE/CUDE) — the real text.
 * - LineExtensionAmount ≠ Σ line LineExtensionAmount, PayableAmount ≠ TaxInclusive − Allowance +
 *   Charge − PrePaid, a line tax ≠ base × percent beyond 0.01.
 * - A note whose billing_reference.uuid is no CUFE this DIAN validated.
 * The rule codes follow DIAN's naming (FA* invoices, CA* credit notes, DA* debit notes); the exact
 * code numbers of the totals and reference rules are our choice [NF].
 */
import { Decimal } from 'decimal.js';
import type { ApidianDocumentKind } from '../wire.js';
import { linesOf, monetaryTotalsOf, type ApidianWireDocument, type WireTaxTotal } from '../wire.js';
import type { DianVerdict, JudgedDocument, SandboxCompany, SignedDocument } from './state.js';

const RULE_PREFIX: Record<ApidianDocumentKind, string> = {
  invoice: 'FA',
  export_invoice: 'FA',
  credit_note: 'CA',
  debit_note: 'DA',
};

const DOCUMENT_NAME: Record<ApidianDocumentKind, string> = {
  invoice: 'La Factura electrónica',
  export_invoice: 'La Factura electrónica',
  credit_note: 'La Nota Crédito electrónica',
  debit_note: 'La Nota Débito electrónica',
};

function decimal(value: unknown): Decimal {
  if (value === undefined || value === null || value === '') return new Decimal(0);
  try {
    return new Decimal(String(value).trim());
  } catch {
    return new Decimal(0);
  }
}

const cents = (value: Decimal) => value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

/** The checks on amounts DIAN applies to the UBL (which carries the wire's numbers unchanged). */
function totalsRejections(kind: ApidianDocumentKind, wire: ApidianWireDocument): string[] {
  const p = RULE_PREFIX[kind];
  const rejections: string[] = [];
  const totals = monetaryTotalsOf(kind, wire);
  const lines = linesOf(kind, wire);

  const linesSum = lines.reduce((sum, line) => sum.plus(decimal(line.line_extension_amount)), new Decimal(0));
  if (!cents(linesSum).equals(cents(decimal(totals.line_extension_amount)))) {
    rejections.push(
      `Regla: ${p}U04, Rechazo: El valor LineExtensionAmount (${cents(decimal(totals.line_extension_amount)).toFixed(2)}) no es igual a la suma de LineExtensionAmount de las líneas (${cents(linesSum).toFixed(2)}).`,
    );
  }

  const expectedPayable = decimal(totals.tax_inclusive_amount)
    .minus(decimal(totals.allowance_total_amount))
    .plus(decimal(totals.charge_total_amount))
    .minus(decimal(totals.pre_paid_amount));
  if (!cents(expectedPayable).equals(cents(decimal(totals.payable_amount)))) {
    rejections.push(
      `Regla: ${p}U14, Rechazo: El valor PayableAmount (${cents(decimal(totals.payable_amount)).toFixed(2)}) no es igual a TaxInclusiveAmount - AllowanceTotalAmount + ChargeTotalAmount - PrepaidAmount (${cents(expectedPayable).toFixed(2)}).`,
    );
  }

  lines.forEach((line, index) => {
    const taxes = Array.isArray(line.tax_totals) ? (line.tax_totals as WireTaxTotal[]) : [];
    for (const tax of taxes) {
      // Taxes charged per unit (bag tax) have no percent to check against.
      if (tax.percent === undefined || tax.percent === null || tax.percent === '') continue;
      const expected = decimal(tax.taxable_amount).times(decimal(tax.percent)).dividedBy(100);
      if (expected.minus(decimal(tax.tax_amount)).abs().greaterThan('0.01')) {
        rejections.push(
          `Regla: ${p}X07, Rechazo: Línea ${index + 1}: TaxAmount (${decimal(tax.tax_amount).toFixed()}) no corresponde a TaxableAmount × Percent (${cents(expected).toFixed(2)}).`,
        );
      }
    }
  });
  return rejections;
}

export interface JudgeInput {
  company: SandboxCompany;
  document: SignedDocument;
  /** Every document judged before, in order. */
  history: readonly JudgedDocument[];
}

/** DIAN's verdict on one signed document. */
export function judge({ company, document, history }: JudgeInput): DianVerdict {
  const wire = document.wire as ApidianWireDocument & Record<string, unknown>;
  const mine = history.filter((judged) => judged.companyNit === company.nit && judged.verdict.isValid);

  const duplicate = mine.some(
    (judged) =>
      judged.key === document.key ||
      (judged.typeDocumentId === document.typeDocumentId && judged.fiscalNumber === document.fiscalNumber),
  );
  if (duplicate) return rejected(['Regla: 90, Rechazo: Documento procesado anteriormente.']);

  const rejections = totalsRejections(document.kind, wire);

  if (document.kind === 'credit_note' || document.kind === 'debit_note') {
    const reference = wire.billing_reference as { uuid?: unknown } | null | undefined;
    if (reference && typeof reference === 'object' && typeof reference.uuid === 'string') {
      const uuid = reference.uuid.trim().toLowerCase();
      const known = mine.some((judged) => (judged.kind === 'invoice' || judged.kind === 'export_invoice') && judged.key === uuid);
      if (!known) {
        const p = document.kind === 'credit_note' ? 'CB' : 'DB';
        rejections.push(`Regla: ${p}G03, Rechazo: El CUFE referenciado (${uuid}) no corresponde a una factura electrónica validada por la DIAN.`);
      }
    }
  }

  const notifications: string[] = [];
  if (document.kind === 'invoice' || document.kind === 'export_invoice') {
    const customer = wire.customer as { email?: unknown } | undefined;
    if (!customer || typeof customer.email !== 'string' || customer.email.trim() === '') {
      notifications.push('Regla: FAK55, Notificación: Correo electrónico no informado');
    }
  }

  if (rejections.length) return rejected([...rejections, ...notifications]);
  return {
    isValid: true,
    statusCode: '00',
    statusDescription: 'Procesado Correctamente.',
    statusMessage: `${DOCUMENT_NAME[document.kind]} ${document.fiscalNumber}, ha sido autorizada.`,
    errorMessages: notifications,
  };
}

function rejected(messages: string[]): DianVerdict {
  return {
    isValid: false,
    statusCode: '99',
    statusDescription: 'Validación contiene errores en campos mandatorios.',
    statusMessage: 'Documento con errores en campos mandatorios.',
    errorMessages: messages,
  };
}

/**
 * A zip DIAN has not finished: StatusCode "98" ("En proceso de validación"). Assumption [NF]: the
 * reference does not show DIAN's in-process answer; 98 is the code DIAN's web services use for it.
 */
export const IN_PROCESS_VERDICT: DianVerdict = {
  isValid: false,
  statusCode: '98',
  statusDescription: 'En proceso de validación.',
  statusMessage: 'El documento se encuentra en proceso de validación.',
  errorMessages: [],
};

/**
 * A ZipKey or CUFE DIAN does not know. Assumption [NF]: the reference shows no such answer; this
 * one says "not found" with StatusCode "66", keeping IsValid "false" and the usual fields.
 */
export const NOT_FOUND_VERDICT: DianVerdict = {
  isValid: false,
  statusCode: '66',
  statusDescription: 'TrackId no existe en los registros de la DIAN.',
  statusMessage: 'No se encontró el documento o el ZipKey consultado.',
  errorMessages: ['Regla: 66, Rechazo: TrackId no encontrado.'],
};

/** DIAN's ErrorMessage after XML→JSON: {} when empty, {string:"…"} for one, {string:[…]} for several. */
export function errorMessageJson(messages: readonly string[]): Record<string, never> | { string: string | string[] } {
  if (messages.length === 0) return {};
  if (messages.length === 1) return { string: messages[0] as string };
  return { string: [...messages] };
}

/** One DIAN result (SendBillSyncResult, DianResponse, GetStatusResult). */
export function dianResultJson(
  verdict: DianVerdict,
  document: { key: string; xmlFileName: string } | null,
  applicationResponseBase64: string | null,
): Record<string, unknown> {
  return {
    ErrorMessage: errorMessageJson(verdict.errorMessages),
    IsValid: verdict.isValid ? 'true' : 'false',
    StatusCode: verdict.statusCode,
    StatusDescription: verdict.statusDescription,
    StatusMessage: verdict.statusMessage,
    XmlBase64Bytes: applicationResponseBase64 ?? {},
    XmlBytes: { _attributes: { nil: 'true' } },
    XmlDocumentKey: document ? document.key : {},
    XmlFileName: document ? document.xmlFileName : {},
  };
}

/** The SOAP envelope APIDIAN returns as `ResponseDian`. */
export function soapEnvelope(action: string, body: Record<string, unknown>): Record<string, unknown> {
  return {
    Envelope: {
      Header: {
        Action: {
          _attributes: { mustUnderstand: '1' },
          _value: `http://wcf.dian.colombia/IWcfDianCustomerServices/${action}`,
        },
      },
      Body: body,
    },
  };
}
