/**
 * The domain: the canonical FiscalDocument, decimal money, totals and tax math, tax identifiers.
 * Imports nothing of ours outside src/domain except the shared error types.
 */
export * from './fiscal-document.js';
export { currencyDecimals } from './currency.js';
export { Dec, parseDecimal, roundHalfUp, formatFixed, formatAtLeast, sumDecimals, integerDigits } from './money.js';
export { computeDocument } from './totals.js';
export {
  FINAL_CONSUMER_CO,
  nitCheckDigit,
  isValidNit,
  normalizeColombianIdentification,
  setModulo11CheckDigit,
  rucCheckDigit,
  isValidRuc,
  rifCheckDigit,
  isValidRif,
} from './identifiers.js';
