/**
 * Ready-made documents that pass the sandbox's rules, for tests, `curl` experiments and the README:
 * a VES invoice with a general (16 %) and a reduced (8 %) line, and notes that cite it.
 */
import type { TuimprentaInvoiceRequest } from '../wire.js';

/** Caracas wall-clock time of `instant`, with its −04:00 offset (Venezuela keeps no DST). */
export function caracasTimestamp(instant: Date = new Date()): string {
  return `${new Date(instant.getTime() - 4 * 3_600_000).toISOString().slice(0, 19)}-04:00`;
}

/** 2 × 100.00 at 16 % and 1 × 50.00 at 8 %: subtotal 250.00, IVA 36.00, total 286.00 VES. */
export function exampleInvoice(overrides: Partial<TuimprentaInvoiceRequest> = {}): TuimprentaInvoiceRequest {
  return {
    document_type: 'invoice',
    series: 'A',
    issued_at: caracasTimestamp(),
    currency: 'VES',
    customer: {
      name: 'Distribuidora Los Andes, C.A.',
      identification: { type: 'rif', number: 'J31234567', check_digit: '5' },
      address: { line: 'Calle 5, Edificio Sol, Local 2, Mérida', city: 'Mérida', state: 'Mérida', country_code: 'VE' },
      email: 'compras@losandes.example',
    },
    items: [
      { code: 'CAF-500', description: 'Café molido 500 g', quantity: '2', unit_price: '100.00', discount: '0.00', amount: '200.00', tax_rate: '16.00', tax_amount: '32.00' },
      { code: 'PAN-01', description: 'Pan de jamón', quantity: '1', unit_price: '50.00', discount: '0.00', amount: '50.00', tax_rate: '8.00', tax_amount: '4.00' },
    ],
    totals: {
      subtotal: '250.00',
      tax_breakdown: [
        { rate: '16.00', base: '200.00', tax: '32.00' },
        { rate: '8.00', base: '50.00', tax: '4.00' },
      ],
      tax_total: '36.00',
      allowance_total: '0.00',
      charge_total: '0.00',
      total: '286.00',
    },
    payment: { condition: 'cash', method: 'transfer' },
    ...overrides,
  };
}

/** Credits one 100.00 coffee of `invoice` (116.00 VES), citing it by control number. */
export function exampleCreditNote(
  related: { control_number: string; number?: string; issue_date: string },
  overrides: Partial<TuimprentaInvoiceRequest> = {},
): TuimprentaInvoiceRequest {
  return exampleInvoice({
    document_type: 'credit_note',
    items: [{ code: 'CAF-500', description: 'Café molido 500 g (devuelto)', quantity: '1', unit_price: '100.00', discount: '0.00', amount: '100.00', tax_rate: '16.00', tax_amount: '16.00' }],
    totals: {
      subtotal: '100.00',
      tax_breakdown: [{ rate: '16.00', base: '100.00', tax: '16.00' }],
      tax_total: '16.00',
      allowance_total: '0.00',
      charge_total: '0.00',
      total: '116.00',
    },
    related_invoice: related,
    reason: { code: 'partial_return', description: 'Devolución de un café' },
    ...overrides,
  });
}
