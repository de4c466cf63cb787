import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { Dec, formatAtLeast, formatFixed, integerDigits, parseDecimal, roundHalfUp, sumDecimals } from '../../src/domain/money.js';

describe('parseDecimal', () => {
  it.each(['0', '1234.50', '-1.5', '007.10', '0.0001', '123456789012345.1234'])('accepts the decimal string %s', (raw) => {
    expect(parseDecimal(raw, 'x').equals(new Dec(raw))).toBe(true);
  });

  it.each(['', 'NaN', 'Infinity', '-Infinity', '1e5', '1E5', '1.5e-3', ' 1', '1 ', '+1', '.5', '5.', '1,000.00', '0x10', '1.2.3', '--1'])(
    'rejects %j with a DomainError naming the field',
    (raw) => {
      const error = catchError(() => parseDecimal(raw, 'lines[2].quantity'));
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).path).toBe('lines[2].quantity');
      expect(error.message).toMatch(/^lines\[2\]\.quantity: must be a plain decimal number/);
    },
  );

  it('rejects JS numbers, which are already floats, and says to send a string', () => {
    const error = catchError(() => parseDecimal(0.1, 'lines[0].unitPrice')) as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.path).toBe('lines[0].unitPrice');
    expect(error.message).toContain('not the JS number 0.1');
  });

  it.each([null, undefined, {}, true, 5n])('rejects the non-string %s', (raw) => {
    expect(() => parseDecimal(raw, 'amount')).toThrow(DomainError);
  });

  it('rejects more digits than any amount needs (they would outgrow the working precision)', () => {
    expect(() => parseDecimal('1'.repeat(31), 'amount')).toThrow(/more than 30 digits/);
    expect(parseDecimal('1'.repeat(30), 'amount').toFixed()).toBe('1'.repeat(30));
    // Leading zeros are not significant digits.
    expect(parseDecimal('0'.repeat(10) + '1'.repeat(30), 'amount').toFixed()).toBe('1'.repeat(30));
  });
});

describe('roundHalfUp', () => {
  it.each([
    ['0.125', 2, '0.13'], // banker's rounding would give 0.12
    ['0.135', 2, '0.14'],
    ['1.005', 2, '1.01'], // the float 1.005 is 1.00499999…, which Math.round-based code rounds to 1.00
    ['2.5', 0, '3'],
    ['3.5', 0, '4'],
    ['0.124999', 2, '0.12'],
    ['-0.125', 2, '-0.13'], // symmetric: a credit mirrors its debit
    ['7', 2, '7'],
  ])('%s to %i places is %s', (value, places, expected) => {
    expect(roundHalfUp(new Dec(value), places).toFixed()).toBe(expected);
  });
});

describe('formatFixed', () => {
  it('writes exactly the requested decimals, padding and rounding half-up', () => {
    expect(formatFixed(new Dec('5'), 2)).toBe('5.00');
    expect(formatFixed(new Dec('1234.5'), 0)).toBe('1235');
    expect(formatFixed(new Dec('0.0049'), 2)).toBe('0.00');
    expect(formatFixed(new Dec('12.3456'), 3)).toBe('12.346');
  });

  it('never uses exponent notation, for tiny or huge values', () => {
    expect(formatFixed(new Dec('0.0000001'), 2)).toBe('0.00');
    expect(formatFixed(new Dec('123456789012345678901234.5'), 2)).toBe('123456789012345678901234.50');
  });

  it('does not print a negative zero', () => {
    expect(formatFixed(new Dec('-0.001'), 2)).toBe('0.00');
  });
});

describe('formatAtLeast', () => {
  it('pads to the minimum but keeps every significant decimal', () => {
    expect(formatAtLeast(new Dec('19'), 2)).toBe('19.00');
    expect(formatAtLeast(new Dec('19.000'), 2)).toBe('19.00');
    expect(formatAtLeast(new Dec('0.966'), 2)).toBe('0.966');
    expect(formatAtLeast(new Dec('12.3456'), 0)).toBe('12.3456');
    expect(formatAtLeast(new Dec('1e-7'), 2)).toBe('0.0000001');
  });
});

describe('sumDecimals', () => {
  it('adds exactly, where floats do not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumDecimals([new Dec('0.1'), new Dec('0.2')]).toFixed()).toBe('0.3');
  });

  it('sums an empty list to zero', () => {
    expect(sumDecimals([]).isZero()).toBe(true);
  });
});

describe('integerDigits', () => {
  it.each([
    ['0.5', 0],
    ['1', 1],
    ['9.999', 1],
    ['10', 2],
    ['1234.5', 4],
  ])('%s has %i integer digits', (value, digits) => {
    expect(integerDigits(new Dec(value))).toBe(digits);
  });
});

describe('Dec', () => {
  it('is a private clone: the global decimal.js configuration is untouched', () => {
    expect(Dec.precision).toBe(50);
    expect(Decimal.precision).toBe(20);
    expect(Decimal.toExpPos).toBe(21);
    // The global constructor still switches to exponent notation where ours never does.
    expect(new Decimal('1e21').toString()).toBe('1e+21');
    expect(new Dec('1e21').toString()).toBe('1000000000000000000000');
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}
