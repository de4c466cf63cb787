/**
 * Wire documents taken from the reference's APIDIAN examples (§1.4–1.7), numbered for the sandbox's
 * demo resolutions. They are what a merchant can send to a fresh sandbox to see each path work, and
 * what the tests send.
 */
import type { CreditNoteRequest, DebitNoteRequest, InvoiceExportRequest, InvoiceRequest } from '../wire.js';

/** The "Dos Lineas" invoice (answered IsValid "true" by DIAN), in the SETP test range. */
export function exampleInvoice(number = 990000001, overrides: Partial<InvoiceRequest> = {}): InvoiceRequest {
  return {
    number,
    type_document_id: 1,
    date: '2025-07-22',
    time: '04:08:12',
    resolution_number: '18760000001',
    prefix: 'SETP',
    customer: { identification_number: '900428042', name: 'TAMPAC TECNOLOGÍA EN AUTOMATIZACIÓN SAS' },
    payment_form: { payment_form_id: 1, payment_method_id: 30, payment_due_date: '2025-07-22', duration_measure: '30' },
    legal_monetary_totals: {
      line_extension_amount: '2000.00',
      tax_exclusive_amount: '2000.00',
      tax_inclusive_amount: '2380.00',
      payable_amount: '2380.00',
    },
    tax_totals: [{ tax_id: 1, tax_amount: '380.00', percent: '19', taxable_amount: '2000.00' }],
    invoice_lines: [1, 2].map((n) => ({
      unit_measure_id: 70,
      invoiced_quantity: '1',
      line_extension_amount: '1000.00',
      free_of_charge_indicator: false,
      description: `Producto de prueba ${n}`,
      code: `PRUEBA${n}`,
      type_item_identification_id: 4,
      price_amount: '1000.00',
      base_quantity: '1',
      tax_totals: [{ tax_id: 1, tax_amount: '190.00', taxable_amount: '1000.00', percent: '19.00' }],
    })),
    ...overrides,
  };
}

/** The collection's credit note NC72 (annulment, concept 2) against an invoice's CUFE. */
export function exampleCreditNote(
  reference: { number: string; uuid: string; issue_date: string },
  number = 72,
  overrides: Partial<CreditNoteRequest> = {},
): CreditNoteRequest {
  return {
    billing_reference: reference,
    discrepancyresponsecode: 2,
    discrepancyresponsedescription: 'PRUEBA DE MOTIVO NOTA CREDITO',
    notes: 'PRUEBA DE NOTA CREDITO',
    prefix: 'NC',
    number,
    type_document_id: 4,
    date: '2024-01-17',
    time: '06:00:13',
    customer: {
      identification_number: 900166483,
      dv: 1,
      name: 'INVERSIONES DAVAL SAS',
      type_document_identification_id: 6,
      type_organization_id: 1,
      municipality_id: 822,
      type_regime_id: 1,
    },
    tax_totals: [{ tax_id: 1, tax_amount: '159663.865', percent: '19', taxable_amount: '840336.134' }],
    legal_monetary_totals: {
      line_extension_amount: '840336.134',
      tax_exclusive_amount: '840336.134',
      tax_inclusive_amount: '1000000.00',
      payable_amount: '1000000.00',
    },
    credit_note_lines: [
      {
        unit_measure_id: 70,
        invoiced_quantity: '1',
        line_extension_amount: '840336.134',
        free_of_charge_indicator: false,
        tax_totals: [{ tax_id: 1, tax_amount: '159663.865', taxable_amount: '840336.134', percent: '19.00' }],
        description: 'COMISION POR SERVICIOS',
        code: 'COMISION',
        type_item_identification_id: 4,
        price_amount: '840336.134',
        base_quantity: '1',
      },
    ],
    ...overrides,
  };
}

/** A debit note (concept 3, "Cambio del valor") raising an invoice by 500 + IVA. */
export function exampleDebitNote(
  reference: { number: string; uuid: string; issue_date: string },
  number = 1,
  overrides: Partial<DebitNoteRequest> = {},
): DebitNoteRequest {
  return {
    billing_reference: reference,
    discrepancyresponsecode: 3,
    discrepancyresponsedescription: 'AJUSTE DE PRECIO POSTERIOR',
    prefix: 'ND',
    number,
    type_document_id: 5,
    date: '2025-07-23',
    time: '10:15:00',
    customer: {
      identification_number: '900428042',
      dv: 2,
      type_document_identification_id: 6,
      name: 'TAMPAC TECNOLOGÍA EN AUTOMATIZACIÓN SAS',
      email: 'compras@tampac.example',
    },
    tax_totals: [{ tax_id: 1, tax_amount: '95.00', percent: '19', taxable_amount: '500.00' }],
    requested_monetary_totals: {
      line_extension_amount: '500.00',
      tax_exclusive_amount: '500.00',
      tax_inclusive_amount: '595.00',
      payable_amount: '595.00',
    },
    debit_note_lines: [
      {
        unit_measure_id: 70,
        invoiced_quantity: '1',
        line_extension_amount: '500.00',
        free_of_charge_indicator: false,
        tax_totals: [{ tax_id: 1, tax_amount: '95.00', taxable_amount: '500.00', percent: '19.00' }],
        description: 'Ajuste de precio Producto de prueba 1',
        code: 'PRUEBA1',
        type_item_identification_id: 4,
        price_amount: '500.00',
        base_quantity: '1',
      },
    ],
    ...overrides,
  };
}

/** An export invoice like the collection's: foreign buyer, USD, IVA 0 %, a freight charge, FOB. */
export function exampleExportInvoice(number = 1, overrides: Partial<InvoiceExportRequest> = {}): InvoiceExportRequest {
  return {
    number,
    type_document_id: 2,
    prefix: 'EXP',
    date: '2025-07-22',
    time: '11:00:00',
    idcurrency: 149,
    calculationrate: 3750,
    calculationratedate: '2025-07-22',
    customer: {
      identification_number: '123456789',
      type_document_identification_id: 8,
      name: 'ACME IMPORTS LLC',
      phone: '3055550100',
      address: '100 Biscayne Blvd',
      email: 'billing@acme-imports.example',
      merchant_registration: '0000000-00',
      country_id: 65,
      municipality_name: 'Miami',
      state_name: 'Florida',
      type_liability_id: 117,
      type_regime_id: 2,
    },
    deliveryterms: { special_terms: 'Entrega en puerto', loss_risk_responsibility_code: 'FOB', loss_risk: 'Comprador desde el puerto de embarque' },
    payment_form: { payment_form_id: 1, payment_method_id: 30, payment_due_date: '2025-07-22', duration_measure: '0' },
    allowance_charges: [{ charge_indicator: true, allowance_charge_reason: 'CARGO POR FLETES/FREIGHT CHARGE', amount: '200.00', base_amount: '15840.00' }],
    tax_totals: [{ tax_id: 1, tax_amount: '0.00', percent: '0.00', taxable_amount: '15840.00' }],
    legal_monetary_totals: {
      line_extension_amount: '15840.00',
      tax_exclusive_amount: '15840.00',
      tax_inclusive_amount: '15840.00',
      charge_total_amount: '200.00',
      payable_amount: '16040.00',
    },
    invoice_lines: [
      {
        unit_measure_id: 70,
        invoiced_quantity: '12',
        line_extension_amount: '15840.00',
        free_of_charge_indicator: false,
        tax_totals: [{ tax_id: 1, tax_amount: '0.00', taxable_amount: '15840.00', percent: '0.00' }],
        description: 'Café de origen, caja 1 kg',
        brandname: 'PUENTE',
        modelname: 'ORIGEN-1KG',
        code: 'CAFE1KG',
        type_item_identification_id: 4,
        price_amount: '1320.00',
        base_quantity: '1',
      },
    ],
    ...overrides,
  };
}
