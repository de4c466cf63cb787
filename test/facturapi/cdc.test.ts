import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CdcError, computeCdc, fiscalNumberOf, isValidCdc, parseCdc, securityCodeFor } from '../../connectors/facturapi/cdc.js';

// The two CDCs published in xmlgen's README (reference §4.3).
const README_CDCS = ['01800695631001001000000612021112917595714694', '01800695631001003000013712022010619364760029'];

describe('CDC (reference §4.3)', () => {
  it('accepts the published examples and recomputes them field by field', () => {
    for (const cdc of README_CDCS) expect(isValidCdc(cdc)).toBe(true);
    const parsed = parseCdc(README_CDCS[0]!)!;
    expect(parsed).toEqual({
      tipoDocumento: 1,
      ruc: '80069563',
      dv: '1',
      establecimiento: '001',
      punto: '001',
      numero: '0000006',
      tipoContribuyente: 1,
      fecha: '2021-11-29',
      tipoEmision: 1,
      codigoSeguridad: '759571469',
    });
    expect(computeCdc({ ...parsed, fecha: '2021-11-29T10:00:00' })).toBe(README_CDCS[0]);
  });

  it('pads each field to its width (tipoDocumento 2, RUC 8, establecimiento/punto 3, número 7, code 9)', () => {
    const cdc = computeCdc({
      tipoDocumento: 5,
      ruc: '3437941',
      dv: '0',
      establecimiento: 1,
      punto: '2',
      numero: 137,
      tipoContribuyente: 1,
      fecha: '2026-11-22T10:15:04',
      tipoEmision: 1,
      codigoSeguridad: 42,
    });
    expect(cdc).toHaveLength(44);
    expect(cdc.slice(0, 43)).toBe('05' + '03437941' + '0' + '001' + '002' + '0000137' + '1' + '20261122' + '1' + '000000042');
    expect(isValidCdc(cdc)).toBe(true);
  });

  it('the check digit is SET modulo 11: changing any digit breaks it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 42 }), fc.integer({ min: 1, max: 9 }), (position, delta) => {
        const cdc = README_CDCS[1]!;
        const changed = cdc.slice(0, position) + String((Number(cdc[position]) + delta) % 10) + cdc.slice(position + 1);
        // A single-digit change moves the weighted sum by delta × weight (2..11), never a multiple of 11
        // except with weight 11 and… none: 11 ∤ delta·w for w ≤ 10; w = 11 keeps the sum mod 11, so skip it.
        const weight = ((42 - position) % 10) + 2;
        fc.pre(weight !== 11);
        return !isValidCdc(changed);
      }),
    );
  });

  it('refuses fields that do not fit, naming them', () => {
    const base = { tipoDocumento: 1, ruc: '80069563', dv: '1', establecimiento: '001', punto: '001', numero: '1', tipoContribuyente: 2, fecha: '2026-01-01', tipoEmision: 1, codigoSeguridad: '1' };
    expect(() => computeCdc({ ...base, numero: '12345678' })).toThrow(CdcError);
    expect(() => computeCdc({ ...base, numero: '12345678' })).toThrow(/^numero:/);
    expect(() => computeCdc({ ...base, fecha: '29/11/2021' })).toThrow(/^fecha:/);
    expect(() => computeCdc({ ...base, ruc: '800695631' })).toThrow(/^ruc:/);
  });

  it('rejects strings that are not 44 digits', () => {
    expect(isValidCdc(README_CDCS[0]!.slice(0, 43))).toBe(false);
    expect(isValidCdc(`${README_CDCS[0]!.slice(0, 43)}X`)).toBe(false);
    expect(isValidCdc(44)).toBe(false);
    expect(parseCdc('0'.repeat(43) + '1')).toBeUndefined();
  });

  it('derives a stable, keyed, non-zero 9-digit security code from the idempotency key', () => {
    const a = securityCodeFor('secret-one-0123456789', 'shopify:acme|order-1|invoice');
    expect(a).toMatch(/^\d{9}$/);
    expect(securityCodeFor('secret-one-0123456789', 'shopify:acme|order-1|invoice')).toBe(a);
    expect(securityCodeFor('secret-two-0123456789', 'shopify:acme|order-1|invoice')).not.toBe(a);
    expect(securityCodeFor('secret-one-0123456789', 'shopify:acme|order-2|invoice')).not.toBe(a);
    fc.assert(fc.property(fc.string(), (key) => /^\d{9}$/.test(securityCodeFor('k', key)) && securityCodeFor('k', key) !== '000000000'));
  });

  it('prints the fiscal number as establecimiento-punto-número', () => {
    expect(fiscalNumberOf('1', 1, '137')).toBe('001-001-0000137');
  });
});
