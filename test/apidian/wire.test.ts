import { describe, expect, it } from 'vitest';
import { nitCheckDigit } from '../../connectors/apidian/ids.js';
import {
  apidianWireSchemas,
  laravelErrors,
  type ApidianDocumentKind,
} from '../../connectors/apidian/wire.js';
import {
  exampleCreditNote,
  exampleDebitNote,
  exampleExportInvoice,
  exampleInvoice,
} from '../../connectors/apidian/sandbox/examples.js';

const REFERENCE = { number: 'SETP990000001', uuid: 'c'.repeat(96), issue_date: '2025-07-22' };

function errorsOf(kind: ApidianDocumentKind, body: unknown): Record<string, string[]> {
  const result = apidianWireSchemas[kind].safeParse(body);
  return result.success ? {} : laravelErrors(result.error);
}

describe('nitCheckDigit (dian_dv)', () => {
  it('matches published NIT-DV pairs', () => {
    expect(nitCheckDigit('800197268')).toBe(4); // DIAN's own NIT, 800.197.268-4
    expect(nitCheckDigit('900166483')).toBe(1); // the collection's credit-note buyer, dv 1
  });

  it('returns r itself when Σ mod 11 is 0 or 1', () => {
    // 1×3 = 3 → r 3 → 8 ; "0" → r 0 → 0 ; 4×3 = 12 → r 1 → 1
    expect(nitCheckDigit('1')).toBe(8);
    expect(nitCheckDigit('0')).toBe(0);
    expect(nitCheckDigit('4')).toBe(1);
  });

  it('refuses non-numeric input', () => {
    expect(() => nitCheckDigit('90012345A')).toThrow(/1 to 15 digits/);
  });
});

describe('reference examples are accepted', () => {
  it.each([
    ['invoice', exampleInvoice()],
    ['credit_note', exampleCreditNote(REFERENCE)],
    ['debit_note', exampleDebitNote(REFERENCE)],
    ['export_invoice', exampleExportInvoice()],
  ] as const)('%s', (kind, body) => {
    expect(errorsOf(kind, body)).toEqual({});
  });

  it('accepts numbers where the docs send strings, and Laravel booleans 0/1', () => {
    const invoice = exampleInvoice(990000002, {
      legal_monetary_totals: { line_extension_amount: 2000, tax_exclusive_amount: 2000, tax_inclusive_amount: 2380, payable_amount: 2380 },
      number: '990000002' as unknown as number,
    });
    invoice.invoice_lines[0]!.free_of_charge_indicator = 0;
    expect(errorsOf('invoice', invoice)).toEqual({});
  });

  it('keeps the parsed document identical to what was given (no coercion)', () => {
    const body = exampleInvoice();
    const parsed = apidianWireSchemas.invoice.parse(body);
    expect(parsed).toEqual(body);
  });

  it('accepts payment_form as a list of payment means on invoices', () => {
    const body = exampleInvoice(990000003, {
      payment_form: [
        { payment_form_id: 1, payment_method_id: 10 },
        { payment_form_id: 1, payment_method_id: 48 },
      ],
    });
    expect(errorsOf('invoice', body)).toEqual({});
  });
});

describe('Laravel errors', () => {
  it('reports every missing required field with the es message, keyed by dotted path', () => {
    const errors = errorsOf('invoice', { customer: { identification_number: '900428042' }, invoice_lines: [{ description: 'x' }] });
    expect(errors['customer.name']).toEqual(['El campo customer.name es obligatorio.']);
    expect(errors.number).toEqual(['El campo number es obligatorio.']);
    expect(errors.type_document_id).toEqual(['El campo type document id es obligatorio.']);
    expect(errors['legal_monetary_totals.payable_amount']).toEqual(['El campo legal monetary totals.payable amount es obligatorio.']);
    expect(errors['invoice_lines.0.code']).toEqual(['El campo invoice lines.0.code es obligatorio.']);
    expect(errors['invoice_lines.0.description']).toBeUndefined();
  });

  it('reports children of a missing required object, as Laravel does', () => {
    const errors = errorsOf('invoice', {});
    expect(errors.customer).toEqual(['El campo customer es obligatorio.']);
    expect(errors['customer.identification_number']).toEqual(['El campo customer.identification number es obligatorio.']);
    expect(errors.invoice_lines).toEqual(['El campo invoice lines es obligatorio.']);
  });

  it('rejects a wrong DV with APIDIAN’s own message', () => {
    const body = exampleInvoice(990000004, {
      customer: { identification_number: '900166483', dv: 7, type_document_identification_id: 6, name: 'INVERSIONES DAVAL SAS' },
    });
    expect(errorsOf('invoice', body)).toEqual({
      'customer.dv': ['Error, el digito de verificacion no es valido para este NIT.'],
    });
  });

  it('requires the DV of a NIT buyer on invoices only', () => {
    const nitBuyer = { identification_number: '900166483', type_document_identification_id: 6, name: 'INVERSIONES DAVAL SAS', email: 'a@b.co' };
    expect(errorsOf('invoice', exampleInvoice(990000005, { customer: nitBuyer }))).toEqual({
      'customer.dv': ['El campo customer.dv es obligatorio.'],
    });
    expect(errorsOf('credit_note', exampleCreditNote(REFERENCE, 1, { customer: nitBuyer }))).toEqual({});
  });

  it('rejects non-numeric amounts and a wrong document type', () => {
    const body = exampleInvoice(990000006, { type_document_id: 4 });
    body.legal_monetary_totals.payable_amount = '2.380,00';
    expect(errorsOf('invoice', body)).toEqual({
      type_document_id: ['type document id es inválido.'],
      'legal_monetary_totals.payable_amount': ['legal monetary totals.payable amount debe ser numérico.'],
    });
  });

  it('requires due date and duration for credit sales (payment form 2)', () => {
    const errors = errorsOf('invoice', exampleInvoice(990000007, { payment_form: { payment_form_id: 2, payment_method_id: 30 } }));
    expect(Object.keys(errors).sort()).toEqual(['payment_form.duration_measure', 'payment_form.payment_due_date']);
    expect(errors['payment_form.payment_due_date']![0]).toMatch(/^El campo payment form\.payment due date es obligatorio cuando/);
  });

  it('rejects a due date before the issue date', () => {
    const errors = errorsOf(
      'invoice',
      exampleInvoice(990000008, { payment_form: { payment_form_id: 2, payment_method_id: 30, payment_due_date: '2025-07-01', duration_measure: '30' } }),
    );
    expect(errors).toEqual({ 'payment_form.payment_due_date': ['payment form.payment due date debe ser una fecha posterior o igual a date.'] });
  });

  it('requires a 96-character CUFE in billing_reference.uuid', () => {
    const errors = errorsOf('credit_note', exampleCreditNote({ ...REFERENCE, uuid: 'abc' }));
    expect(errors).toEqual({ 'billing_reference.uuid': ['billing reference.uuid debe contener 96 caracteres.'] });
  });

  it('keeps debit-note totals in requested_monetary_totals and lines in debit_note_lines', () => {
    const { requested_monetary_totals, debit_note_lines, ...rest } = exampleDebitNote(REFERENCE);
    void requested_monetary_totals;
    void debit_note_lines;
    const errors = errorsOf('debit_note', { ...rest, legal_monetary_totals: { payable_amount: '1' }, invoice_lines: [] });
    expect(errors.requested_monetary_totals).toEqual(['El campo requested monetary totals es obligatorio.']);
    expect(errors.debit_note_lines).toEqual(['El campo debit note lines es obligatorio.']);
  });

  it('requires an e-mail on debit notes unless the buyer is the final consumer', () => {
    const note = exampleDebitNote(REFERENCE);
    const { email, ...withoutEmail } = note.customer;
    void email;
    expect(Object.keys(errorsOf('debit_note', { ...note, customer: withoutEmail }))).toEqual(['customer.email']);
    const finalConsumer = { identification_number: '222222222222', name: 'CONSUMIDOR FINAL' };
    expect(errorsOf('debit_note', { ...note, customer: finalConsumer })).toEqual({});
  });

  it('requires contact data and delivery terms on export invoices', () => {
    const body = exampleExportInvoice();
    const errors = errorsOf('export_invoice', {
      ...body,
      customer: { identification_number: '123456789', name: 'ACME IMPORTS LLC' },
      deliveryterms: { special_terms: 'x', loss_risk_responsibility_code: 'XYZ', loss_risk: 'y' },
    });
    expect(Object.keys(errors).sort()).toEqual([
      'customer.address',
      'customer.email',
      'customer.merchant_registration',
      'customer.phone',
      'deliveryterms.loss_risk_responsibility_code',
    ]);
    expect(errors['deliveryterms.loss_risk_responsibility_code']).toEqual(['deliveryterms.loss risk responsibility code es inválido.']);
  });

  it('requires a reason code on invoice allowances and charges (discount_id or type_discount_id)', () => {
    const body = exampleInvoice(990000009, {
      allowance_charges: [{ charge_indicator: false, allowance_charge_reason: 'Descuento', amount: '100.00', base_amount: '2000.00' }],
    });
    const errors = errorsOf('invoice', body);
    expect(Object.keys(errors).sort()).toEqual(['allowance_charges.0.discount_id', 'allowance_charges.0.type_discount_id']);
    body.allowance_charges![0]!.discount_id = 10;
    expect(errorsOf('invoice', body)).toEqual({});
  });

  it('requires percent on a tax unless it is the bag tax', () => {
    const body = exampleInvoice();
    delete body.invoice_lines[0]!.tax_totals![0]!.percent;
    expect(errorsOf('invoice', body)).toEqual({
      'invoice_lines.0.tax_totals.0.percent': [
        'El campo invoice lines.0.tax totals.0.percent es obligatorio a menos que invoice lines.*.tax totals.*.tax id esté en 10, 2.',
      ],
    });
  });

  it('treats a non-object body like an empty one', () => {
    expect(errorsOf('credit_note', 'nonsense')).toMatchObject({ number: ['El campo number es obligatorio.'] });
  });
});
