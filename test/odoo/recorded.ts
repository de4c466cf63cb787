/**
 * Rows shaped as Odoo 17's JSON-RPC returns them (search_read / read): many2one as [id, "display
 * name"] or false, empty char fields as false, amounts as floats — including the float noise Odoo
 * really sends (12 × 12.8 = 153.60000000000002) — datetimes as UTC 'YYYY-MM-DD HH:MM:SS'.
 *
 * The story: INV/2026/00101 (COP, a company's contact, INC 8 % with a 10 % discount, IVA 19 % and 5 %,
 * shipping, a section line); RINV/2026/00007 returns one bag and the shipping; INV/2026/00102 is a
 * debit note on INV/2026/00101; RINV/2026/00008 was typed by hand and reverses nothing;
 * INV/2026/00103 is in USD with a group tax and float noise.
 */
import { REQUIRED_FIELDS } from '../../connectors/odoo/moves.js';

/** Every field the connector may ask for, as fields_get of a full Odoo 17 answers them. */
export const ALL_FIELDS: Record<string, string[]> = {
  ...Object.fromEntries(Object.entries(REQUIRED_FIELDS).map(([model, fields]) => [model, ['id', ...fields]])),
};
ALL_FIELDS['account.move']!.push('debit_origin_id', 'invoice_date_due', 'invoice_origin', 'create_date', 'narration');
ALL_FIELDS['res.partner']!.push('l10n_latam_identification_type_id', 'country_code');
ALL_FIELDS['res.currency']!.push('decimal_places');

export const MOVE_INVOICE = {
  id: 101,
  name: 'INV/2026/00101',
  move_type: 'out_invoice',
  state: 'posted',
  partner_id: [45, 'Tostadora Andina SAS, Laura Gómez'],
  commercial_partner_id: [44, 'Tostadora Andina SAS'],
  currency_id: [8, 'COP'],
  company_id: [1, 'Tostadores del Puente SAS'],
  journal_id: [1, 'Facturas de cliente'],
  invoice_date: '2026-11-20',
  invoice_date_due: '2026-12-20',
  invoice_origin: 'S00042',
  ref: false,
  write_date: '2026-11-20 15:04:05',
  amount_untaxed: 394050.0,
  amount_tax: 51370.5,
  amount_total: 445420.5,
  reversed_entry_id: false,
  debit_origin_id: false,
  invoice_line_ids: [900, 901, 902, 903, 904],
};

export const MOVE_REFUND = {
  ...MOVE_INVOICE,
  id: 102,
  name: 'RINV/2026/00007',
  move_type: 'out_refund',
  invoice_date: '2026-11-24',
  invoice_origin: false,
  ref: 'Reversión de: INV/2026/00101, una bolsa llegó rota',
  // Same second as the invoice: the cursor must not lose it.
  write_date: '2026-11-20 15:04:05',
  amount_untaxed: 49800.0,
  amount_tax: 5304.0,
  amount_total: 55104.0,
  reversed_entry_id: [101, 'INV/2026/00101'],
  invoice_line_ids: [911, 912],
};

export const MOVE_DEBIT = {
  ...MOVE_INVOICE,
  id: 103,
  name: 'INV/2026/00102',
  ref: 'Nota débito de: INV/2026/00101',
  write_date: '2026-11-20 15:06:10',
  amount_untaxed: 80000.0,
  amount_tax: 15200.0,
  amount_total: 95200.0,
  debit_origin_id: [101, 'INV/2026/00101'],
  invoice_line_ids: [921],
};

export const MOVE_LOOSE_REFUND = {
  ...MOVE_REFUND,
  id: 104,
  name: 'RINV/2026/00008',
  ref: 'Descuento comercial',
  write_date: '2026-11-20 15:07:00',
  reversed_entry_id: false,
  invoice_line_ids: [931],
  amount_untaxed: 10000.0,
  amount_tax: 1900.0,
  amount_total: 11900.0,
};

export const MOVE_USD = {
  ...MOVE_INVOICE,
  id: 105,
  name: 'INV/2026/00103',
  partner_id: [46, 'Juan Pérez'],
  commercial_partner_id: [46, 'Juan Pérez'],
  currency_id: [2, 'USD'],
  write_date: '2026-11-20 15:08:30',
  amount_untaxed: 153.60000000000002,
  amount_tax: 41.47,
  amount_total: 195.07000000000002,
  invoice_line_ids: [941],
};

const line = (id: number, moveId: number, fields: Record<string, unknown>) => ({
  id,
  move_id: [moveId, ''],
  sequence: 10,
  display_type: 'product',
  name: false,
  product_id: false,
  product_uom_id: [1, 'Unidades'],
  quantity: 1.0,
  price_unit: 0.0,
  discount: 0.0,
  tax_ids: [],
  price_subtotal: 0.0,
  price_total: 0.0,
  ...fields,
});

export const LINES = [
  line(900, 101, { sequence: 5, display_type: 'line_section', name: 'Pedido S00042', product_uom_id: false, quantity: 0.0 }),
  line(901, 101, { sequence: 10, name: 'Café de origen Huila 500 g (tostión media)', product_id: [1, '[CAF-HUI-500] Café de origen Huila 500 g'], quantity: 3.0, price_unit: 42000.0, discount: 10.0, tax_ids: [3], price_subtotal: 113400.0, price_total: 122472.0 }),
  line(902, 101, { sequence: 11, name: 'Molino manual de cerámica', product_id: [2, '[MOL-CER-01] Molino manual de cerámica'], price_unit: 189900.0, tax_ids: [1], price_subtotal: 189900.0, price_total: 225981.0 }),
  line(903, 101, { sequence: 12, name: 'Café verde excelso 1 kg', product_id: [5, '[CAF-VER-1K] Café verde excelso 1 kg'], product_uom_id: [12, 'kg'], quantity: 2.5, price_unit: 31500.0, tax_ids: [2], price_subtotal: 78750.0, price_total: 82687.5 }),
  line(904, 101, { sequence: 13, name: 'Envío nacional', product_id: [3, '[ENVIO] Envío nacional'], price_unit: 12000.0, tax_ids: [1], price_subtotal: 12000.0, price_total: 14280.0 }),
  line(911, 102, { name: 'Café de origen Huila 500 g (tostión media)', product_id: [1, '[CAF-HUI-500] Café de origen Huila 500 g'], price_unit: 42000.0, discount: 10.0, tax_ids: [3], price_subtotal: 37800.0, price_total: 40824.0 }),
  line(912, 102, { sequence: 11, name: 'Envío nacional', product_id: [3, '[ENVIO] Envío nacional'], price_unit: 12000.0, tax_ids: [1], price_subtotal: 12000.0, price_total: 14280.0 }),
  line(921, 103, { name: 'Curso de barismo agregado al pedido', product_id: [4, '[SRV-BAR] Curso de barismo'], price_unit: 80000.0, tax_ids: [1], price_subtotal: 80000.0, price_total: 95200.0 }),
  line(931, 104, { name: 'Descuento comercial', product_id: false, price_unit: 10000.0, tax_ids: [1], price_subtotal: 10000.0, price_total: 11900.0 }),
  line(941, 105, { name: 'Filtros de papel x100', product_id: [6, '[FIL-100] Filtros de papel x100'], quantity: 12.0, price_unit: 12.8, tax_ids: [20], price_subtotal: 153.60000000000002, price_total: 195.07000000000002 }),
];

export const TAXES = [
  { id: 1, name: 'IVA 19%', amount: 19.0, amount_type: 'percent', price_include: false, children_tax_ids: [] },
  { id: 2, name: 'IVA 5%', amount: 5.0, amount_type: 'percent', price_include: false, children_tax_ids: [] },
  { id: 3, name: 'INC 8%', amount: 8.0, amount_type: 'percent', price_include: false, children_tax_ids: [] },
  { id: 20, name: 'IVA 19% + INC 8%', amount: 0.0, amount_type: 'group', price_include: false, children_tax_ids: [1, 3] },
];

export const PRODUCTS = [
  { id: 1, default_code: 'CAF-HUI-500', name: 'Café de origen Huila 500 g' },
  { id: 2, default_code: 'MOL-CER-01', name: 'Molino manual de cerámica' },
  { id: 3, default_code: 'ENVIO', name: 'Envío nacional' },
  { id: 4, default_code: 'SRV-BAR', name: 'Curso de barismo' },
  { id: 5, default_code: 'CAF-VER-1K', name: 'Café verde excelso 1 kg' },
  { id: 6, default_code: false, name: 'Filtros de papel x100' },
];

export const PARTNERS = [
  {
    id: 44, name: 'Tostadora Andina SAS', vat: '900123456-8', is_company: true, email: 'compras@tostadoraandina.example', phone: '+57 601 7456321',
    street: 'Calle 93 # 11-26', street2: 'Oficina 502', city: 'Bogotá', state_id: [1480, 'Bogotá D.C. (CO)'], zip: '110221', country_id: [49, 'Colombia'],
    commercial_partner_id: [44, 'Tostadora Andina SAS'], l10n_latam_identification_type_id: [1, 'NIT'],
  },
  {
    id: 45, name: 'Laura Gómez', vat: false, is_company: false, email: 'laura.gomez@tostadoraandina.example', phone: false,
    street: 'Carrera 7 # 71-21', street2: false, city: 'Bogotá', state_id: [1480, 'Bogotá D.C. (CO)'], zip: '110231', country_id: [49, 'Colombia'],
    commercial_partner_id: [44, 'Tostadora Andina SAS'], l10n_latam_identification_type_id: false,
  },
  {
    id: 46, name: 'Juan Pérez', vat: 'AB1234567', is_company: false, email: 'juan@correo.example', phone: false, street: false, street2: false, city: 'Miami',
    state_id: false, zip: false, country_id: [233, 'United States'], commercial_partner_id: [46, 'Juan Pérez'], l10n_latam_identification_type_id: [4, 'Pasaporte'],
  },
];

export const COUNTRIES = [
  { id: 49, code: 'CO' },
  { id: 233, code: 'US' },
];

export const CURRENCIES = [
  { id: 8, name: 'COP', rounding: 0.01, decimal_places: 2 },
  { id: 2, name: 'USD', rounding: 0.01, decimal_places: 2 },
];

/** What a `read` of `model` answers for these ids: the rows, in the order asked. */
export function rowsFor(model: string, ids: number[]): unknown[] {
  const table: Record<string, { id: number }[]> = {
    'account.move.line': LINES,
    'account.tax': TAXES,
    'product.product': PRODUCTS,
    'res.partner': PARTNERS,
    'res.country': COUNTRIES,
    'res.currency': CURRENCIES,
  };
  return ids.map((id) => {
    const row = table[model]?.find((r) => r.id === id);
    if (!row) throw new Error(`recorded data has no ${model} ${id}`);
    return row;
  });
}
