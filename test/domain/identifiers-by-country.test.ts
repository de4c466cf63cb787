import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { normalizeIdentification } from '../../src/domain/identifiers.js';

describe('buyer ids by the rules of the issuing country', () => {
  it('Colombia: NIT with a verified check digit, final consumer for an empty id', () => {
    expect(normalizeIdentification('CO', '800.197.268-4')).toEqual({ type: 'NIT', number: '800197268', checkDigit: '4' });
    expect(normalizeIdentification('CO', '')).toEqual({ type: 'FINAL_CONSUMER', number: '222222222222' });
    expect(() => normalizeIdentification('CO', '800197268-5')).toThrow(DomainError);
  });

  it('Paraguay: RUC with its check digit, cédula, and the generic innominado RUC', () => {
    expect(normalizeIdentification('PY', '80069563-1')).toEqual({ type: 'RUC', number: '80069563', checkDigit: '1' });
    expect(normalizeIdentification('PY', '1.234.567')).toEqual({ type: 'CI', number: '1234567' });
    expect(normalizeIdentification('PY', '')).toEqual({ type: 'FINAL_CONSUMER', number: '44444401', checkDigit: '7' });
    expect(() => normalizeIdentification('PY', '80069563-2')).toThrow(/check digit 1, not 2/);
  });

  it('Venezuela: RIF with or without its check digit, cédula, final consumer', () => {
    expect(normalizeIdentification('VE', 'J-12345678-4')).toEqual({ type: 'RIF', number: 'J12345678', checkDigit: '4' });
    expect(normalizeIdentification('VE', 'j12345678')).toEqual({ type: 'RIF', number: 'J12345678', checkDigit: '4' });
    expect(normalizeIdentification('VE', 'V-12.345.678')).toEqual({ type: 'RIF', number: 'V12345678', checkDigit: '1' });
    expect(normalizeIdentification('VE', '12345678')).toEqual({ type: 'CI', number: '12345678' });
    expect(normalizeIdentification('VE', '')).toEqual({ type: 'FINAL_CONSUMER', number: '00000000' });
    expect(() => normalizeIdentification('VE', 'J-12345678-5')).toThrow(/check digit 4, not 5/);
  });

  it('ignores a declared type that does not exist in the country and reads the id itself', () => {
    expect(normalizeIdentification('PY', '80069563-1', 'NIT')).toEqual({ type: 'RUC', number: '80069563', checkDigit: '1' });
    expect(normalizeIdentification('CO', '900373115', 'NIT')).toEqual({ type: 'NIT', number: '900373115', checkDigit: '3' });
  });

  it('never repeats the whole id in an error', () => {
    try {
      normalizeIdentification('PY', '80069563-2');
      throw new Error('expected a DomainError');
    } catch (error) {
      expect((error as Error).message).not.toContain('80069563');
    }
  });
});
