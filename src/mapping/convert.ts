/**
 * The `as` conversions and the `negate` modifier. Every function throws ConversionError with a
 * sentence the admin can act on; the compiled mapping adds the field path.
 *
 * Decimals never pass through float arithmetic: a JSON number is already a double, so it is turned
 * into text by its shortest round-trip form (what JSON.stringify writes) and from then on only the
 * text is handled.
 */
import type { AsType } from './format.js';

export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

/** What a value looks like in an error message: type and a short excerpt, never a whole object. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Rewrites decimal text without exponent, leading "+", or superfluous leading zeros; keeps the digits
 * after the point as written ("199.00" stays "199.00": the scale is the currency's, not ours).
 */
export function canonicalDecimal(text: string): string | undefined {
  if (isPlainDecimal(text)) return text;
  const match = DECIMAL_TEXT.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', intPart = '', fracPart = '', expPart] = match;
  if (intPart === '' && fracPart === '') return undefined;
  let digits = intPart + fracPart;
  let pointAt = intPart.length;
  if (expPart !== undefined) {
    const exponent = Number(expPart);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return undefined;
    pointAt += exponent;
  }
  if (pointAt < 0) {
    digits = '0'.repeat(-pointAt) + digits;
    pointAt = 0;
  } else if (pointAt > digits.length) {
    digits = digits + '0'.repeat(pointAt - digits.length);
  }
  let whole = digits.slice(0, pointAt).replace(/^0+(?=\d)/, '');
  if (whole === '') whole = '0';
  let fraction = digits.slice(pointAt);
  // An exponent moved the point: trailing zeros it created carry no scale the source chose.
  if (expPart !== undefined) fraction = fraction.replace(/0+$/, '');
  const body = fraction === '' ? whole : `${whole}.${fraction}`;
  const isZero = /^[0.]*$/.test(body);
  return sign === '-' && !isZero ? `-${body}` : body;
}

/**
 * The common case, already canonical: [-]digits[.digits], no leading zero, not a negative zero.
 * Checked by scanning characters because amounts pass here many times per document.
 */
export function isPlainDecimal(text: string): boolean {
  const length = text.length;
  let i = 0;
  const negative = text.charCodeAt(0) === 45; // -
  if (negative) i = 1;
  const intStart = i;
  let nonZero = false;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (c !== 48) nonZero = true;
  }
  const intLength = i - intStart;
  if (intLength === 0 || (intLength > 1 && text.charCodeAt(intStart) === 48)) return false;
  if (i < length) {
    if (text.charCodeAt(i) !== 46 || i === length - 1) return false; // . followed by at least one digit
    for (i++; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return false;
      if (c !== 48) nonZero = true;
    }
  }
  return !negative || nonZero;
}

/**
 * Compares two decimals in the canonical form toDecimal gives (no exponent, no leading zeros, no
 * negative zero) by their digits, so conditions never go through floating point or decimal.js.
 */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const negativeA = a.charCodeAt(0) === 45; // -
  const negativeB = b.charCodeAt(0) === 45;
  if (negativeA !== negativeB) return negativeA ? -1 : 1;
  const startA = negativeA ? 1 : 0;
  const startB = negativeB ? 1 : 0;
  const pointA = a.indexOf('.', startA);
  const pointB = b.indexOf('.', startB);
  const endA = pointA < 0 ? a.length : pointA;
  const endB = pointB < 0 ? b.length : pointB;
  // No leading zeros: the longer whole part is the larger number.
  let order = endA - startA === endB - startB ? 0 : endA - startA < endB - startB ? -1 : 1;
  for (let i = 0; order === 0 && i < endA - startA; i++) {
    const digitA = a.charCodeAt(startA + i);
    const digitB = b.charCodeAt(startB + i);
    if (digitA !== digitB) order = digitA < digitB ? -1 : 1;
  }
  const fractionA = pointA < 0 ? 0 : a.length - pointA - 1;
  const fractionB = pointB < 0 ? 0 : b.length - pointB - 1;
  for (let i = 0; order === 0 && i < Math.max(fractionA, fractionB); i++) {
    const digitA = i < fractionA ? a.charCodeAt(pointA + 1 + i) : 48;
    const digitB = i < fractionB ? b.charCodeAt(pointB + 1 + i) : 48;
    if (digitA !== digitB) order = digitA < digitB ? -1 : 1;
  }
  if (order === 0) return 0;
  return (negativeA ? -order : order) as -1 | 1;
}

/** -1, 0 or 1 for a decimal in canonical form (which has no negative zero). */
export function signOfDecimal(decimal: string): -1 | 0 | 1 {
  if (decimal.charCodeAt(0) === 45) return -1;
  for (let i = 0; i < decimal.length; i++) {
    const c = decimal.charCodeAt(i);
    if (c > 48 && c <= 57) return 1;
  }
  return 0;
}

export function toDecimal(value: unknown): string {
  if (typeof value === 'string') {
    const decimal = isPlainDecimal(value) ? value : canonicalDecimal(value);
    if (decimal === undefined) throw new ConversionError(`${describeValue(value)} is not a decimal number such as "1234.50"`);
    return decimal;
  }
  // A safe integer prints without exponent or fraction: already canonical.
  if (Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConversionError(`${String(value)} is not a finite number, so it cannot be a decimal`);
    if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      throw new ConversionError(
        `the JSON number ${String(value)} is too large to be exact (beyond 2^53); the source must send it as text`,
      );
    }
    return canonicalDecimal(String(value)) as string;
  }
  if (typeof value === 'string') {
    const decimal = canonicalDecimal(value);
    if (decimal === undefined) throw new ConversionError(`${describeValue(value)} is not a decimal number such as "1234.50"`);
    return decimal;
  }
  throw new ConversionError(`${describeValue(value)} cannot be read as a decimal number`);
}

export function negateDecimal(decimal: string): string {
  if (/^-?[0.]+$/.test(decimal)) return decimal.replace(/^-/, '');
  return decimal.startsWith('-') ? decimal.slice(1) : `-${decimal}`;
}

function toInteger(value: unknown): number {
  let text: string | undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    text = undefined;
  } else if (typeof value === 'string') {
    const match = /^\s*([+-]?\d+)(?:\.0+)?\s*$/.exec(value);
    text = match?.[1];
  }
  if (text !== undefined) {
    const parsed = Number(text);
    if (Number.isSafeInteger(parsed)) return parsed === 0 ? 0 : parsed;
    throw new ConversionError(`${describeValue(value)} is too large for an exact integer (beyond 2^53)`);
  }
  throw new ConversionError(`${describeValue(value)} is not a whole number`);
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConversionError(`${String(value)} is not a finite number`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  throw new ConversionError(`${describeValue(value)} cannot be turned into text`);
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
  }
  throw new ConversionError(`${describeValue(value)} is not a boolean (true/false)`);
}

const OFFSET_DATETIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

interface LocalParts {
  date: string;
  time: string;
  offset: string;
}

/**
 * The datetime text already states the local date and time in its own offset, so they are read off
 * the text; converting through Date would move them into the machine's time zone.
 */
function localParts(value: unknown): LocalParts {
  if (typeof value !== 'string') throw new ConversionError(`${describeValue(value)} is not a datetime text`);
  const match = OFFSET_DATETIME.exec(value.trim());
  if (!match) {
    throw new ConversionError(
      `${describeValue(value)} is not an ISO datetime with offset such as 2026-11-20T14:03:00-05:00`,
    );
  }
  const [, date = '', time = '', zone = ''] = match;
  checkCalendar(date, time, value);
  return { date, time, offset: zone.toUpperCase() === 'Z' ? '+00:00' : zone };
}

function checkCalendar(date: string, time: string | undefined, original: string): void {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const d = Number(date.slice(8, 10));
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const daysInMonth = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  const badTime = time !== undefined && !/^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d$/.test(time);
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth || badTime) {
    throw new ConversionError(`${describeValue(original)} is not a real calendar date and time`);
  }
}

function toDate(value: unknown): string {
  if (typeof value === 'string' && PLAIN_DATE.test(value.trim())) {
    checkCalendar(value.trim(), undefined, value);
    return value.trim();
  }
  return localParts(value).date;
}

const CONVERTERS: Record<AsType, (value: unknown) => unknown> = {
  string: toText,
  integer: toInteger,
  decimal: toDecimal,
  boolean: toBoolean,
  date: toDate,
  time: (value) => localParts(value).time,
  offsetTime: (value) => {
    const parts = localParts(value);
    return `${parts.time}${parts.offset}`;
  },
  datetime: (value) => {
    localParts(value);
    return (value as string).trim();
  },
};

/** The conversion for `as`, chosen once when a node is compiled. */
export function converterFor(as: AsType): (value: unknown) => unknown {
  return CONVERTERS[as];
}

export function convert(value: unknown, as: AsType): unknown {
  switch (as) {
    case 'string':
      return toText(value);
    case 'integer':
      return toInteger(value);
    case 'decimal':
      return toDecimal(value);
    case 'boolean':
      return toBoolean(value);
    case 'date':
      return toDate(value);
    case 'time':
      return localParts(value).time;
    case 'offsetTime': {
      const parts = localParts(value);
      return `${parts.time}${parts.offset}`;
    }
    case 'datetime':
      localParts(value);
      return (value as string).trim();
  }
}
