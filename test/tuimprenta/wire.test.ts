import { describe, expect, it } from 'vitest';
import { exampleCreditNote, exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import { invoiceArithmetic, tuimprentaWireSchemas, type TuimprentaInvoiceRequest } from '../../connectors/tuimprenta/wire.js';

const issues = (kind: keyof typeof tuimprentaWireSchemas, wire: unknown) => {
  const parsed = tuimprentaWireSchemas[kind].safeParse(wire);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
};
const paths = (kind: keyof typeof tuimprentaWireSchemas, wire: unknown) => issues(kind, wire).map((i) => i.path);

describe('tuimprenta wire schemas', () => {
  it('accept a document whose amounts add up', () => {
    expect(issues('invoice', exampleInvoice())).toEqual([]);
    expect(issues('credit_note', exampleCreditNote({ control_number: '00-00000001', number: '00000001', issue_date: '2026-11-20' }))).toEqual([]);
  });

  it('name the field when the buyer has no fiscal address', () => {
    const wire = exampleInvoice();
    const { address: _address, ...customer } = wire.customer;
    const found = issues('invoice', { ...wire, customer });
    expect(found.map((i) => i.path)).toEqual(['customer.address']);
    expect(found[0]!.message).toMatch(/domicilio fiscal/);
  });

  it('refuse an IVA rate SENIAT does not have', () => {
    const wire = exampleInvoice();
    wire.items[1] = { ...wire.items[1]!, tax_rate: '12.00', tax_amount: '6.00' };
    wire.totals.tax_breakdown[1] = { rate: '12.00', base: '50.00', tax: '6.00' };
    wire.totals.tax_total = '38.00';
    wire.totals.total = '288.00';
    expect(paths('invoice', wire)).toEqual(['items.1.tax_rate']);
  });

  it('allow one cent per line from a tax-inclusive split, but not two', () => {
    const oneCent = exampleInvoice();
    oneCent.items[0] = { ...oneCent.items[0]!, tax_amount: '32.01' };
    oneCent.totals.tax_breakdown[0] = { rate: '16.00', base: '200.00', tax: '32.01' };
    oneCent.totals.tax_total = '36.01';
    oneCent.totals.total = '286.01';
    expect(paths('invoice', oneCent)).toEqual([]);
    const twoCents = structuredClone(oneCent);
    twoCents.items[0]!.tax_amount = '32.02';
    twoCents.totals.tax_breakdown[0]!.tax = '32.02';
    twoCents.totals.tax_total = '36.02';
    twoCents.totals.total = '286.02';
    expect(paths('invoice', twoCents)).toEqual(['items.0.tax_amount']);
  });

  it('check every total exactly and point at the one that is off', () => {
    const wire = exampleInvoice();
    wire.totals.total = '285.99';
    expect(paths('invoice', wire)).toEqual(['totals.total']);
    const breakdown = exampleInvoice();
    breakdown.totals.tax_breakdown = [breakdown.totals.tax_breakdown[0]!];
    expect(paths('invoice', breakdown)).toEqual(['totals.tax_breakdown']);
    const subtotal = exampleInvoice();
    subtotal.totals.subtotal = '249.00';
    expect(paths('invoice', subtotal)).toEqual(expect.arrayContaining(['totals.subtotal', 'totals.total']));
  });

  it('tie notes to an invoice and invoices to none', () => {
    const note = exampleCreditNote({ control_number: '00-00000001', issue_date: '2026-11-20' });
    const { related_invoice: _r, reason: _why, ...bare } = note;
    expect(paths('credit_note', bare)).toEqual(['related_invoice', 'reason']);
    expect(paths('invoice', { ...exampleInvoice(), related_invoice: note.related_invoice })).toEqual(['related_invoice']);
    expect(paths('invoice', { ...note, document_type: 'credit_note' })).toEqual(['document_type']);
  });

  it('need the BCV rate for a foreign-currency document, and an IGTF base within the total', () => {
    expect(paths('invoice', exampleInvoice({ currency: 'USD' }))).toEqual(['exchange_rate']);
    expect(paths('invoice', exampleInvoice({ currency: 'USD', exchange_rate: '36.5012' }))).toEqual([]);
    const igtf = exampleInvoice({ payment: { condition: 'cash', method: 'card', foreign_currency_amount: '300.00' } });
    expect(paths('invoice', igtf)).toEqual(['payment.foreign_currency_amount']);
  });

  it('want a RIF as letter plus 8 digits with its check digit apart', () => {
    const wire = exampleInvoice();
    wire.customer.identification = { type: 'rif', number: '31234567', check_digit: '5' };
    expect(paths('invoice', wire)).toEqual(['customer.identification.number']);
    wire.customer.identification = { type: 'rif', number: 'J31234567' };
    expect(paths('invoice', wire)).toEqual(['customer.identification.check_digit']);
  });

  it('refuse amounts as JS numbers and negative amounts', () => {
    const wire = exampleInvoice() as unknown as Record<string, unknown> & { totals: Record<string, unknown> };
    wire.totals.total = 286;
    expect(paths('invoice', wire)).toContain('totals.total');
    const negative = exampleInvoice();
    negative.items[0]!.discount = '-1.00';
    expect(paths('invoice', negative)).toContain('items.0.discount');
  });

  it('invoiceArithmetic gives the API error code of each problem', () => {
    const wire: TuimprentaInvoiceRequest = exampleInvoice();
    wire.items[0]!.amount = '199.00';
    expect(invoiceArithmetic(wire).map((i) => i.code)).toEqual(['item_amount_mismatch', 'item_tax_mismatch', 'subtotal_mismatch', 'tax_breakdown_mismatch']);
  });
});
