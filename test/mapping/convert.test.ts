import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConversionError,
  canonicalDecimal,
  compareDecimals,
  convert,
  isPlainDecimal,
  negateDecimal,
  signOfDecimal,
  toDecimal,
} from '../../src/mapping/convert.js';

describe('as: decimal', () => {
  it('turns JSON numbers into their shortest decimal text, not through float arithmetic', () => {
    expect(convert(0.1, 'decimal')).toBe('0.1');
    expect(convert(195.66, 'decimal')).toBe('195.66');
    expect(convert(0.19, 'decimal')).toBe('0.19');
    expect(convert(1e-7, 'decimal')).toBe('0.0000001');
    expect(convert(-0, 'decimal')).toBe('0');
    expect(convert(2, 'decimal')).toBe('2');
  });

  it('refuses numbers a double cannot hold exactly (1e21) and non-finite ones, saying what to do', () => {
    expect(() => convert(1e21, 'decimal')).toThrow(/too large to be exact.*send it as text/);
    expect(() => convert(Number.NaN, 'decimal')).toThrow(ConversionError);
    expect(() => convert(Number.POSITIVE_INFINITY, 'decimal')).toThrow(/not a finite number/);
  });

  it('keeps the scale of decimal text and normalises its spelling', () => {
    expect(convert('199.00', 'decimal')).toBe('199.00');
    expect(convert(' +007.50 ', 'decimal')).toBe('7.50');
    expect(convert('-5.00', 'decimal')).toBe('-5.00');
    expect(convert('-0.00', 'decimal')).toBe('0.00');
    expect(convert('.5', 'decimal')).toBe('0.5');
    expect(convert('1e21', 'decimal')).toBe('1000000000000000000000');
    expect(convert('1.25E-2', 'decimal')).toBe('0.0125');
  });

  it('rejects text that is not a number', () => {
    expect(() => convert('12,5', 'decimal')).toThrow(/not a decimal number/);
    expect(() => convert('', 'decimal')).toThrow(ConversionError);
    expect(() => convert(true, 'decimal')).toThrow(ConversionError);
    expect(canonicalDecimal('.')).toBeUndefined();
  });

  it('negate flips only the sign', () => {
    expect(negateDecimal('-5.00')).toBe('5.00');
    expect(negateDecimal('5042.02')).toBe('-5042.02');
    expect(negateDecimal('0.00')).toBe('0.00');
  });
});

describe('as: date / time / offsetTime / datetime keep the offset of the input', () => {
  it('reads the local date and time in the offset the text carries, never the machine zone', () => {
    // 23:40 in Bogotá is already the next day in UTC: the local date must stay the 21st.
    expect(convert('2026-11-21T23:40:02-05:00', 'date')).toBe('2026-11-21');
    expect(convert('2026-11-21T23:40:02-05:00', 'time')).toBe('23:40:02');
    expect(convert('2026-11-22T00:10:00+09:00', 'date')).toBe('2026-11-22');
    expect(convert('2026-11-21T23:40:02.123-05:00', 'time')).toBe('23:40:02');
  });

  it('offsetTime appends the offset; Z becomes +00:00', () => {
    expect(convert('2026-11-21T23:40:02-05:00', 'offsetTime')).toBe('23:40:02-05:00');
    expect(convert('2026-11-21T04:40:02Z', 'offsetTime')).toBe('04:40:02+00:00');
  });

  it('date accepts a plain date and refuses a datetime without offset', () => {
    expect(convert('2026-12-27', 'date')).toBe('2026-12-27');
    expect(() => convert('2026-11-21T23:40:02', 'date')).toThrow(/with offset/);
    expect(() => convert('2026-11-21T23:40:02', 'datetime')).toThrow(/with offset/);
  });

  it('refuses impossible calendar dates', () => {
    expect(() => convert('2026-02-30', 'date')).toThrow(/real calendar date/);
    expect(() => convert('2026-02-28T24:00:00Z', 'time')).toThrow(/real calendar date/);
  });

  it('datetime checks and passes the text through', () => {
    expect(convert('2026-11-20T14:03:15-05:00', 'datetime')).toBe('2026-11-20T14:03:15-05:00');
  });
});

describe('as: string / integer / boolean', () => {
  it('string writes numbers in their shortest form', () => {
    expect(convert(0.19, 'string')).toBe('0.19');
    expect(convert(0, 'string')).toBe('0');
    expect(convert('6012345678901', 'string')).toBe('6012345678901');
    expect(() => convert({ a: 1 }, 'string')).toThrow(/an object cannot be turned into text/);
  });

  it('integer accepts whole numbers and whole-number text', () => {
    expect(convert('990000101', 'integer')).toBe(990000101);
    expect(convert('72.00', 'integer')).toBe(72);
    expect(convert(8, 'integer')).toBe(8);
    expect(() => convert('7.5', 'integer')).toThrow(/not a whole number/);
    expect(() => convert('9007199254740993', 'integer')).toThrow(/too large/);
  });

  it('boolean accepts booleans and their usual spellings', () => {
    expect(convert(true, 'boolean')).toBe(true);
    expect(convert('false', 'boolean')).toBe(false);
    expect(convert(1, 'boolean')).toBe(true);
    expect(() => convert('yes', 'boolean')).toThrow(/not a boolean/);
  });
});

describe('decimal comparisons without floating point', () => {
  const decimalText = fc
    .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 6 }))
    .map(([negative, digits, scale]) => {
      const text = digits.toString().padStart(scale + 1, '0');
      const body = scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`;
      return negative ? `-${body}` : body;
    });

  it('compareDecimals and signOfDecimal agree with decimal.js on canonical decimals', () => {
    fc.assert(
      fc.property(decimalText, decimalText, (a, b) => {
        const [x, y] = [toDecimal(a), toDecimal(b)];
        expect(compareDecimals(x, y)).toBe(new Decimal(x).comparedTo(y));
        expect(signOfDecimal(x)).toBe(new Decimal(x).isZero() ? 0 : new Decimal(x).isNegative() ? -1 : 1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('the fast check for canonical text accepts exactly what canonicalDecimal keeps as written', () => {
    fc.assert(
      fc.property(fc.oneof(decimalText, fc.string({ maxLength: 8 }), fc.constantFrom('-0', '-0.00', '007', '1.', '.5', '1e3', ' 1', '+1')), (text) => {
        expect(isPlainDecimal(text)).toBe(canonicalDecimal(text) === text && /^-?\d+(\.\d+)?$/.test(text));
      }),
      { numRuns: 2_000 },
    );
  });
});
