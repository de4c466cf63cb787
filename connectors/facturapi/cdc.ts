/**
 * SIFEN's CDC (Código de Control), the 44-digit id of an electronic document (reference §4.3;
 * xmlgen's `generateCodigoControl`). Puente and the sandbox both compute it from the same fields, so
 * Puente can ask for a document by CDC after a crash without having heard the API's answer.
 *
 *   tipoDocumento(2) RUC emisor(8, zero-padded) DV emisor(1) establecimiento(3) punto(3) número(7)
 *   tipoContribuyente(1) fecha AAAAMMDD(8) tipoEmisión(1) código de seguridad(9) DV(1)
 *
 * The DV is SET's modulo 11 with weights 2…11 from the right (the same function as the RUC DV:
 * src/domain/identifiers.ts `setModulo11CheckDigit`).
 */
import { createHmac } from 'node:crypto';
import { setModulo11CheckDigit } from '../../src/domain/identifiers.js';

export interface CdcFields {
  tipoDocumento: number;
  /** The issuer's RUC without DV, up to 8 digits. */
  ruc: string;
  /** The issuer's RUC check digit. */
  dv: string;
  establecimiento: string | number;
  punto: string | number;
  numero: string | number;
  /** 1 persona física, 2 persona jurídica (the issuer's). */
  tipoContribuyente: number;
  /** `YYYY-MM-DD…`: only the date part is used. */
  fecha: string;
  /** 1 normal, 2 contingencia. */
  tipoEmision: number;
  /** Up to 9 digits, zero-padded. */
  codigoSeguridad: string | number;
}

export class CdcError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'CdcError';
  }
}

function padded(value: string | number, width: number, field: string): string {
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || text.length > width) {
    throw new CdcError(field, `must be at most ${width} digits (got ${text.length} characters)`);
  }
  return text.padStart(width, '0');
}

/** The 44-digit CDC of a document. Throws CdcError naming the field that cannot take part. */
export function computeCdc(fields: CdcFields): string {
  const ruc = fields.ruc.trim();
  if (!/^[0-9A-Za-z]{1,8}$/.test(ruc)) throw new CdcError('ruc', 'must be 1 to 8 characters, without the check digit');
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(fields.fecha);
  if (!date) throw new CdcError('fecha', 'must start with a date written YYYY-MM-DD');
  const body =
    padded(fields.tipoDocumento, 2, 'tipoDocumento') +
    ruc.padStart(8, '0') +
    padded(fields.dv, 1, 'dv') +
    padded(fields.establecimiento, 3, 'establecimiento') +
    padded(fields.punto, 3, 'punto') +
    padded(fields.numero, 7, 'numero') +
    padded(fields.tipoContribuyente, 1, 'tipoContribuyente') +
    `${date[1]}${date[2]}${date[3]}` +
    padded(fields.tipoEmision, 1, 'tipoEmision') +
    padded(fields.codigoSeguridad, 9, 'codigoSeguridad');
  return body + setModulo11CheckDigit(body, 11, 'cdc');
}

/** True when `cdc` is 44 digits whose last one is the check digit of the other 43. Never throws. */
export function isValidCdc(cdc: unknown): cdc is string {
  if (typeof cdc !== 'string' || !/^\d{44}$/.test(cdc)) return false;
  return setModulo11CheckDigit(cdc.slice(0, 43), 11, 'cdc') === cdc[43];
}

export interface ParsedCdc {
  tipoDocumento: number;
  ruc: string;
  dv: string;
  establecimiento: string;
  punto: string;
  numero: string;
  tipoContribuyente: number;
  /** YYYY-MM-DD */
  fecha: string;
  tipoEmision: number;
  codigoSeguridad: string;
}

/** The fields a CDC carries; undefined when it is not a valid CDC. */
export function parseCdc(cdc: string): ParsedCdc | undefined {
  if (!isValidCdc(cdc)) return undefined;
  return {
    tipoDocumento: Number(cdc.slice(0, 2)),
    ruc: cdc.slice(2, 10).replace(/^0+(?=.)/, ''),
    dv: cdc.slice(10, 11),
    establecimiento: cdc.slice(11, 14),
    punto: cdc.slice(14, 17),
    numero: cdc.slice(17, 24),
    tipoContribuyente: Number(cdc.slice(24, 25)),
    fecha: `${cdc.slice(25, 29)}-${cdc.slice(29, 31)}-${cdc.slice(31, 33)}`,
    tipoEmision: Number(cdc.slice(33, 34)),
    codigoSeguridad: cdc.slice(34, 43),
  };
}

/**
 * The 9-digit security code of one legal document, derived from its idempotency key with
 * HMAC-SHA256 under a secret. Why derived and not random: the CDC must be known before the API
 * answers, so that after a crash (or a lost answer) Puente can look the document up by CDC instead
 * of sending it a second time. Why keyed: the code is what keeps CDCs from being guessed (SIFEN's
 * public consultation is by CDC), and an idempotency key alone is guessable (store, order, kind).
 * SIFEN wants a non-zero code, so 000000000 becomes 000000001.
 */
export function securityCodeFor(secret: string, idempotencyKey: string): string {
  const digest = createHmac('sha256', secret).update(idempotencyKey, 'utf8').digest();
  // 48 bits → modulo 10^9: the bias (2^48 mod 10^9 over 2^48) is below 10^-5, irrelevant here.
  const value = digest.readUIntBE(0, 6) % 1_000_000_000;
  return String(value === 0 ? 1 : value).padStart(9, '0');
}

/** `001-001-0000123`: how a Paraguayan document number is printed (establecimiento-punto-número). */
export function fiscalNumberOf(establecimiento: string | number, punto: string | number, numero: string | number): string {
  return `${String(establecimiento).padStart(3, '0')}-${String(punto).padStart(3, '0')}-${String(numero).padStart(7, '0')}`;
}
