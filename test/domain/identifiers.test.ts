import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { Identification } from '../../src/domain/fiscal-document.js';
import {
  FINAL_CONSUMER_CO,
  isValidNit,
  isValidRif,
  isValidRuc,
  nitCheckDigit,
  normalizeColombianIdentification,
  rifCheckDigit,
  rucCheckDigit,
  setModulo11CheckDigit,
} from '../../src/domain/identifiers.js';

describe('nitCheckDigit (DIAN)', () => {
  it('gives DIAN its own published check digit: 800.197.268-4', () => {
    // By hand: digits right to left 8,6,2,7,9,1,0,0,8 × 3,7,13,17,19,23,29,37,41
    // = 24+42+26+119+171+23+0+0+328 = 733; 733 mod 11 = 7; DV = 11 − 7 = 4.
    expect(nitCheckDigit('800197268')).toBe('4');
  });

  it.each([
    ['900166483', '1'], // customer of APIDIAN's credit-note example (reference §1.5), sent with dv 1; r = 10
    ['213123432', '1'], // python-stdnum's example 213.123.432-1; r = 1, so DV = r
    ['213123435', '1'], // python-stdnum's example 2131234351
    ['900123456', '8'],
  ])('NIT %s has check digit %s', (nit, dv) => {
    expect(nitCheckDigit(nit)).toBe(dv);
  });

  it('keeps a remainder of 0 as the check digit', () => {
    // 9×3 + 9×41 = 396 = 36 × 11, so r = 0 and DV = 0.
    expect(nitCheckDigit('900000009')).toBe('0');
  });

  it('refuses non-digits and NITs longer than the weight table', () => {
    expect(() => nitCheckDigit('900.123.456')).toThrow(DomainError);
    expect(() => nitCheckDigit('')).toThrow(DomainError);
    expect(() => nitCheckDigit('1'.repeat(16))).toThrow(/at most 15 digits/);
    expect(nitCheckDigit('1'.repeat(15))).toMatch(/^\d$/);
  });

  it('isValidNit checks without throwing', () => {
    expect(isValidNit('800197268', '4')).toBe(true);
    expect(isValidNit('800197268', '5')).toBe(false);
    expect(isValidNit('80019726A', '4')).toBe(false);
    expect(isValidNit('800197268', '44')).toBe(false);
  });
});

describe('normalizeColombianIdentification', () => {
  it.each([
    ['900.123.456-8', { type: 'NIT', number: '900123456', checkDigit: '8' }],
    ['900123456-8', { type: 'NIT', number: '900123456', checkDigit: '8' }],
    ['900123456 8', { type: 'NIT', number: '900123456', checkDigit: '8' }],
    [' 800 197 268 - 4 ', { type: 'NIT', number: '800197268', checkDigit: '4' }],
    ['900123456', { type: 'NIT', number: '900123456', checkDigit: '8' }], // 9 digits from 8/9: a company NIT
    ['800197268', { type: 'NIT', number: '800197268', checkDigit: '4' }],
    ['1032456789', { type: 'CC', number: '1032456789' }],
    ['1.032.456.789', { type: 'CC', number: '1032456789' }],
    ['52123456', { type: 'CC', number: '52123456' }],
    ['712345678', { type: 'CC', number: '712345678' }], // 9 digits, but not in the company range
    ['222222222222', { type: 'FINAL_CONSUMER', number: FINAL_CONSUMER_CO }],
    ['', { type: 'FINAL_CONSUMER', number: FINAL_CONSUMER_CO }],
    ['   ', { type: 'FINAL_CONSUMER', number: FINAL_CONSUMER_CO }],
  ] as const)('reads %j as %j', (raw, expected) => {
    const id = normalizeColombianIdentification(raw);
    expect(id).toEqual(expected);
    expect(Identification.safeParse(id).success).toBe(true);
  });

  it('refuses a wrong check digit with a clear sentence that does not repeat the whole id', () => {
    let error: unknown;
    try {
      normalizeColombianIdentification('900.123.456-7');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).path).toBe('buyer.identification.number');
    expect((error as DomainError).message).toBe(
      "buyer.identification.number: the NIT ending in 456 has check digit 8, not 7: check the buyer's tax id",
    );
    expect((error as DomainError).message).not.toContain('900123456');
  });

  it('uses the declared type for plain digits', () => {
    expect(normalizeColombianIdentification('1032456789', 'NIT')).toEqual({
      type: 'NIT',
      number: '1032456789',
      checkDigit: nitCheckDigit('1032456789'),
    });
    expect(normalizeColombianIdentification('900123456', 'CC')).toEqual({ type: 'CC', number: '900123456' });
    expect(normalizeColombianIdentification('123456', 'CE')).toEqual({ type: 'CE', number: '123456' });
  });

  it('treats a declared FINAL_CONSUMER as the anonymous buyer whatever was typed', () => {
    expect(normalizeColombianIdentification('whatever', 'FINAL_CONSUMER')).toEqual({
      type: 'FINAL_CONSUMER',
      number: '222222222222',
    });
  });

  it('accepts letters only for types that may have them', () => {
    expect(normalizeColombianIdentification('ab 123456', 'PASSPORT')).toEqual({ type: 'PASSPORT', number: 'AB123456' });
    expect(normalizeColombianIdentification('X1234567', 'FOREIGN_ID')).toEqual({ type: 'FOREIGN_ID', number: 'X1234567' });
    expect(() => normalizeColombianIdentification('AB123456')).toThrow(/declare its type \(PASSPORT/);
    expect(() => normalizeColombianIdentification('AB123456', 'CC')).toThrow(/which a CC cannot have/);
    expect(() => normalizeColombianIdentification('AB#123', 'PASSPORT')).toThrow(DomainError);
  });

  it('refuses a check digit on a type that has none', () => {
    expect(() => normalizeColombianIdentification('900123456-8', 'CC')).toThrow(/only a NIT has/);
  });

  it('reports errors at the path it is given', () => {
    expect(() => normalizeColombianIdentification('900123456-7', undefined, 'customer.nit')).toThrow(/^customer\.nit: /);
  });
});

describe('rucCheckDigit (Paraguay, SET)', () => {
  it('gives the check digit of the issuer RUC in the SIFEN reference (80069563-1)', () => {
    // By hand: 3×2 + 6×3 + 5×4 + 9×5 + 6×6 + 0×7 + 0×8 + 8×9 = 197; 197 mod 11 = 10; DV = 11 − 10 = 1.
    expect(rucCheckDigit('80069563')).toBe('1');
  });

  it.each([
    // python-stdnum's examples and its list of RUCs found online.
    ['80028061', '0'], // r = 1 → 0
    ['80000020', '0'],
    ['80000035', '8'],
    ['80000190', '7'],
    ['999160', '3'],
    ['2660', '3'],
    ['1068460', '3'],
    ['50001080', '3'],
    ['80101690', '8'],
    ['46470', '8'],
  ])('RUC %s has check digit %s', (ruc, dv) => {
    expect(rucCheckDigit(ruc)).toBe(dv);
    expect(isValidRuc(ruc, dv)).toBe(true);
  });

  it('rejects a RUC with the wrong check digit (80021744-8)', () => {
    expect(isValidRuc('80021744', '8')).toBe(false);
  });

  it('replaces a letter with its character code, as SET does', () => {
    // "A1" → "651": 1×2 + 5×3 + 6×4 = 41; 41 mod 11 = 8; DV = 3.
    expect(rucCheckDigit('A1')).toBe('3');
    expect(rucCheckDigit('a1')).toBe('3');
  });

  it('refuses empty or over-long RUCs and symbols', () => {
    expect(() => rucCheckDigit('')).toThrow(DomainError);
    expect(() => rucCheckDigit('123456789')).toThrow(/1 to 8 characters/);
    expect(() => rucCheckDigit('8006-956')).toThrow(DomainError);
    expect(isValidRuc('', '0')).toBe(false);
  });
});

describe('setModulo11CheckDigit (SIFEN CDC)', () => {
  it.each(['01800695631001001000000612021112917595714694', '01800695631001003000013712022010619364760029'])(
    'reproduces the last digit of the published CDC %s',
    (cdc) => {
      expect(setModulo11CheckDigit(cdc.slice(0, 43))).toBe(cdc.slice(43));
    },
  );

  it('restarts the weights at 2 after baseMax', () => {
    // 12 digits: the leading 1 sits at position 12 from the right, whose weight is 3 (2..11, then 2, 3).
    expect(setModulo11CheckDigit('100000000000')).toBe('8'); // 3 mod 11 = 3 → 8
    // baseMax 3: weights 2, 3, 2 → 7 → 11 − 7 = 4.
    expect(setModulo11CheckDigit('111', 3)).toBe('4');
  });
});

describe('rifCheckDigit (Venezuela, SENIAT)', () => {
  it('computes J-00004793-6 by hand', () => {
    // J = 3 × 4 = 12; 0,0,0,0,4,7,9,3 × 3,2,7,6,5,4,3,2 = 20+28+27+6 = 81; s = 93; 93 mod 11 = 5; DV = 6.
    expect(rifCheckDigit('J-00004793')).toBe('6');
  });

  it.each([
    // RIFs listed by python-stdnum as found online and valid on SENIAT's BuscaRif.
    ['V-11470283', '4'],
    ['J-00051895', '5'],
    ['G-20000085', '6'],
    ['E-81081253', '5'],
    ['J-40994900', '1'],
    ['P-00033812', '0'], // s mod 11 = 0 → 11 → 0
    ['V-20674844', '0'], // s mod 11 = 1 → 10 → 0
  ])('RIF %s has check digit %s', (rif, dv) => {
    expect(rifCheckDigit(rif)).toBe(dv);
    expect(isValidRif(rif, dv)).toBe(true);
  });

  it('accepts the compact and lower-case spellings', () => {
    expect(rifCheckDigit('v11470283')).toBe('4');
    expect(rifCheckDigit('V 11.470.283')).toBe('4');
  });

  it('rejects a wrong check digit and malformed RIFs', () => {
    expect(isValidRif('V-11470283', '3')).toBe(false);
    expect(() => rifCheckDigit('X-11470283')).toThrow(DomainError);
    expect(() => rifCheckDigit('V-1147028')).toThrow(/followed by 8 digits/);
    expect(() => rifCheckDigit('V-114702834')).toThrow(DomainError);
    expect(isValidRif('Z-11470283', '4')).toBe(false);
  });
});
