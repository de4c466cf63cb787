/**
 * The Unidigital wire schema: what it requires, what it completes (mirrors, IGTF, totals, letters),
 * how it audits amounts like the imprenta, and the formats it normalises.
 */
import { describe, expect, it } from 'vitest';
import { amountInLetters } from '../../connectors/unidigital/amount-letters.js';
import { describeIssues, splitFiscalRegistry, unidigitalWireSchemas, venezuelanDateTime } from '../../connectors/unidigital/wire.js';
import { wireFixture } from './helpers.js';

const SERIE = '6b0f2a9e-3c1d-4e8b-9f27-5a4d3c2b1e0f';

/** A minimal VES invoice as a mapping would give it: amounts as decimal strings, nothing derived. */
function draft(changes: Record<string, unknown> = {}): Record<string, any> {
  return {
    SerieStrongId: SERIE,
    DocumentType: 'FA',
    Number: 7,
    EmissionDateAndTime: '2026-11-20T10:15:00-04:00',
    Name: 'Bodega La Esquina',
    FiscalRegistry: 'J-40876543-8',
    Address: 'Calle Real de Sabana Grande, Caracas',
    EmailTo: 'bodega@example.com',
    Currency: 'VES',
    ExemptAmount: '0.00',
    TaxBase: '100.00',
    TaxAmount: '16.00',
    Subtotal: '100.00',
    Taxes: '16.00',
    Total: '116.00',
    Details: [
      { Description: 'Queso llanero', Quantity: '2', UnitPrice: '50.00', Amount: '100.00', Discount: '0.00', AmountPlusDiscount: '100.00', TaxAmount: '16.00', TaxCode: 'G', OperationCode: 'C001' },
    ],
    ...changes,
  };
}

const parse = (doc: unknown, kind: 'invoice' | 'credit_note' | 'debit_note' = 'invoice') => unidigitalWireSchemas[kind].safeParse(doc);
const issues = (doc: unknown, kind: 'invoice' | 'credit_note' | 'debit_note' = 'invoice') => {
  const parsed = parse(doc, kind);
  return parsed.success ? [] : describeIssues(parsed.error);
};

describe('completion', () => {
  it('a VES document gets ExchangeRate 1, every *VES mirror equal, the legal rates, GrandTotal and letters', () => {
    const parsed = parse(draft());
    expect(parsed.success).toBe(true);
    const doc = parsed.data!;
    expect(doc).toMatchObject({
      FiscalRegistryCode: 'J',
      FiscalRegistry: '408765438',
      EmissionDateAndTime: '2026-11-20T10:15:00.000-04:00',
      ConversionCurrency: 'VES',
      ExchangeRate: 1,
      TaxPercent: 16,
      TaxPercentReduced: 8,
      TaxPercentSumptuary: 31,
      IGTFPercentage: 3,
      TaxBaseReduced: 0,
      Discount: 0,
      SubtotalPlusDiscount: 100,
      GrandTotal: 116,
      TaxBaseVES: 100,
      TotalVES: 116,
      GrandTotalVES: 116,
      IGTFBaseAmountVES: 0,
      IGTFAmountVES: 0,
      AmountLetters: 'CIENTO DIECISÉIS BOLÍVARES CON 00/100',
    });
    // IGTF that does not apply: base and amount are left out, their mirrors are 0.
    expect('IGTFBaseAmount' in doc).toBe(false);
    expect('IGTFAmount' in doc).toBe(false);
    expect(doc.Details[0]).toMatchObject({ TotalAmount: 116, TaxPercent: 16, IsExempt: false, ProductType: 1, Quantity: 2 });
  });

  it('a USD document converts each field at the rate and adds IGTF on the part paid in dollars', () => {
    const parsed = parse(draft({ Currency: 'USD', ExchangeRate: '36.5', IGTFBaseAmount: '50.00' }));
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({
      ExchangeRate: 36.5,
      IGTFBaseAmount: 50,
      IGTFAmount: 1.5,
      GrandTotal: 117.5,
      TaxBaseVES: 3650,
      TaxAmountVES: 584,
      TotalVES: 4234,
      IGTFBaseAmountVES: 1825,
      IGTFAmountVES: 54.75,
      GrandTotalVES: 4288.75,
      AmountLetters: 'CIENTO DIECISIETE DÓLARES CON 50/100',
      AmountLettersVES: 'CUATRO MIL DOSCIENTOS OCHENTA Y OCHO BOLÍVARES CON 75/100',
    });
  });

  it('leaves SerieStrongId to the target: the standalone schema accepts a mapping output without it', () => {
    const { SerieStrongId: _serie, ...withoutSeries } = draft();
    const parsed = parse(withoutSeries);
    expect(parsed.success).toBe(true);
    expect('SerieStrongId' in parsed.data!).toBe(false);
    expect(issues(draft({ SerieStrongId: 'A' }))).toEqual(['SerieStrongId: SerieStrongId must be a GUID (the series strongId from GET /series)']);
  });

  it('writes a fractional quantity into the description too (the imprenta prints it as 0)', () => {
    const doc = draft();
    doc.Details[0] = { ...doc.Details[0], Description: 'Café molido', Quantity: '0.5', UnitPrice: '200.00' };
    expect(parse(doc).data?.Details[0]).toMatchObject({ Description: 'Café molido (cantidad 0.5)', Quantity: 0.5 });
  });

  it('keeps the fixtures’ completed bodies stable', () => {
    const wire = wireFixture('invoice-usd-igtf');
    // Completing an already complete document changes nothing: every given value is audited, not replaced.
    expect(JSON.parse(JSON.stringify(parse(wire).data))).toEqual(wire);
  });
});

describe('audit, with the field to fix', () => {
  it('refuses a *VES mirror that differs from its value in a VES document, in the imprenta’s words', () => {
    expect(issues(draft({ TaxBaseVES: 0 }))).toEqual(['TaxBaseVES: se requiere que TaxBase (Bs 100.00) y TaxBaseVES (Bs 0.00) tengan el mismo valor']);
  });

  it('refuses a rate other than the legal one, and ExchangeRate ≠ 1 in VES', () => {
    expect(issues(draft({ TaxPercentReduced: 0 }))).toEqual([
      'TaxPercentReduced: TaxPercentReduced no puede ser diferente de 8% (got 0.00); send the legal rate even when its base is 0',
    ]);
    expect(issues(draft({ ExchangeRate: 2 }))[0]).toMatch(/^ExchangeRate: ExchangeRate must be 1 for a document in VES/);
  });

  it('refuses line and header amounts that do not add up', () => {
    const doc = draft();
    doc.Details[0].TaxAmount = '15.00';
    expect(issues(doc)).toEqual([
      'Details[0].TaxAmount: TaxAmount (15.00) must be AmountPlusDiscount × 16% (16.00)',
      'TaxAmount: TaxAmount (16.00) must be the sum of the TaxAmount of the lines with TaxCode G (15.00)',
    ]);
    expect(issues(draft({ Total: '120.00' }))[0]).toMatch(/^Total: Total \(120.00\) must be Subtotal − Discount \+ Taxes \+ PreviousBalance \(116.00\)/);
    expect(issues(draft({ Currency: 'USD', ExchangeRate: '36.5', IGTFBaseAmount: '50.00', IGTFAmount: '2.00' }))).toEqual([
      'IGTFAmount: IGTFAmount (2.00) must be IGTFBaseAmount × 3% (1.50)',
    ]);
    expect(issues(draft({ Currency: 'USD', ExchangeRate: '36.5', IGTFBaseAmount: '200.00' }))[0]).toMatch(/^IGTFBaseAmount: .*cannot exceed the Total/);
    expect(issues(draft({ Discount: '-5.00' }))).toContain('Discount: Discount must not be negative (-5.00): amounts are positive on NC and ND too');
  });

  it('requires EmailTo, OperationCode, Address and a fiscal registry, with Unidigital’s messages', () => {
    expect(issues(draft({ EmailTo: '' }))).toEqual(["EmailTo: 'Email To' no debería estar vacío"]);
    expect(issues(draft({ EmailTo: 'no-at-sign' }))).toEqual(['EmailTo: EmailTo must be an e-mail address']);
    const doc = draft({ Address: ' ' });
    doc.Details[0].OperationCode = '';
    expect(issues(doc)).toEqual([
      "Address: 'Address' no debería estar vacío: the imprenta requires the buyer's address on every invoice, even for a final consumer",
      'Details[0].OperationCode: Debe indicar el código de operación del producto facturado (OperationCode, e.g. C001)',
    ]);
    expect(issues(draft({ FiscalRegistry: '12345678' }))).toEqual(['FiscalRegistryCode: FiscalRegistryCode is required: V, E, J, G or P (or lead FiscalRegistry with that letter)']);
  });

  it('wants the document type of its kind, and AffectedDocumentNumber on notes', () => {
    expect(issues(draft(), 'credit_note')).toEqual(['DocumentType: DocumentType must be NC for this kind of document (got FA)']);
    expect(issues(draft({ DocumentType: 'NC' }), 'credit_note')).toEqual(['AffectedDocumentNumber: AffectedDocumentNumber is required on a NC: the Number of the invoice it corrects']);
    expect(parse(draft({ DocumentType: 'ND', AffectedDocumentNumber: 3 }), 'debit_note').success).toBe(true);
  });

  it('names a misspelt field instead of letting the imprenta ignore it', () => {
    expect(issues(draft({ EmailCC: 'x@example.com' }))[0]).toMatch(/EmailCC/);
  });

  it('refuses an amount a JSON number cannot carry exactly', () => {
    expect(issues(draft({ Currency: 'USD', ExchangeRate: '123456789012.345678' })).some((m) => /more than 15 significant digits/.test(m))).toBe(true);
  });
});

describe('formats', () => {
  it('writes EmissionDateAndTime in Venezuelan time with milliseconds, keeping the instant', () => {
    expect(venezuelanDateTime('2026-11-20T14:15:00Z')).toBe('2026-11-20T10:15:00.000-04:00');
    expect(venezuelanDateTime('2026-11-20T09:15:00-05:00')).toBe('2026-11-20T10:15:00.000-04:00');
    expect(venezuelanDateTime('2026-11-21T02:30:00+02:00')).toBe('2026-11-20T20:30:00.000-04:00');
  });

  it('splits a typed RIF or cédula into its letter and digits', () => {
    expect(splitFiscalRegistry('J-40876543-8', undefined)).toEqual({ code: 'J', digits: '408765438' });
    expect(splitFiscalRegistry('v 12.345.678', undefined)).toEqual({ code: 'V', digits: '12345678' });
    expect(splitFiscalRegistry('12345678', 'E')).toEqual({ code: 'E', digits: '12345678' });
    expect(splitFiscalRegistry('V12345678', 'E').problem).toBe('FiscalRegistry starts with V but FiscalRegistryCode is E');
    expect(splitFiscalRegistry('ABC', undefined).problem).toMatch(/RIF or cédula digits/);
  });

  it('writes amounts in Spanish words with the currency and cents', () => {
    expect(amountInLetters('0', 'VES')).toBe('CERO BOLÍVARES CON 00/100');
    expect(amountInLetters('1', 'USD')).toBe('UN DÓLAR CON 00/100');
    expect(amountInLetters('1.99', 'VES')).toBe('UN BOLÍVAR CON 99/100');
    expect(amountInLetters('21.05', 'VES')).toBe('VEINTIÚN BOLÍVARES CON 05/100');
    expect(amountInLetters('100', 'VES')).toBe('CIEN BOLÍVARES CON 00/100');
    expect(amountInLetters('101', 'VES')).toBe('CIENTO UN BOLÍVARES CON 00/100');
    expect(amountInLetters('1234.50', 'VES')).toBe('MIL DOSCIENTOS TREINTA Y CUATRO BOLÍVARES CON 50/100');
    expect(amountInLetters('21000', 'EUR')).toBe('VEINTIÚN MIL EUROS CON 00/100');
    expect(amountInLetters('1000000', 'VES')).toBe('UN MILLÓN BOLÍVARES CON 00/100');
    expect(amountInLetters('2500000.755', 'VES')).toBe('DOS MILLONES QUINIENTOS MIL BOLÍVARES CON 76/100');
    expect(amountInLetters('1001001', 'VES')).toBe('UN MILLÓN MIL UN BOLÍVARES CON 00/100');
  });
});
