/**
 * Tax identifiers and their check digits: Colombia NIT (DIAN), Paraguay RUC (SET/DNIT) and
 * Venezuela RIF (SENIAT), plus turning what a buyer typed into a canonical Identification.
 *
 * Error messages never repeat a buyer's full id number (it may be a person's cédula): they show its
 * last three digits, enough for an admin to find the order.
 */
import { DomainError } from './errors.js';
import type { Identification, IdentificationType } from './fiscal-document.js';

/** DIAN's anonymous buyer ("consumidor final"). */
export const FINAL_CONSUMER_CO = '222222222222';

const DIGITS = /^\d+$/;

function tail(number: string): string {
  return number.slice(-3);
}

// ─── Colombia: NIT ──────────────────────────────────────────────────────────────────────────────

/**
 * DIAN's prime weights, applied to the NIT's digits from right to left (reference: invoicing-apis.md
 * §1.9, APIDIAN's `dian_dv` rule; the same table as DIAN's RUT form).
 */
const NIT_WEIGHTS = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71] as const;

/**
 * DIAN check digit (DV) of a NIT written as digits only, without its DV:
 * s = Σ digit × weight (right to left), r = s mod 11, DV = r if r ∈ {0, 1}, else 11 − r.
 * `nitCheckDigit('800197268')` → '4' (DIAN's own NIT, 800.197.268-4).
 */
export function nitCheckDigit(nit: string, path = 'nit'): string {
  if (!DIGITS.test(nit)) {
    throw new DomainError(path, 'a NIT must contain only digits (write the check digit separately)');
  }
  if (nit.length > NIT_WEIGHTS.length) {
    throw new DomainError(path, `a NIT has at most ${NIT_WEIGHTS.length} digits before its check digit`);
  }
  let s = 0;
  for (let i = 0; i < nit.length; i++) {
    s += Number(nit[nit.length - 1 - i]) * NIT_WEIGHTS[i]!;
  }
  const r = s % 11;
  return String(r <= 1 ? r : 11 - r);
}

/** True when `dv` is the DIAN check digit of `nit`. Never throws. */
export function isValidNit(nit: string, dv: string): boolean {
  if (!DIGITS.test(nit) || nit.length > NIT_WEIGHTS.length || !/^\d$/.test(dv)) return false;
  return nitCheckDigit(nit) === dv;
}

/** Types whose number may contain letters (a passport, an id or tax id issued abroad). */
const ALPHANUMERIC_TYPES: ReadonlySet<IdentificationType> = new Set(['PASSPORT', 'FOREIGN_ID', 'FOREIGN_TAX_ID']);

/**
 * Turns what a buyer typed into an Identification for a Colombian document:
 * - "900.123.456-7", "900123456-7", "900 123 456 7" → NIT 900123456, DV verified (7 must be right).
 * - "", "222222222222" (or declared FINAL_CONSUMER) → FINAL_CONSUMER 222222222222.
 * - plain digits: the declared type when given (a NIT gets its DV computed); otherwise 9 digits
 *   starting with 8 or 9 is a company NIT (DIAN's company range) and gets its DV computed; anything
 *   else is a cédula (CC).
 * - letters (a passport): only when the declared type allows them (PASSPORT, FOREIGN_ID,
 *   FOREIGN_TAX_ID); otherwise a DomainError, since guessing would issue the invoice to nobody.
 */
export function normalizeColombianIdentification(
  raw: string,
  declaredType?: IdentificationType,
  path = 'buyer.identification.number',
): Identification {
  if (declaredType === 'FINAL_CONSUMER') return finalConsumer();
  // Dots and commas are thousands separators people type; surrounding blanks are noise.
  const typed = (raw ?? '').trim().replace(/[.,]/g, '');
  if (typed === '' || typed.replace(/\s/g, '') === FINAL_CONSUMER_CO) return finalConsumer();

  const withDv = splitCheckDigit(typed);
  if (withDv) {
    if (declaredType !== undefined && declaredType !== 'NIT') {
      throw new DomainError(
        path,
        `the id ending in ${tail(withDv.number)} was typed with a check digit, which only a NIT has, but its type is ${declaredType}: ` +
          'remove the check digit or declare the type NIT',
      );
    }
    return verifiedNit(withDv.number, withDv.dv, path);
  }

  const compact = typed.replace(/[\s-]/g, '');
  if (DIGITS.test(compact)) {
    if (declaredType === 'NIT') return { type: 'NIT', number: compact, checkDigit: nitCheckDigit(compact, path) };
    if (declaredType !== undefined) return { type: declaredType, number: compact };
    if (/^[89]\d{8}$/.test(compact)) return { type: 'NIT', number: compact, checkDigit: nitCheckDigit(compact, path) };
    return { type: 'CC', number: compact };
  }

  const alphanumeric = compact.toUpperCase();
  if (declaredType !== undefined && ALPHANUMERIC_TYPES.has(declaredType) && /^[A-Z0-9]+$/.test(alphanumeric)) {
    if (alphanumeric.length > 20) throw new DomainError(path, 'an id number has at most 20 characters');
    return { type: declaredType, number: alphanumeric };
  }
  throw new DomainError(
    path,
    declaredType === undefined
      ? 'the buyer id contains letters or symbols: if it is a passport or a foreign id, declare its type (PASSPORT, FOREIGN_ID); a NIT or cédula is digits only'
      : `the buyer id contains letters or symbols, which a ${declaredType} cannot have: check the id or declare PASSPORT / FOREIGN_ID`,
  );
}

function finalConsumer(): Identification {
  return { type: 'FINAL_CONSUMER', number: FINAL_CONSUMER_CO };
}

/** "900123456-7", "900 123 456 - 7", "900123456 7": a digit run, then one digit after '-' or a blank. */
function splitCheckDigit(typed: string): { number: string; dv: string } | undefined {
  const match = /^([\d\s]*\d)\s*-\s*(\d)$/.exec(typed) ?? /^([\d\s]*\d)\s+(\d)$/.exec(typed);
  if (!match) return undefined;
  return { number: match[1]!.replace(/\s/g, ''), dv: match[2]! };
}

function verifiedNit(number: string, dv: string, path: string): Identification {
  const expected = nitCheckDigit(number, path);
  if (expected !== dv) {
    throw new DomainError(
      path,
      `the NIT ending in ${tail(number)} has check digit ${expected}, not ${dv}: check the buyer's tax id`,
    );
  }
  return { type: 'NIT', number, checkDigit: dv };
}

// ─── Paraguay: RUC (and SIFEN's CDC) ────────────────────────────────────────────────────────────

/**
 * SET's modulo-11 check digit, the one `calcularDigitoVerificador(value, 11)` computes for both the
 * RUC and SIFEN's 44-digit CDC (reference: invoicing-apis.md §4.3; SET's published "dígito
 * verificador" procedure, also python-stdnum's stdnum.py.ruc):
 * 1. every non-digit character is replaced by its character code (SET's RUCs of foreigners may
 *    carry letters);
 * 2. from the right, digits are multiplied by 2, 3, …, baseMax, restarting at 2 after baseMax;
 * 3. r = Σ mod 11; DV = 11 − r when r > 1, else 0.
 */
export function setModulo11CheckDigit(value: string, baseMax = 11, path = 'ruc'): string {
  const upper = value.toUpperCase();
  if (!/^[0-9A-Z]+$/.test(upper)) {
    throw new DomainError(path, 'must contain only digits and letters (write the check digit separately)');
  }
  let digits = '';
  for (const ch of upper) digits += /\d/.test(ch) ? ch : String(ch.charCodeAt(0));
  let weight = 2;
  let s = 0;
  for (let i = digits.length - 1; i >= 0; i--) {
    if (weight > baseMax) weight = 2;
    s += Number(digits[i]) * weight;
    weight++;
  }
  const r = s % 11;
  return String(r > 1 ? 11 - r : 0);
}

/** Paraguay RUC check digit: `rucCheckDigit('80069563')` → '1' (RUC 80069563-1). */
export function rucCheckDigit(ruc: string, path = 'ruc'): string {
  const compact = ruc.trim();
  if (compact.length === 0 || compact.length > 8) {
    throw new DomainError(path, 'a RUC has 1 to 8 characters before its check digit');
  }
  return setModulo11CheckDigit(compact, 11, path);
}

/** True when `dv` is the SET check digit of `ruc`. Never throws. */
export function isValidRuc(ruc: string, dv: string): boolean {
  try {
    return /^\d$/.test(dv) && rucCheckDigit(ruc) === dv;
  } catch {
    return false;
  }
}

// ─── Venezuela: RIF ─────────────────────────────────────────────────────────────────────────────

/**
 * SENIAT's values for the RIF's leading letter (V natural person, E foreigner, J company,
 * P passport, G government). Source: SENIAT's published RIF algorithm as implemented in
 * python-stdnum's stdnum.ve.rif (which stores them pre-multiplied by the letter's weight 4: 4, 8,
 * 12, 16, 20) and checked there against RIFs looked up on SENIAT's BuscaRif service.
 */
const RIF_LETTER_VALUES: Readonly<Record<string, number>> = { V: 1, E: 2, J: 3, P: 4, G: 5 };
const RIF_WEIGHTS = [4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

/**
 * RIF check digit of a letter + 8 digits ("J-00004793", "J00004793"):
 * s = Σ weights [4,3,2,7,6,5,4,3,2] × [letter value, 8 digits]; DV = 11 − (s mod 11), and 0 when
 * that is 10 or 11.  `rifCheckDigit('J-00004793')` → '6'.
 */
export function rifCheckDigit(rif: string, path = 'rif'): string {
  const compact = rif.trim().toUpperCase().replace(/[\s.-]/g, '');
  const match = /^([VEJPG])(\d{8})$/.exec(compact);
  if (!match) {
    throw new DomainError(
      path,
      'a RIF is one of the letters V, E, J, P, G followed by 8 digits (e.g. J-12345678), written without its check digit',
    );
  }
  const values = [RIF_LETTER_VALUES[match[1]!]!, ...[...match[2]!].map(Number)];
  const s = values.reduce((acc, v, i) => acc + v * RIF_WEIGHTS[i]!, 0);
  const dv = 11 - (s % 11);
  return String(dv >= 10 ? 0 : dv);
}

/** True when `dv` is the SENIAT check digit of `rif` (letter + 8 digits). Never throws. */
export function isValidRif(rif: string, dv: string): boolean {
  try {
    return /^\d$/.test(dv) && rifCheckDigit(rif) === dv;
  } catch {
    return false;
  }
}

// ─── One entry point per country ────────────────────────────────────────────────────────────────

/** SIFEN's generic RUC for buyers who give none ("innominado"); check digit 7. */
export const FINAL_CONSUMER_PY = { number: '44444401', checkDigit: '7' } as const;
/** Venezuelan invoices to a buyer with no RIF or cédula. */
export const FINAL_CONSUMER_VE = '00000000';

function typedId(raw: string): string {
  return (raw ?? '').trim().replace(/[.,]/g, '');
}

/**
 * Paraguay: "80069563-1" → RUC with its check digit verified; plain digits → cédula (CI); empty or
 * the generic 44444401 → final consumer (innominado).
 */
export function normalizeParaguayanIdentification(raw: string, declaredType?: IdentificationType, path = 'buyer.identification.number'): Identification {
  const typed = typedId(raw).replace(/\s/g, '');
  if (declaredType === 'FINAL_CONSUMER' || typed === '' || typed.startsWith(FINAL_CONSUMER_PY.number)) {
    return { type: 'FINAL_CONSUMER', number: FINAL_CONSUMER_PY.number, checkDigit: FINAL_CONSUMER_PY.checkDigit };
  }
  const withDv = /^(\d+)-(\d)$/.exec(typed);
  if (withDv) {
    const expected = rucCheckDigit(withDv[1]!, path);
    if (expected !== withDv[2]) {
      throw new DomainError(path, `the RUC ending in ${tail(withDv[1]!)} has check digit ${expected}, not ${withDv[2]}: check the buyer's RUC`);
    }
    return { type: 'RUC', number: withDv[1]!, checkDigit: withDv[2]! };
  }
  if (DIGITS.test(typed)) {
    if (declaredType === 'RUC') return { type: 'RUC', number: typed, checkDigit: rucCheckDigit(typed, path) };
    return { type: declaredType ?? 'CI', number: typed };
  }
  if (declaredType !== undefined && ALPHANUMERIC_TYPES.has(declaredType) && /^[A-Z0-9]{1,20}$/i.test(typed)) {
    return { type: declaredType, number: typed.toUpperCase() };
  }
  throw new DomainError(path, 'a Paraguayan id is a RUC with its check digit (80069563-1) or a cédula (digits only); declare PASSPORT or FOREIGN_ID for others');
}

/**
 * Venezuela: "J-12345678-9" / "J123456789" → RIF with its check digit verified (a RIF typed without
 * its digit gets it computed); plain digits → cédula (CI); empty → final consumer.
 */
export function normalizeVenezuelanIdentification(raw: string, declaredType?: IdentificationType, path = 'buyer.identification.number'): Identification {
  const typed = typedId(raw).toUpperCase().replace(/[\s-]/g, '');
  if (declaredType === 'FINAL_CONSUMER' || typed === '' || typed === FINAL_CONSUMER_VE) return { type: 'FINAL_CONSUMER', number: FINAL_CONSUMER_VE };
  const rif = /^([VEJPG])(\d{8})(\d)?$/.exec(typed);
  if (rif) {
    const body = `${rif[1]}${rif[2]}`;
    const expected = rifCheckDigit(body, path);
    if (rif[3] !== undefined && rif[3] !== expected) {
      throw new DomainError(path, `the RIF ending in ${tail(rif[2]!)} has check digit ${expected}, not ${rif[3]}: check the buyer's RIF`);
    }
    return { type: 'RIF', number: body, checkDigit: expected };
  }
  if (/^[VE]?\d{6,8}$/.test(typed)) return { type: declaredType ?? 'CI', number: typed.replace(/^[VE]/, '') };
  if (declaredType !== undefined && ALPHANUMERIC_TYPES.has(declaredType) && /^[A-Z0-9]{1,20}$/.test(typed)) {
    return { type: declaredType, number: typed };
  }
  throw new DomainError(path, 'a Venezuelan id is a RIF (J-12345678-9) or a cédula (V-12345678); declare PASSPORT or FOREIGN_ID for others');
}

export type IdentificationCountry = 'CO' | 'PY' | 'VE';

const COMMON_TYPES: IdentificationType[] = ['PASSPORT', 'FOREIGN_ID', 'FOREIGN_TAX_ID', 'FINAL_CONSUMER'];
const TYPES_BY_COUNTRY: Record<IdentificationCountry, ReadonlySet<IdentificationType>> = {
  CO: new Set<IdentificationType>(['NIT', 'CC', 'CE', 'TI', ...COMMON_TYPES]),
  PY: new Set<IdentificationType>(['RUC', 'CI', ...COMMON_TYPES]),
  VE: new Set<IdentificationType>(['RIF', 'CI', ...COMMON_TYPES]),
};

/** The buyer's id as the store gave it, read by the rules of the country the document is issued in. */
export function normalizeIdentification(
  country: IdentificationCountry,
  raw: string,
  declaredType?: IdentificationType,
  path = 'buyer.identification.number',
): Identification {
  // A type that does not exist in this country (a NIT declared by a mapping written for Colombia,
  // on a Paraguayan document) says nothing about the id: read the id itself instead.
  const declared = declaredType !== undefined && TYPES_BY_COUNTRY[country].has(declaredType) ? declaredType : undefined;
  switch (country) {
    case 'CO':
      return normalizeColombianIdentification(raw, declared, path);
    case 'PY':
      return normalizeParaguayanIdentification(raw, declared, path);
    case 'VE':
      return normalizeVenezuelanIdentification(raw, declared, path);
  }
}
