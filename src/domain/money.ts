/**
 * Decimal arithmetic for money, quantities and rates. Never JS floats: 0.1 + 0.2 is not 0.3 in a
 * float, and tax authorities reject totals such as 153.60000000000002.
 *
 * `Dec` is a private clone of decimal.js so that our precision and rounding mode never change the
 * global `Decimal` another module (or a dependency) relies on.
 */
import { Decimal as DecimalJs } from 'decimal.js';
import { DomainError } from './errors.js';

/**
 * 50 significant digits: an amount of 10^15 with 4 decimals times a 3-decimal quantity still has
 * ~25 digits of headroom, so no multiplication or sum in this module is ever inexact. Division (a
 * tax-inclusive price over 1 + rate) is the only inexact operation, and 50 digits keep it far below
 * any rounding boundary that matters at 0–4 decimals.
 * The exponent thresholds keep toString() in plain notation: '1e-7' must never reach a document.
 */
export const Dec = DecimalJs.clone({
  precision: 50,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
export type Dec = InstanceType<typeof Dec>;

/** Strings only, plain notation: no exponent, no sign other than '-', no leading/trailing dot. */
const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

/** Whether a value is an amount as stores and APIs write them: a decimal string, no exponent. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL_STRING.test(value);
}
/** Longer inputs could exceed the 50-digit precision once multiplied; no real amount needs them. */
const MAX_DIGITS = 30;

/**
 * Parses a decimal written as a string ("1234.50", "-3", "0.125"). Rejects everything else with a
 * DomainError naming `path`: JS numbers (already floats), '', 'NaN', 'Infinity', '1e5', ' 1', '.5'.
 */
export function parseDecimal(raw: unknown, path: string): Dec {
  if (typeof raw === 'number' || typeof raw === 'bigint') {
    throw new DomainError(
      path,
      `must be a decimal number written as a string (e.g. "1234.50"), not the JS number ${String(raw)}: ` +
        'send amounts as strings so no precision is lost',
    );
  }
  if (typeof raw !== 'string') {
    throw new DomainError(path, `must be a decimal number written as a string (e.g. "1234.50"), got ${typeof raw}`);
  }
  if (!DECIMAL_STRING.test(raw)) {
    // The value is an amount or a quantity, never personal data, so quoting it helps the fix.
    throw new DomainError(
      path,
      `must be a plain decimal number such as "1234.50" (digits, optional '-' and one '.'; no exponent), got "${raw.slice(0, 40)}"`,
    );
  }
  const digits = raw.replace(/[-.]/g, '').replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_DIGITS) {
    throw new DomainError(path, `has more than ${MAX_DIGITS} digits, which no amount or quantity needs`);
  }
  return new Dec(raw);
}

/**
 * Rounds half-up to `decimals` places. For negative values decimal.js rounds half away from zero
 * (-2.5 → -3), the symmetric rule accounting uses, so a credit mirrors its debit to the cent.
 */
export function roundHalfUp(value: Dec, decimals: number): Dec {
  return new Dec(value).toDecimalPlaces(decimals, Dec.ROUND_HALF_UP);
}

/** Rounds half-up and writes exactly `decimals` places, in plain notation ("1234.50", "7"). */
export function formatFixed(value: Dec, decimals: number): string {
  const rounded = roundHalfUp(value, decimals);
  // A negative amount that rounds to zero must not print as "-0.00".
  return rounded.isZero() ? new Dec(0).toFixed(decimals) : rounded.toFixed(decimals);
}

/**
 * Writes `value` with every significant decimal it has, but at least `minDecimals` places:
 * ("19", 2) → "19.00", ("0.966", 2) → "0.966". Never rounds. For rates and unit prices, whose
 * precision is not the currency's.
 */
export function formatAtLeast(value: Dec, minDecimals: number): string {
  const v = new Dec(value);
  const text = v.toFixed(Math.max(minDecimals, v.decimalPlaces()));
  return v.isZero() ? text.replace(/^-/, '') : text;
}

/** Exact sum; an empty list sums to 0. */
export function sumDecimals(values: Iterable<Dec>): Dec {
  let total = new Dec(0);
  for (const v of values) total = total.plus(v);
  return total;
}

/** Digits in the integer part of |value| (0 for values below 1). */
export function integerDigits(value: Dec): number {
  const whole = new Dec(value).abs().trunc();
  return whole.isZero() ? 0 : whole.toFixed(0).length;
}
