import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import {
  bogotaDateTime,
  computeCude,
  computeCufe,
  computeDocumentKey,
  cufeInputFromWire,
  formatAmount,
  softwareSecurityCode,
} from '../../connectors/apidian/cufe.js';
import { exampleCreditNote, exampleDebitNote, exampleInvoice } from '../../connectors/apidian/sandbox/examples.js';

const sha384 = (text: string) => createHash('sha384').update(text, 'utf8').digest('hex');

// DIAN's worked example in the Anexo Técnico (factura 323200000129).
const DIAN_EXAMPLE = {
  id: '323200000129',
  issueDate: '2019-01-16',
  issueTime: '10:53:10-05:00',
  lineExtensionAmount: '1500000.00',
  ivaAmount: '285000.00',
  incAmount: '0.00',
  icaAmount: '0.00',
  payableAmount: '1785000.00',
  supplierNit: '700085371',
  customerId: '800199436',
  profileExecutionId: 1 as const,
};
const DIAN_EXAMPLE_STRING =
  '3232000001292019-01-1610:53:10-05:001500000.0001285000.00040.00030.001785000.00700085371800199436693ff6f2a553c3646a063436fd4dd9ded03114711';

describe('computeCufe', () => {
  it('hashes the fields in DIAN’s order (checked against the literal concatenation)', () => {
    const cufe = computeCufe({ ...DIAN_EXAMPLE, technicalKey: '693ff6f2a553c3646a063436fd4dd9ded0311471' });
    expect(cufe).toBe(sha384(DIAN_EXAMPLE_STRING));
    // The value DIAN publishes for this example.
    expect(cufe).toBe('8bb918b19ba22a694f1da11c643b5e9de39adf60311cf179179e9b33381030bcd4c3c3f156c506ed5908f9276f5bd9b4');
  });

  it('writes amounts with two decimals, rounding half up', () => {
    expect(formatAmount('159663.865')).toBe('159663.87');
    expect(formatAmount(1000)).toBe('1000.00');
    expect(formatAmount(new Decimal('0.005'))).toBe('0.01');
    const cufe = computeCufe({ ...DIAN_EXAMPLE, lineExtensionAmount: 1500000, ivaAmount: '284999.995', technicalKey: 'k' });
    expect(cufe).toBe(sha384(DIAN_EXAMPLE_STRING.replace('693ff6f2a553c3646a063436fd4dd9ded0311471', 'k')));
  });
});

describe('computeCude', () => {
  it('uses the software PIN in place of the technical key', () => {
    const literal = 'NC12024-01-1706:00:13-05:00840336.1301159663.87040.00030.001000000.00900123456900166483123452';
    expect(
      computeCude({
        id: 'NC1',
        issueDate: '2024-01-17',
        issueTime: '06:00:13-05:00',
        lineExtensionAmount: '840336.134',
        ivaAmount: '159663.865',
        incAmount: 0,
        icaAmount: 0,
        payableAmount: '1000000.00',
        supplierNit: '900123456',
        customerId: '900166483',
        softwarePin: '12345',
        profileExecutionId: 2,
      }),
    ).toBe(sha384(literal));
  });
});

describe('softwareSecurityCode', () => {
  it('is sha384(softwareId + pin + id)', () => {
    expect(softwareSecurityCode('soft-1', '12345', 'SETP990000001')).toBe(sha384('soft-112345SETP990000001'));
  });
});

describe('cufeInputFromWire', () => {
  const issuer = { nit: '900123456', technicalKey: 'fc8eac422eba16e22ffd8c6f94b3f40a6e38162c', softwarePin: '12345', environment: 2 as const };

  it('derives the invoice fields: prefix+number, time with offset, IVA/INC/ICA sums', () => {
    const wire = exampleInvoice(990000010, {
      tax_totals: [
        { tax_id: 1, tax_amount: '190.00', percent: '19', taxable_amount: '1000.00' },
        { tax_id: 1, tax_amount: '50.00', percent: '5', taxable_amount: '1000.00' },
        { tax_id: 4, tax_amount: '80.00', percent: '8', taxable_amount: '1000.00' },
        { tax_id: 3, tax_amount: '9.66', percent: '0.966', taxable_amount: '1000.00' },
      ],
    });
    const input = cufeInputFromWire('invoice', wire, issuer);
    const literal =
      'SETP9900000102025-07-2204:08:12-05:002000.0001240.000480.00039.662380.00900123456900428042fc8eac422eba16e22ffd8c6f94b3f40a6e38162c2';
    expect(input.algorithm).toBe('CUFE');
    expect(computeDocumentKey(input)).toBe(sha384(literal));
  });

  it('reads requested_monetary_totals for debit notes and signs with the PIN', () => {
    const wire = exampleDebitNote({ number: 'SETP990000001', uuid: 'c'.repeat(96), issue_date: '2025-07-22' }, 7);
    const input = cufeInputFromWire('debit_note', wire, issuer);
    expect(input.algorithm).toBe('CUDE');
    const literal = 'ND72025-07-2310:15:00-05:00500.000195.00040.00030.00595.00900123456900428042123452';
    expect(computeDocumentKey(input)).toBe(sha384(literal));
  });

  it('uses the issuer prefix when the wire has none, and the given instant when date/time are missing', () => {
    const wire = exampleCreditNote({ number: 'SETP990000001', uuid: 'c'.repeat(96), issue_date: '2025-07-22' }, 3);
    delete wire.prefix;
    delete wire.date;
    delete wire.time;
    const input = cufeInputFromWire('credit_note', wire, { ...issuer, prefix: 'NC', now: new Date('2025-07-23T02:30:00Z') });
    expect(input.id).toBe('NC3');
    expect(input.issueDate).toBe('2025-07-22');
    expect(input.issueTime).toBe('21:30:00-05:00');
  });

  it('refuses to guess a missing secret or instant', () => {
    expect(() => cufeInputFromWire('invoice', exampleInvoice(), { nit: '900123456', environment: 2 })).toThrow(/technical key/);
    const wire = exampleInvoice();
    delete wire.time;
    expect(() => cufeInputFromWire('invoice', wire, issuer)).toThrow(/issuer\.now/);
  });

  it('bogotaDateTime is UTC−5 all year', () => {
    expect(bogotaDateTime(new Date('2026-01-01T04:59:59Z'))).toEqual(['2025-12-31', '23:59:59']);
    expect(bogotaDateTime(new Date('2026-07-01T12:00:00Z'))).toEqual(['2026-07-01', '07:00:00']);
  });
});
