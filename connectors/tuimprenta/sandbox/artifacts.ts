/**
 * The printable PDF and the XML of an issued document: what `GET /v1/invoices/{id}/pdf|xml` serve.
 * They carry the contents SENIAT asks every digital document to show (reference §3.2): denomination,
 * number and control number, issuer and buyer, date and time, lines, base and IVA per rate, IGTF,
 * totals, the bolívar equivalent at the BCV rate, and the imprenta's legend.
 */
import { Dec } from '../../../src/domain/money.js';
import { TUIMPRENTA_SANDBOX_SEED } from './seed.js';
import type { SandboxAccount, StoredInvoice } from './state.js';

const DENOMINATION: Record<StoredInvoice['document_type'], string> = {
  invoice: 'FACTURA',
  credit_note: 'NOTA DE CRÉDITO',
  debit_note: 'NOTA DE DÉBITO',
};
const LEGEND = 'Documento emitido conforme a la Providencia Administrativa SNAT/2024/000102';

interface Body {
  currency: string;
  customer: { name: string; identification: { type: string; number: string; check_digit?: string }; address: { line: string } };
  items: { code: string; description: string; quantity: string; unit_price: string; amount: string; tax_rate: string; tax_amount: string; discount: string }[];
  totals: { subtotal: string; tax_breakdown: { rate: string; base: string; tax: string }[]; tax_total: string; total: string };
  payment: { condition: string };
  related_invoice?: { control_number: string; number?: string; issue_date: string };
}

function buyerId(body: Body): string {
  const id = body.customer.identification;
  if (id.type === 'rif') return `${id.number.slice(0, 1)}-${id.number.slice(1)}-${id.check_digit ?? ''}`;
  if (id.type === 'cedula') return `V-${id.number}`;
  return id.number;
}

export function documentLines(account: SandboxAccount, invoice: StoredInvoice, verificationUrl: string): string[] {
  const body = invoice.body as unknown as Body;
  const lines = [
    `${DENOMINATION[invoice.document_type]} ${invoice.series}-${invoice.number}`,
    `N° de control: ${invoice.control_number ?? '(en proceso)'}`,
    `${account.businessName}  RIF ${account.rif}`,
    `Domicilio fiscal: ${account.fiscalAddress}`,
    `Fecha y hora de emisión: ${invoice.issued_at}`,
    `Cliente: ${body.customer.name}  ${buyerId(body)}`,
    `Domicilio: ${body.customer.address.line}`,
    `Condición de pago: ${body.payment.condition === 'credit' ? 'Crédito' : 'Contado'}`,
  ];
  if (body.related_invoice) {
    lines.push(`Afecta a la factura ${body.related_invoice.number ?? ''} control ${body.related_invoice.control_number} del ${body.related_invoice.issue_date}`);
  }
  for (const item of body.items) {
    lines.push(`${item.quantity} x ${item.description} @ ${item.unit_price}  desc. ${item.discount}  = ${item.amount}  IVA ${item.tax_rate}% ${item.tax_amount}`);
  }
  for (const entry of body.totals.tax_breakdown) {
    lines.push(new Dec(entry.rate).isZero() ? `Exento: ${entry.base}` : `Base imponible ${entry.rate}%: ${entry.base}  IVA: ${entry.tax}`);
  }
  lines.push(`Subtotal ${body.totals.subtotal}  IVA ${body.totals.tax_total}  Total ${body.totals.total} ${body.currency}`);
  lines.push(`IGTF ${invoice.igtf.rate}% sobre ${invoice.igtf.base}: ${invoice.igtf.amount}  Total a pagar ${invoice.grand_total} ${body.currency}`);
  if (invoice.totals_ves) {
    lines.push(`Equivalente en Bs. a tasa BCV ${invoice.totals_ves.exchange_rate}: total ${invoice.totals_ves.total}, IGTF ${invoice.totals_ves.igtf}, a pagar ${invoice.totals_ves.grand_total}`);
  }
  if (invoice.status === 'cancelled') lines.push(`ANULADO el ${invoice.cancellation?.cancelled_at ?? ''}`);
  lines.push(`Verificación: ${verificationUrl}`);
  lines.push(LEGEND);
  lines.push(`Imprenta digital: ${TUIMPRENTA_SANDBOX_SEED.imprenta.name}  RIF ${TUIMPRENTA_SANDBOX_SEED.imprenta.rif}`);
  return lines;
}

/** PDF string literal: Latin-1 (WinAnsi) bytes, with (, ) and \ escaped and the rest octal-escaped. */
function pdfText(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '(' || char === ')' || char === '\\') out += `\\${char}`;
    else if (code >= 32 && code < 127) out += char;
    else if (code < 256) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += '?';
  }
  return out;
}

/** A one-page PDF 1.4 with the document's lines in Helvetica; offsets in the xref table are exact. */
export function documentPdf(lines: string[]): Buffer {
  const content = ['BT', '/F1 9 Tf', '12 TL', '40 800 Td', ...lines.map((line) => `(${pdfText(line)}) '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

const escapeXml = (value: string) =>
  value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

function element(name: string, value: string | undefined | null): string {
  return value === undefined || value === null ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}

export function documentXml(account: SandboxAccount, invoice: StoredInvoice, verificationUrl: string): string {
  const body = invoice.body as unknown as Body;
  const items = body.items
    .map(
      (item) =>
        `<Linea>${element('Codigo', item.code)}${element('Descripcion', item.description)}${element('Cantidad', item.quantity)}${element('PrecioUnitario', item.unit_price)}${element('Descuento', item.discount)}${element('Monto', item.amount)}${element('Alicuota', item.tax_rate)}${element('IVA', item.tax_amount)}</Linea>`,
    )
    .join('');
  const taxes = body.totals.tax_breakdown
    .map((entry) => `<Impuesto>${element('Alicuota', entry.rate)}${element('BaseImponible', entry.base)}${element('Monto', entry.tax)}</Impuesto>`)
    .join('');
  const related = body.related_invoice
    ? `<DocumentoAfectado>${element('Numero', body.related_invoice.number)}${element('NumeroControl', body.related_invoice.control_number)}${element('Fecha', body.related_invoice.issue_date)}</DocumentoAfectado>`
    : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<DocumentoElectronico tipo="${invoice.document_type}">` +
    element('Denominacion', DENOMINATION[invoice.document_type]) +
    element('Serie', invoice.series) +
    element('Numero', invoice.number) +
    element('NumeroControl', invoice.control_number) +
    element('FechaHoraEmision', invoice.issued_at) +
    `<Emisor>${element('RazonSocial', account.businessName)}${element('RIF', account.rif)}${element('DomicilioFiscal', account.fiscalAddress)}</Emisor>` +
    `<Comprador>${element('Nombre', body.customer.name)}${element('Identificacion', buyerId(body))}${element('Domicilio', body.customer.address.line)}</Comprador>` +
    related +
    `<Lineas>${items}</Lineas>` +
    `<Totales>${element('Moneda', body.currency)}${element('Subtotal', body.totals.subtotal)}${taxes}${element('TotalIVA', body.totals.tax_total)}${element('Total', body.totals.total)}` +
    `<IGTF>${element('Base', invoice.igtf.base)}${element('Alicuota', invoice.igtf.rate)}${element('Monto', invoice.igtf.amount)}</IGTF>${element('TotalAPagar', invoice.grand_total)}</Totales>` +
    (invoice.totals_ves
      ? `<EquivalenteBs>${element('TasaBCV', invoice.totals_ves.exchange_rate)}${element('Total', invoice.totals_ves.total)}${element('IGTF', invoice.totals_ves.igtf)}${element('TotalAPagar', invoice.totals_ves.grand_total)}</EquivalenteBs>`
      : '') +
    element('Estado', invoice.status) +
    element('Verificacion', verificationUrl) +
    element('Leyenda', LEGEND) +
    `<Imprenta>${element('Nombre', TUIMPRENTA_SANDBOX_SEED.imprenta.name)}${element('RIF', TUIMPRENTA_SANDBOX_SEED.imprenta.rif)}</Imprenta>` +
    '</DocumentoElectronico>'
  );
}
