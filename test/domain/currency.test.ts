import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { currencyDecimals } from '../../src/domain/currency.js';

describe('currencyDecimals', () => {
  it.each([
    ['COP', 2],
    ['USD', 2],
    ['EUR', 2],
    ['VES', 2],
    ['PYG', 0],
    ['CLP', 0],
    ['JPY', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['CLF', 4],
  ])('%s has %i decimals on fiscal documents', (code, decimals) => {
    expect(currencyDecimals(code)).toBe(decimals);
  });

  it('defaults to 2 for a valid code it does not list', () => {
    expect(currencyDecimals('MXN')).toBe(2);
    expect(currencyDecimals('BRL')).toBe(2);
  });

  it.each(['cop', 'CO', 'COPP', '', '12A'])('rejects the malformed code %j with the field path', (code) => {
    expect(() => currencyDecimals(code)).toThrow(DomainError);
    expect(() => currencyDecimals(code)).toThrow(/^currency: must be an ISO 4217 currency code/);
  });
});
