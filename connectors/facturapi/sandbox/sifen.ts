/**
 * The two stages a lote goes through in the sandbox:
 * 1. FacturApi (xmlgen): every document is validated and its XML "generated" — any problem refuses
 *    the whole lote (400) before anything reaches SIFEN, naming the documents at fault.
 * 2. SIFEN: each document gets its verdict (Aprobado / Aprobado con observación / Rechazado) when
 *    the lote arrives; the sandbox reveals it once the lote is processed.
 */
import { rucCheckDigit } from '../../../src/domain/identifiers.js';
import { computeCdc, isValidCdc, parseCdc } from '../cdc.js';
import { LOTE_MAX_DOCUMENTS, LOTE_MAX_DOCUMENTS_MESSAGE, SIFEN } from '../codes.js';
import { computeSifenAmounts, formatTotals } from '../tax.js';
import { validateDe, type FacturapiDe } from '../wire.js';
import type { SandboxTenant } from './seed.js';
import type { SandboxData, SandboxVerdict, StoredDocument } from './state.js';

/** xmlgen's defaults: the first 10 messages, joined by "; ". */
const ERROR_LIMIT = 10;
const ERROR_SEPARATOR = '; ';
/** SIFEN approves a DE sent more than 72 h after its emission, with an observation. */
const LATE_TRANSMISSION_MS = 72 * 60 * 60 * 1000;

export interface GeneratedDocument {
  cdc: string;
  data: FacturapiDe;
  totals: Record<string, string>;
}

export type LoteValidation =
  | { ok: true; documents: GeneratedDocument[] }
  | { ok: false; error: string; errores?: { indice: number; error: string }[] };

/** Stage 1: the lote rules and xmlgen's validation of each document. */
export function generateLote(body: unknown, tenant: SandboxTenant, random: () => number = Math.random): LoteValidation {
  if (!Array.isArray(body)) return { ok: false, error: 'El cuerpo de lote/create debe ser un arreglo de 1 a 50 documentos electrónicos' };
  if (body.length === 0 || body.length > LOTE_MAX_DOCUMENTS) return { ok: false, error: LOTE_MAX_DOCUMENTS_MESSAGE };
  const tipos = new Set(body.map((doc) => (doc && typeof doc === 'object' ? (doc as { tipoDocumento?: unknown }).tipoDocumento : undefined)));
  if (tipos.size > 1) return { ok: false, error: 'Un lote solo admite documentos electrónicos de un mismo tipo (tipoDocumento)' };

  const errores: { indice: number; error: string }[] = [];
  const documents: GeneratedDocument[] = [];
  const seen = new Set<string>();
  body.forEach((raw, indice) => {
    const messages = validateDe(raw, { fecha: 'local', redondeoSedeco: tenant.redondeoSedeco }).map((issue) => issue.message);
    const data = raw as FacturapiDe;
    if (messages.length === 0) {
      const establecimiento = String(data.establecimiento).padStart(3, '0');
      if (!tenant.establecimientos.includes(establecimiento)) {
        messages.push(`El Establecimiento ${establecimiento} en data.establecimiento no está habilitado en el timbrado ${tenant.timbrado}`);
      }
    }
    let cdc = '';
    if (messages.length === 0) {
      if (typeof data.cdc === 'string') {
        const parsed = parseCdc(data.cdc);
        if (!parsed || parsed.ruc !== tenant.ruc || parsed.dv !== tenant.dv || parsed.tipoContribuyente !== tenant.tipoContribuyente) {
          messages.push('El CDC en data.cdc no corresponde al emisor de esta cuenta (RUC, DV o tipo de contribuyente)');
        } else cdc = data.cdc;
      } else {
        const codigo = data.codigoSeguridadAleatorio ?? String(Math.floor(random() * 999_999_999) + 1);
        cdc = computeCdc({
          tipoDocumento: data.tipoDocumento,
          ruc: tenant.ruc,
          dv: tenant.dv,
          establecimiento: data.establecimiento,
          punto: data.punto,
          numero: data.numero,
          tipoContribuyente: tenant.tipoContribuyente,
          fecha: data.fecha,
          tipoEmision: data.tipoEmision ?? 1,
          codigoSeguridad: codigo,
        });
      }
      if (cdc && seen.has(cdc)) messages.push('El CDC de este documento se repite en el mismo lote');
    }
    if (messages.length > 0) {
      errores.push({ indice, error: messages.slice(0, ERROR_LIMIT).join(ERROR_SEPARATOR) });
      return;
    }
    seen.add(cdc);
    const totals = formatTotals(computeSifenAmounts(data, { redondeoSedeco: tenant.redondeoSedeco }));
    documents.push({ cdc, data, totals });
  });
  if (errores.length > 0) {
    return { ok: false, error: errores.map((e) => `Documento ${e.indice + 1}: ${e.error}`).join(ERROR_SEPARATOR), errores };
  }
  return { ok: true, documents };
}

/** Stage 2: SIFEN's verdict on one document, given everything it has already decided. */
export function judge(document: GeneratedDocument, tenant: SandboxTenant, data: SandboxData, now: Date, protocol: () => string): SandboxVerdict {
  const rejections: { dCodRes: string; dMsgRes: string }[] = [];
  const reject = (entry: { code: string; message: string }, detail?: string) =>
    rejections.push({ dCodRes: entry.code, dMsgRes: detail ? `${entry.message}: ${detail}` : entry.message });
  const approved = (doc: StoredDocument) => doc.tenant === tenant.id && (doc.verdict.dEstRes === 'Aprobado' || doc.verdict.dEstRes === 'Aprobado con observación');
  const de = document.data;
  const establecimiento = String(de.establecimiento).padStart(3, '0');
  const punto = String(de.punto).padStart(3, '0');
  const numero = String(de.numero).padStart(7, '0');

  if (data.documents.some((doc) => doc.cdc === document.cdc && approved(doc))) reject(SIFEN.CDC_DUPLICADO);
  else if (
    data.documents.some(
      (doc) => approved(doc) && doc.tipoDocumento === de.tipoDocumento && doc.establecimiento === establecimiento && doc.punto === punto && doc.numero === numero,
    )
  ) {
    reject(SIFEN.NUMERO_DUPLICADO, `${establecimiento}-${punto}-${numero}`);
  }
  const n = Number(de.numero);
  if (
    data.inutilized.some(
      (r) => r.tenant === tenant.id && r.tipoDocumento === de.tipoDocumento && r.establecimiento === establecimiento && r.punto === punto && n >= r.desde && n <= r.hasta,
    )
  ) {
    reject(SIFEN.NUMERO_INUTILIZADO, `${establecimiento}-${punto}-${numero}`);
  }
  for (const associated of associatedCdcs(de)) {
    if (!data.documents.some((doc) => doc.cdc === associated && approved(doc) && doc.cancelledAt === null)) reject(SIFEN.DOCUMENTO_ASOCIADO_INEXISTENTE);
  }
  const cliente = de.cliente;
  if (cliente.contribuyente === true && typeof cliente.ruc === 'string') {
    const [number = '', dv] = cliente.ruc.split('-');
    let expected: string | undefined;
    try {
      expected = rucCheckDigit(number);
    } catch {
      expected = undefined;
    }
    if (expected !== dv) reject(SIFEN.RUC_RECEPTOR_DV);
  }
  if (rejections.length > 0) return { dEstRes: 'Rechazado', gResProc: rejections };

  // SIFEN's local time is Paraguay's; the sandbox reads fecha as UTC−3, the country's offset since 2024.
  const emittedAt = Date.parse(`${de.fecha}-03:00`);
  if (now.getTime() - emittedAt > LATE_TRANSMISSION_MS) {
    return {
      dEstRes: 'Aprobado con observación',
      dProtAut: protocol(),
      gResProc: [{ dCodRes: SIFEN.TRANSMISION_EXTEMPORANEA.code, dMsgRes: SIFEN.TRANSMISION_EXTEMPORANEA.message }],
    };
  }
  return { dEstRes: 'Aprobado', dProtAut: protocol(), gResProc: [{ dCodRes: SIFEN.DE_APROBADO.code, dMsgRes: SIFEN.DE_APROBADO.message }] };
}

export function associatedCdcs(de: FacturapiDe): string[] {
  const list = de.documentoAsociado === undefined ? [] : Array.isArray(de.documentoAsociado) ? de.documentoAsociado : [de.documentoAsociado];
  return list.filter((entry) => entry.formato === 1 && isValidCdc(entry.cdc)).map((entry) => entry.cdc as string);
}
