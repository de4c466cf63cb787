/**
 * Minor units a currency carries on a fiscal document.
 *
 * The values follow the ISO 4217 minor-unit column, which is also what the tax authorities we target
 * use: DIAN writes COP with 2 decimals, SENIAT/the imprentas write VES with 2, and SIFEN writes PYG
 * with 0 (guaraníes have no cents; the xmlgen default is `pygDecimals: 0`). A currency not listed
 * here is treated as having 2 decimals, the ISO default for nearly every currency in use.
 */
import { DomainError } from './errors.js';

const MINOR_UNITS: Readonly<Record<string, number>> = {
  // The currencies Puente invoices in.
  COP: 2,
  USD: 2,
  EUR: 2,
  VES: 2,
  PYG: 0,
  // Other ISO 4217 currencies whose minor unit is not 2, so a document in one of them is not
  // silently rounded to cents that do not exist (or stripped of fils that do).
  CLP: 0,
  ISK: 0,
  JPY: 0,
  KRW: 0,
  UYI: 0,
  VND: 0,
  XAF: 0,
  XOF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

const CURRENCY_CODE = /^[A-Z]{3}$/;

/** Decimals of `code` on fiscal documents: COP/USD/EUR/VES 2, PYG 0, others per ISO 4217 (default 2). */
export function currencyDecimals(code: string, path = 'currency'): number {
  if (typeof code !== 'string' || !CURRENCY_CODE.test(code)) {
    throw new DomainError(path, 'must be an ISO 4217 currency code of three upper-case letters, such as COP');
  }
  return MINOR_UNITS[code] ?? 2;
}
