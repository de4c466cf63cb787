/**
 * Odoo answers amounts as JSON numbers (Python floats). They become decimal strings the moment they
 * are read, and nothing here ever adds or multiplies them: the shortest text that reads back as the
 * same double is what Odoo meant (Python's repr and JS's String agree on it), and amounts are then
 * rounded half-up to the currency's decimals, which removes the float noise Odoo sometimes sends
 * (153.60000000000002 → "153.60").
 */
import { Dec, formatFixed } from '../../src/domain/money.js';
import { OdooError } from './errors.js';

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new OdooError('unexpected', `Odoo sent ${field} as ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}, not a number`, { field });
  }
  return value;
}

/** A quantity, price or rate as exact decimal text, never in exponent notation ("59900", "2.5", "0.0000001"). */
export function decimalText(value: unknown, field: string): string {
  const number = finite(value, field);
  // Dec reads a JS number through its shortest round-trip string; toFixed() keeps plain notation.
  const text = new Dec(number).toFixed();
  return text === '-0' ? '0' : text;
}

/** An amount in a currency with `decimals` places, rounded half-up ("153.60", "59900.00", "1250"). */
export function amountText(value: unknown, decimals: number, field: string): string {
  return formatFixed(new Dec(decimalText(value, field)), decimals);
}

/**
 * Decimal places of an Odoo currency from its `rounding` (0.01 → 2, 1.0 → 0, 0.001 → 3). Odoo 17+
 * also sends `decimal_places`; this is the fallback for older versions.
 */
export function decimalsFromRounding(rounding: unknown): number {
  if (typeof rounding !== 'number' || !(rounding > 0)) return 2;
  const text = decimalText(rounding, 'res.currency.rounding');
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}
