import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import type { FiscalDocumentDraftInput } from '../../src/domain/fiscal-document.js';
import { computeDocument } from '../../src/domain/totals.js';

type LineInput = FiscalDocumentDraftInput['lines'][number];

function draft(lines: LineInput[], extra: Partial<FiscalDocumentDraftInput> = {}): FiscalDocumentDraftInput {
  return {
    kind: 'invoice',
    issuedAt: '2026-11-20T14:03:00-05:00',
    currency: 'COP',
    buyer: { name: 'Comprador', identification: { type: 'CC', number: '1032456789' } },
    orderRef: { source: 'shopify:acme.myshopify.com', orderId: '5551234' },
    lines,
    ...extra,
  };
}

function line(partial: Partial<LineInput> & Pick<LineInput, 'quantity' | 'unitPrice'>): LineInput {
  return { code: 'SKU', description: 'Producto', ...partial };
}

const iva = (percent: string) => ({ code: 'IVA', percent });

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError');
}

describe('computeDocument — a COP order at 19 %, 5 % and 0 % with a discount, shipping and a coupon', () => {
  // Hand-checked:
  //   camiseta 2 × 45,000 = 90,000 − 9,000 discount = 81,000; IVA 19 % = 15,390
  //   café     3 × 18,500 = 55,500;                            IVA  5 % =  2,775
  //   libro    1 × 62,000 = 62,000;                            IVA  0 % =      0
  //   envío    1 × 12,000 = 12,000;                            IVA 19 % =  2,280
  //   line extension 210,500; taxes 20,445; tax inclusive 230,945; coupon 5,000 → payable 225,945
  const doc = computeDocument(
    draft(
      [
        line({ code: 'CAM', description: 'Camiseta', quantity: '2', unitPrice: '45000.00', discounts: [{ amount: '9000' }], taxes: [iva('19')] }),
        line({ code: 'CAF', description: 'Café 500 g', quantity: '3', unitPrice: '18500', taxes: [iva('5')] }),
        line({ code: 'LIB', description: 'Libro', quantity: '1', unitPrice: '62000', taxes: [iva('0')] }),
        line({ kind: 'shipping', code: 'ENV', description: 'Envío', quantity: '1', unitPrice: '12000', taxes: [iva('19')] }),
      ],
      { allowances: [{ reason: 'Cupón BIENVENIDA', amount: '5000' }] },
    ),
  );

  it('computes each line', () => {
    expect(doc.lines.map((l) => [l.grossAmount, l.discountAmount, l.lineExtensionAmount, l.netUnitPrice, l.taxAmount])).toEqual([
      ['90000.00', '9000.00', '81000.00', '45000.00', '15390.00'],
      ['55500.00', '0.00', '55500.00', '18500.00', '2775.00'],
      ['62000.00', '0.00', '62000.00', '62000.00', '0.00'],
      ['12000.00', '0.00', '12000.00', '12000.00', '2280.00'],
    ]);
    expect(doc.lines[0]!.taxes).toEqual([{ code: 'IVA', percent: '19.00', taxableAmount: '81000.00', taxAmount: '15390.00' }]);
    expect(doc.lines[3]!.kind).toBe('shipping');
  });

  it('groups the tax summary by code and percent, in first-seen order', () => {
    expect(doc.taxSummary).toEqual([
      { code: 'IVA', percent: '19.00', taxableAmount: '93000.00', taxAmount: '17670.00' },
      { code: 'IVA', percent: '5.00', taxableAmount: '55500.00', taxAmount: '2775.00' },
      { code: 'IVA', percent: '0.00', taxableAmount: '62000.00', taxAmount: '0.00' },
    ]);
  });

  it('computes the totals', () => {
    expect(doc.totals).toEqual({
      lineExtensionAmount: '210500.00',
      taxExclusiveAmount: '210500.00',
      taxTotal: '20445.00',
      taxInclusiveAmount: '230945.00',
      allowanceTotalAmount: '5000.00',
      chargeTotalAmount: '0.00',
      payableAmount: '225945.00',
    });
    expect(doc.allowances).toEqual([{ reason: 'Cupón BIENVENIDA', amount: '5000.00' }]);
  });

  it('applies the draft defaults', () => {
    expect(doc.lines[0]!.kind).toBe('item');
    expect(doc.lines[0]!.unit).toBe('unit');
    expect(doc.lines[0]!.priceIncludesTax).toBe(false);
    expect(doc.payment).toEqual({ form: 'cash', method: 'other' });
    expect(doc.charges).toEqual([]);
  });
});

describe('computeDocument — line rules', () => {
  it('leaves a line without taxes (an excluded service) out of the taxable base', () => {
    const doc = computeDocument(
      draft([
        line({ quantity: '1', unitPrice: '100000', taxes: [iva('19')] }),
        line({ quantity: '1', unitPrice: '20000' }),
      ]),
    );
    expect(doc.totals.lineExtensionAmount).toBe('120000.00');
    expect(doc.totals.taxExclusiveAmount).toBe('100000.00');
    expect(doc.totals.taxInclusiveAmount).toBe('139000.00');
    expect(doc.lines[1]!.taxes).toEqual([]);
    expect(doc.lines[1]!.taxAmount).toBe('0.00');
  });

  it('rounds half-up per line, then sums the rounded values', () => {
    // Each line: 1.05 × 5 % = 0.0525 → 0.05; three lines → 0.15 (rounding the sum would give 0.16).
    const doc = computeDocument(
      draft(
        [1, 2, 3].map(() => line({ quantity: '1', unitPrice: '1.05', taxes: [iva('5')] })),
        { currency: 'USD' },
      ),
    );
    expect(doc.lines.map((l) => l.taxAmount)).toEqual(['0.05', '0.05', '0.05']);
    expect(doc.totals.taxTotal).toBe('0.15');
    // 1.5 kg × 3,999.99 = 5,999.985 → 5,999.99 (half-up; banker's rounding would keep .98).
    const weighed = computeDocument(draft([line({ quantity: '1.5', unitPrice: '3999.99' })]));
    expect(weighed.lines[0]!.lineExtensionAmount).toBe('5999.99');
  });

  it('uses the currency decimals: PYG has none', () => {
    const doc = computeDocument(draft([line({ quantity: '3', unitPrice: '8333.5', taxes: [{ code: 'IVA', percent: '10' }] })], { currency: 'PYG' }));
    // 3 × 8,333.5 = 25,000.5 → 25,001; IVA 2,500.1 → 2,500.
    expect(doc.lines[0]!.lineExtensionAmount).toBe('25001');
    expect(doc.lines[0]!.taxAmount).toBe('2500');
    expect(doc.totals.payableAmount).toBe('27501');
  });

  it('keeps extra precision in the net unit price of a tax-exclusive line, so price × quantity gives the gross', () => {
    const doc = computeDocument(draft([line({ quantity: '3', unitPrice: '12.3456', taxes: [iva('19')] })], { currency: 'USD' }));
    const l = doc.lines[0]!;
    expect(l.netUnitPrice).toBe('12.3456');
    expect(l.grossAmount).toBe('37.04'); // 37.0368
    expect(l.lineExtensionAmount).toBe('37.04');
    expect(l.taxAmount).toBe('7.04'); // 7.0376
  });

  it('normalizes percents to at least two decimals and groups equal rates written differently', () => {
    const doc = computeDocument(
      draft([
        line({ quantity: '1', unitPrice: '100', taxes: [iva('19')] }),
        line({ quantity: '1', unitPrice: '100', taxes: [iva('19.000')] }),
        line({ quantity: '1', unitPrice: '1000', taxes: [{ code: 'ICA', percent: '0.966' }] }),
      ]),
    );
    expect(doc.taxSummary).toEqual([
      { code: 'IVA', percent: '19.00', taxableAmount: '200.00', taxAmount: '38.00' },
      { code: 'ICA', percent: '0.966', taxableAmount: '1000.00', taxAmount: '9.66' },
    ]);
  });

  it('adds every tax of a line computed on the same base', () => {
    const doc = computeDocument(draft([line({ quantity: '2', unitPrice: '50000', taxes: [iva('19'), { code: 'INC', percent: '8' }] })]));
    expect(doc.lines[0]!.taxes.map((t) => [t.code, t.taxableAmount, t.taxAmount])).toEqual([
      ['IVA', '100000.00', '19000.00'],
      ['INC', '100000.00', '8000.00'],
    ]);
    expect(doc.lines[0]!.taxAmount).toBe('27000.00');
    expect(doc.totals.payableAmount).toBe('127000.00');
  });

  it('adds document-level charges and rounds them to the currency', () => {
    const doc = computeDocument(
      draft([line({ quantity: '1', unitPrice: '100', taxes: [iva('19')] })], {
        currency: 'USD',
        charges: [{ reason: 'Empaque de regalo', amount: '10.005' }],
        allowances: [{ reason: 'Descuento', amount: '5' }],
      }),
    );
    expect(doc.charges).toEqual([{ reason: 'Empaque de regalo', amount: '10.01' }]);
    expect(doc.totals.chargeTotalAmount).toBe('10.01');
    expect(doc.totals.payableAmount).toBe('124.01'); // 119 − 5 + 10.01
  });
});

describe('computeDocument — tax-inclusive prices', () => {
  it('extracts the base from a price that includes IVA', () => {
    const doc = computeDocument(draft([line({ quantity: '1', unitPrice: '119000', priceIncludesTax: true, taxes: [iva('19')] })]));
    expect(doc.lines[0]!.lineExtensionAmount).toBe('100000.00');
    expect(doc.lines[0]!.taxAmount).toBe('19000.00');
    expect(doc.totals.payableAmount).toBe('119000.00');
  });

  it('makes base + IVA equal what the buyer paid: a 59,900.00 COP final-consumer order', () => {
    // 59,900 / 1.19 = 50,336.134… → 50,336.13; IVA = 59,900 − 50,336.13 = 9,563.87
    // (round(base × 19 %) would be 9,563.86 and the invoice 59,899.99).
    const doc = computeDocument(
      draft([line({ quantity: '1', unitPrice: '59900.00', priceIncludesTax: true, taxes: [iva('19')] })], {
        buyer: { name: 'Consumidor final', identification: { type: 'FINAL_CONSUMER', number: '222222222222' } },
      }),
    );
    const l = doc.lines[0]!;
    expect([l.grossAmount, l.discountAmount, l.lineExtensionAmount, l.netUnitPrice, l.taxAmount]).toEqual([
      '50336.13',
      '0.00',
      '50336.13',
      '50336.13',
      '9563.87',
    ]);
    expect(l.taxes).toEqual([{ code: 'IVA', percent: '19.00', taxableAmount: '50336.13', taxAmount: '9563.87' }]);
    expect(doc.taxSummary).toEqual([{ code: 'IVA', percent: '19.00', taxableAmount: '50336.13', taxAmount: '9563.87' }]);
    expect(doc.totals).toEqual({
      lineExtensionAmount: '50336.13',
      taxExclusiveAmount: '50336.13',
      taxTotal: '9563.87',
      taxInclusiveAmount: '59900.00',
      allowanceTotalAmount: '0.00',
      chargeTotalAmount: '0.00',
      payableAmount: '59900.00',
    });
  });

  it('gives the tax the remainder, within one cent of base × rate (APIDIAN\'s 1,000,000 example)', () => {
    // 1,000,000 / 1.19 = 840,336.134… → 840,336.13; IVA = 159,663.87 (base × 19 % = 159,663.8647).
    const doc = computeDocument(draft([line({ quantity: '1', unitPrice: '1000000', priceIncludesTax: true, taxes: [iva('19')] })]));
    expect(doc.lines[0]!.lineExtensionAmount).toBe('840336.13');
    expect(doc.lines[0]!.taxAmount).toBe('159663.87');
    expect(doc.totals.taxInclusiveAmount).toBe('1000000.00');
    // The APIDIAN sandbox's FAX07 check: |TaxAmount − TaxableAmount × Percent| ≤ 0.01.
    expect(new Decimal('840336.13').times('0.19').minus('159663.87').abs().lte('0.01')).toBe(true);
  });

  it('also holds in a currency without decimals (PYG, 10 %)', () => {
    // 55,555 / 1.1 = 50,504.54… → 50,505; IVA = 55,555 − 50,505 = 5,050 (round(5,050.5) would be 5,051
    // and the document 55,556).
    const doc = computeDocument(
      draft([line({ quantity: '1', unitPrice: '55555', priceIncludesTax: true, taxes: [{ code: 'IVA', percent: '10' }] })], { currency: 'PYG' }),
    );
    expect(doc.lines[0]!.lineExtensionAmount).toBe('50505');
    expect(doc.lines[0]!.taxAmount).toBe('5050');
    expect(doc.totals.payableAmount).toBe('55555');
  });

  it('rounds the charged amount to the currency first, then takes the tax out of it', () => {
    // 1.5 kg × 3,999.99 = 5,999.985 → charged 5,999.99; / 1.19 = 5,042.008… → 5,042.01; IVA 957.98.
    const doc = computeDocument(draft([line({ quantity: '1.5', unitPrice: '3999.99', priceIncludesTax: true, taxes: [iva('19')] })]));
    const l = doc.lines[0]!;
    expect([l.grossAmount, l.discountAmount, l.lineExtensionAmount, l.taxAmount]).toEqual(['5042.01', '0.00', '5042.01', '957.98']);
    expect(doc.totals.payableAmount).toBe('5999.99');
  });

  it('with several taxes, moves the missing cent to the tax whose rounding went furthest the other way', () => {
    // 10,000.30 incl. ICA 0.966 % + IVA 19 %: base 10,000.30 / 1.19966 = 8,335.946… → 8,335.95, so the
    // taxes must add up to 1,664.35. Rounded: ICA 80.525277 → 80.53 (+0.0047), IVA 1,583.8305 →
    // 1,583.83 (−0.0005): one cent too many, taken from ICA, which rounding had raised most.
    // Giving it to the last or the largest tax (IVA 1,583.82, 0.0105 off) would fail a 0.01 check.
    const doc = computeDocument(
      draft([line({ quantity: '1', unitPrice: '10000.30', priceIncludesTax: true, taxes: [{ code: 'ICA', percent: '0.966' }, iva('19')] })]),
    );
    const l = doc.lines[0]!;
    expect(l.lineExtensionAmount).toBe('8335.95');
    expect(l.taxes.map((t) => [t.code, t.taxableAmount, t.taxAmount])).toEqual([
      ['ICA', '8335.95', '80.52'],
      ['IVA', '8335.95', '1583.83'],
    ]);
    expect(l.taxAmount).toBe('1664.35');
    expect(doc.totals.payableAmount).toBe('10000.30');
  });

  it('with equally far taxes, moves the cent on the tax listed first, and never on a 0 % tax', () => {
    // 10,000 incl. two 8 % taxes and a 0 % one: base 10,000 / 1.16 = 8,620.689… → 8,620.69; each 8 %
    // tax 689.6552 → 689.66, one cent too many in total (1,379.31 is due); both drift +0.0048, so the
    // first listed gives the cent back.
    const doc = computeDocument(
      draft([
        line({
          quantity: '1',
          unitPrice: '10000',
          priceIncludesTax: true,
          taxes: [iva('0'), { code: 'INC', percent: '8' }, { code: 'ICUI', percent: '8' }],
        }),
      ]),
    );
    const l = doc.lines[0]!;
    expect(l.taxes.map((t) => [t.code, t.taxAmount])).toEqual([
      ['IVA', '0.00'],
      ['INC', '689.65'],
      ['ICUI', '689.66'],
    ]);
    expect(doc.totals.payableAmount).toBe('10000.00');
  });

  it('keeps tax-exclusive lines at round(base × rate), even when that is a cent off a round total', () => {
    // 50,336.13 + 19 % = 50,336.13 + 9,563.86 (9,563.8647): the base is what was agreed.
    const doc = computeDocument(draft([line({ quantity: '1', unitPrice: '50336.13', taxes: [iva('19')] })]));
    expect(doc.lines[0]!.taxAmount).toBe('9563.86');
    expect(doc.totals.payableAmount).toBe('59899.99');
  });

  it('takes the whole inclusive amount as base when the line carries no tax', () => {
    const doc = computeDocument(draft([line({ quantity: '3', unitPrice: '333.335', priceIncludesTax: true })]));
    expect([doc.lines[0]!.lineExtensionAmount, doc.lines[0]!.taxAmount]).toEqual(['1000.01', '0.00']);
  });

  it('treats discounts as tax-inclusive too, and reports them net of tax', () => {
    // (119,000 − 11,900) / 1.19 = 90,000; gross net of tax 100,000; so the net discount is 10,000.
    const doc = computeDocument(
      draft([line({ quantity: '1', unitPrice: '119000', priceIncludesTax: true, discounts: [{ amount: '11900' }], taxes: [iva('19')] })]),
    );
    const l = doc.lines[0]!;
    expect([l.grossAmount, l.discountAmount, l.lineExtensionAmount, l.taxAmount]).toEqual(['100000.00', '10000.00', '90000.00', '17100.00']);
  });

  it('derives a net unit price that multiplies back to the gross amount', () => {
    // 3 × 100 incl. 19 % → 300 / 1.19 = 252.1008… → 252.10; 252.10 / 3 = 84.03333 (5 places);
    // 84.03333 × 3 = 252.09999 → 252.10.
    const doc = computeDocument(
      draft([line({ quantity: '3', unitPrice: '100', priceIncludesTax: true, taxes: [iva('19')] })], { currency: 'USD' }),
    );
    expect(doc.lines[0]!.grossAmount).toBe('252.10');
    expect(doc.lines[0]!.netUnitPrice).toBe('84.03333');
  });
});

describe('computeDocument — refunds stated as a net amount', () => {
  it('derives the discount from netAmount and computes the tax on it', () => {
    // 50,000 − 42,016.81 = 7,983.19 discount; IVA 42,016.81 × 0.19 = 7,983.1939 → 7,983.19.
    const doc = computeDocument(
      draft(
        [line({ quantity: '1', unitPrice: '50000', netAmount: '42016.81', discounts: [{ amount: '1' }], taxes: [iva('19')] })],
        {
          kind: 'credit_note',
          correction: { code: 'partial_return', description: 'Devolución parcial' },
        },
      ),
    );
    const l = doc.lines[0]!;
    expect([l.grossAmount, l.discountAmount, l.lineExtensionAmount, l.taxAmount]).toEqual(['50000.00', '7983.19', '42016.81', '7983.19']);
    expect(doc.totals.payableAmount).toBe('50000.00');
  });

  it('accepts a net amount equal to the gross (no discount) and to zero', () => {
    const doc = computeDocument(
      draft([line({ quantity: '2', unitPrice: '10', netAmount: '20' }), line({ quantity: '2', unitPrice: '10', netAmount: '0' })]),
    );
    expect(doc.lines.map((l) => [l.discountAmount, l.lineExtensionAmount])).toEqual([
      ['0.00', '20.00'],
      ['20.00', '0.00'],
    ]);
  });
});

describe('computeDocument — free-of-charge lines', () => {
  const doc = computeDocument(
    draft([
      line({ quantity: '1', unitPrice: '300000', taxes: [iva('19')] }),
      line({ code: 'ANT', description: 'Antena (regalo)', quantity: '1', unitPrice: '100000', freeOfCharge: true, discounts: [{ amount: '100000' }], taxes: [iva('19')] }),
      line({ code: 'MUE', description: 'Muestra', quantity: '2', unitPrice: '5000', freeOfCharge: true, taxes: [{ code: 'INC', percent: '8' }] }),
    ]),
  );

  it('carries the reference value but adds nothing to the totals', () => {
    const gift = doc.lines[1]!;
    expect([gift.grossAmount, gift.discountAmount, gift.lineExtensionAmount, gift.netUnitPrice, gift.taxAmount]).toEqual([
      '100000.00',
      '0.00',
      '0.00',
      '100000.00',
      '0.00',
    ]);
    expect(gift.taxes).toEqual([{ code: 'IVA', percent: '19.00', taxableAmount: '0.00', taxAmount: '0.00' }]);
    expect(doc.totals).toMatchObject({
      lineExtensionAmount: '300000.00',
      taxExclusiveAmount: '300000.00',
      taxTotal: '57000.00',
      payableAmount: '357000.00',
    });
  });

  it('still lists its tax in the summary, so every line tax has a document-level entry', () => {
    expect(doc.taxSummary).toEqual([
      { code: 'IVA', percent: '19.00', taxableAmount: '300000.00', taxAmount: '57000.00' },
      { code: 'INC', percent: '8.00', taxableAmount: '0.00', taxAmount: '0.00' },
    ]);
  });
});

describe('computeDocument — refused input', () => {
  it.each([
    ['0', /must be greater than zero/],
    ['-1', /must be greater than zero/],
  ])('refuses the quantity %s at lines[1].quantity', (quantity, message) => {
    const error = domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '1' }), line({ quantity, unitPrice: '1' })])));
    expect(error.path).toBe('lines[1].quantity');
    expect(error.message).toMatch(message);
  });

  it('refuses a negative price', () => {
    const error = domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '-5' })])));
    expect(error.path).toBe('lines[0].unitPrice');
  });

  it('refuses discounts above the line value', () => {
    const error = domainError(() =>
      computeDocument(draft([line({ quantity: '2', unitPrice: '10', discounts: [{ amount: '15' }, { amount: '5.01' }] })])),
    );
    expect(error.path).toBe('lines[0].discounts');
    expect(error.message).toContain('add up to 20.01, more than');
  });

  it('refuses a negative discount', () => {
    const error = domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '10', discounts: [{ amount: '-1' }] })])));
    expect(error.path).toBe('lines[0].discounts[0].amount');
  });

  it('refuses a net amount above the line value or below zero', () => {
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '10', netAmount: '10.01' })]))).path).toBe(
      'lines[0].netAmount',
    );
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '10', netAmount: '-1' })]))).path).toBe(
      'lines[0].netAmount',
    );
  });

  it('refuses allowances that would make the payable amount negative', () => {
    const error = domainError(() =>
      computeDocument(draft([line({ quantity: '1', unitPrice: '100', taxes: [iva('19')] })], { allowances: [{ reason: 'x', amount: '119.01' }] })),
    );
    expect(error.path).toBe('allowances');
    expect(error.message).toContain('(119.01) exceed the amount due before them (119.00)');
    // Exactly the amount due is fine: payable 0.
    expect(
      computeDocument(draft([line({ quantity: '1', unitPrice: '100', taxes: [iva('19')] })], { allowances: [{ reason: 'x', amount: '119' }] }))
        .totals.payableAmount,
    ).toBe('0.00');
  });

  it('refuses negative charges and allowances', () => {
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '1' })], { charges: [{ reason: 'x', amount: '-1' }] }))).path).toBe(
      'charges[0].amount',
    );
  });

  it('refuses a tax listed twice on one line, and an impossible rate', () => {
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '1', taxes: [iva('19'), iva('5')] })]))).path).toBe(
      'lines[0].taxes[1].code',
    );
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '1', taxes: [iva('1900')] })]))).path).toBe(
      'lines[0].taxes[0].percent',
    );
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '1', taxes: [iva('-19')] })]))).path).toBe(
      'lines[0].taxes[0].percent',
    );
  });

  it('turns schema problems into a DomainError with a readable path', () => {
    const exponent = domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '1' }), line({ quantity: '1e5', unitPrice: '1' })])));
    expect(exponent.path).toBe('lines[1].quantity');
    expect(exponent.message).toMatch(/^lines\[1\]\.quantity: must be a decimal number written as a string/);

    const float = domainError(() => computeDocument(draft([line({ quantity: 3 as unknown as string, unitPrice: '1' })])));
    expect(float.path).toBe('lines[0].quantity');

    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '' })]))).path).toBe('lines[0].unitPrice');
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: 'NaN' })]))).path).toBe('lines[0].unitPrice');
    expect(domainError(() => computeDocument(draft([line({ quantity: '1', unitPrice: '1' })], { currency: 'cop' }))).path).toBe('currency');
    expect(domainError(() => computeDocument(draft([]))).message).toContain('a document needs at least one line');
  });

  it('does not modify its input', () => {
    const input = draft([line({ quantity: '2', unitPrice: '10', discounts: [{ amount: '1' }], taxes: [iva('19')] })], {
      allowances: [{ reason: 'x', amount: '1.005' }],
    });
    const before = structuredClone(input);
    computeDocument(input);
    expect(input).toEqual(before);
  });
});

describe('computeDocument — chargedUnitPrice (what one unit was charged, tax included, after discounts)', () => {
  it('is the tax-inclusive price of a tax-exclusive COP line: 45,000 × 2 − 9,000 at 19 % → 48,195.00 a unit', () => {
    const doc = computeDocument(draft([line({ quantity: '2', unitPrice: '45000', discounts: [{ amount: '9000' }], taxes: [iva('19')] })]));
    // (81,000.00 + 15,390.00) / 2
    expect(doc.lines[0]!.chargedUnitPrice).toBe('48195.00');
  });

  it('keeps up to 8 decimals, rounded half-up, when the charge does not divide by the quantity', () => {
    // 3 × 10.00 at 19 % with a 0.01 discount: 29.99 + 5.70 = 35.69; 35.69 / 3 = 11.896666…
    const doc = computeDocument(draft([line({ quantity: '3', unitPrice: '10', discounts: [{ amount: '0.01' }], taxes: [iva('19')] })]));
    const l = doc.lines[0]!;
    expect([l.lineExtensionAmount, l.taxAmount]).toEqual(['29.99', '5.70']);
    expect(l.chargedUnitPrice).toBe('11.89666667');
    expect(new Decimal(l.chargedUnitPrice).times(3).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2)).toBe('35.69');
  });

  it('rounds half-up at the 8th decimal (a tie goes up, not to even)', () => {
    // 1.00 charged for 512 units: 1 / 512 = 0.001953125 → 0.00195313 (half-even would give …12).
    const doc = computeDocument(draft([line({ quantity: '512', unitPrice: '0.001953125', taxes: [] })], { currency: 'USD' }));
    expect(doc.lines[0]!.lineExtensionAmount).toBe('1.00');
    expect(doc.lines[0]!.chargedUnitPrice).toBe('0.00195313');
  });

  it('in PYG (no decimals) for a discounted IVA-inclusive line spread over several units: 2 × 28,500 − 5,000 → 26,000', () => {
    const doc = computeDocument(
      draft([line({ quantity: '2', unitPrice: '28500', priceIncludesTax: true, discounts: [{ amount: '5000' }], taxes: [iva('5')] })], { currency: 'PYG' }),
    );
    const l = doc.lines[0]!;
    expect(new Decimal(l.lineExtensionAmount).plus(l.taxAmount).toFixed(0)).toBe('52000');
    expect(l.chargedUnitPrice).toBe('26000');
  });

  it('is 0 on a free-of-charge line, which charges nothing', () => {
    const doc = computeDocument(draft([line({ quantity: '1', unitPrice: '10000', freeOfCharge: true, taxes: [iva('19')] })]));
    expect(doc.lines[0]!.chargedUnitPrice).toBe('0.00');
  });
});
