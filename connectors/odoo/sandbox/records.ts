/**
 * The Odoo sandbox's tables: a few models with the fields Puente reads, typed the way Odoo types
 * them (many2one, one2many/many2many, char, float, datetime…), and the demo data it starts with.
 * Field values are stored as Odoo stores them; `render` answers them as Odoo's `read` does.
 */

export type FieldType = 'integer' | 'char' | 'float' | 'boolean' | 'date' | 'datetime' | 'selection' | 'many2one' | 'one2many' | 'many2many';

export interface FieldDef {
  type: FieldType;
  /** For relational fields: the model they point to. */
  relation?: string;
}

export type Row = Record<string, unknown> & { id: number };

export const MODELS: Record<string, Record<string, FieldDef>> = {
  'res.company': { name: { type: 'char' }, vat: { type: 'char' }, currency_id: { type: 'many2one', relation: 'res.currency' } },
  'res.currency': { name: { type: 'char' }, rounding: { type: 'float' }, decimal_places: { type: 'integer' }, active: { type: 'boolean' } },
  'res.country': { name: { type: 'char' }, code: { type: 'char' } },
  'res.country.state': { name: { type: 'char' }, code: { type: 'char' }, country_id: { type: 'many2one', relation: 'res.country' } },
  'l10n_latam.identification.type': { name: { type: 'char' }, country_id: { type: 'many2one', relation: 'res.country' } },
  'res.partner': {
    name: { type: 'char' },
    vat: { type: 'char' },
    is_company: { type: 'boolean' },
    email: { type: 'char' },
    phone: { type: 'char' },
    street: { type: 'char' },
    street2: { type: 'char' },
    city: { type: 'char' },
    state_id: { type: 'many2one', relation: 'res.country.state' },
    zip: { type: 'char' },
    country_id: { type: 'many2one', relation: 'res.country' },
    country_code: { type: 'char' },
    commercial_partner_id: { type: 'many2one', relation: 'res.partner' },
    l10n_latam_identification_type_id: { type: 'many2one', relation: 'l10n_latam.identification.type' },
  },
  'account.journal': { name: { type: 'char' }, code: { type: 'char' }, type: { type: 'selection' } },
  'account.tax': {
    name: { type: 'char' },
    amount: { type: 'float' },
    amount_type: { type: 'selection' },
    price_include: { type: 'boolean' },
    type_tax_use: { type: 'selection' },
    children_tax_ids: { type: 'many2many', relation: 'account.tax' },
  },
  'product.product': { name: { type: 'char' }, default_code: { type: 'char' } },
  'uom.uom': { name: { type: 'char' } },
  'account.move': {
    name: { type: 'char' },
    move_type: { type: 'selection' },
    state: { type: 'selection' },
    partner_id: { type: 'many2one', relation: 'res.partner' },
    commercial_partner_id: { type: 'many2one', relation: 'res.partner' },
    currency_id: { type: 'many2one', relation: 'res.currency' },
    company_id: { type: 'many2one', relation: 'res.company' },
    journal_id: { type: 'many2one', relation: 'account.journal' },
    invoice_date: { type: 'date' },
    invoice_date_due: { type: 'date' },
    invoice_origin: { type: 'char' },
    ref: { type: 'char' },
    write_date: { type: 'datetime' },
    create_date: { type: 'datetime' },
    amount_untaxed: { type: 'float' },
    amount_tax: { type: 'float' },
    amount_total: { type: 'float' },
    reversed_entry_id: { type: 'many2one', relation: 'account.move' },
    debit_origin_id: { type: 'many2one', relation: 'account.move' },
    invoice_line_ids: { type: 'one2many', relation: 'account.move.line' },
  },
  'account.move.line': {
    move_id: { type: 'many2one', relation: 'account.move' },
    sequence: { type: 'integer' },
    display_type: { type: 'selection' },
    name: { type: 'char' },
    product_id: { type: 'many2one', relation: 'product.product' },
    product_uom_id: { type: 'many2one', relation: 'uom.uom' },
    quantity: { type: 'float' },
    price_unit: { type: 'float' },
    discount: { type: 'float' },
    tax_ids: { type: 'many2many', relation: 'account.tax' },
    price_subtotal: { type: 'float' },
    price_total: { type: 'float' },
  },
};

/** The demo database: one Colombian company selling coffee, its taxes, products and customers. */
export function seedRows(): Record<string, Row[]> {
  return {
    'res.company': [{ id: 1, name: 'Tostadores del Puente SAS', vat: '901234567-7', currency_id: 8 }],
    'res.currency': [
      { id: 1, name: 'USD', rounding: 0.01, decimal_places: 2, active: true },
      { id: 8, name: 'COP', rounding: 0.01, decimal_places: 2, active: true },
    ],
    'res.country': [
      { id: 49, name: 'Colombia', code: 'CO' },
      { id: 238, name: 'Venezuela', code: 'VE' },
      { id: 179, name: 'Paraguay', code: 'PY' },
    ],
    'res.country.state': [
      { id: 1480, name: 'Bogotá D.C.', code: 'DC', country_id: 49 },
      { id: 1483, name: 'Antioquia', code: 'ANT', country_id: 49 },
    ],
    'l10n_latam.identification.type': [
      { id: 1, name: 'NIT', country_id: 49 },
      { id: 2, name: 'Cédula de ciudadanía', country_id: 49 },
      { id: 3, name: 'Cédula de extranjería', country_id: 49 },
      { id: 4, name: 'Pasaporte', country_id: false },
    ],
    'res.partner': [
      { id: 1, name: 'Tostadores del Puente SAS', vat: '901234567-7', is_company: true, country_id: 49, commercial_partner_id: 1, l10n_latam_identification_type_id: 1 },
      {
        id: 7, name: 'Tostadora Andina SAS', vat: '900123456-8', is_company: true, email: 'compras@tostadoraandina.example', phone: '+57 601 7456321',
        street: 'Calle 93 # 11-26', street2: 'Oficina 502', city: 'Bogotá', state_id: 1480, zip: '110221', country_id: 49, commercial_partner_id: 7,
        l10n_latam_identification_type_id: 1,
      },
      {
        id: 11, name: 'Tostadora Andina SAS, Laura Gómez', vat: false, is_company: false, email: 'laura.gomez@tostadoraandina.example', phone: '+57 310 5550101',
        street: 'Carrera 7 # 71-21', street2: false, city: 'Bogotá', state_id: 1480, zip: '110231', country_id: 49, commercial_partner_id: 7,
        l10n_latam_identification_type_id: false,
      },
      {
        id: 8, name: 'María Fernanda Pérez', vat: '1020304050', is_company: false, email: 'mafe.perez@correo.example', phone: '+57 300 1234567',
        street: 'Calle 10 # 43-12', street2: false, city: 'Medellín', state_id: 1483, zip: '050021', country_id: 49, commercial_partner_id: 8,
        l10n_latam_identification_type_id: 2,
      },
      {
        id: 9, name: 'Cliente de mostrador', vat: false, is_company: false, email: false, phone: false, street: false, street2: false, city: 'Bogotá',
        state_id: false, zip: false, country_id: 49, commercial_partner_id: 9, l10n_latam_identification_type_id: false,
      },
    ],
    'account.journal': [{ id: 1, name: 'Facturas de cliente', code: 'INV', type: 'sale' }, { id: 9, name: 'Facturas POS', code: 'POSS', type: 'sale' }],
    'account.tax': [
      { id: 1, name: 'IVA 19%', amount: 19, amount_type: 'percent', price_include: false, type_tax_use: 'sale', children_tax_ids: [] },
      { id: 2, name: 'IVA 5%', amount: 5, amount_type: 'percent', price_include: false, type_tax_use: 'sale', children_tax_ids: [] },
      { id: 3, name: 'IVA Excluido 0%', amount: 0, amount_type: 'percent', price_include: false, type_tax_use: 'sale', children_tax_ids: [] },
      { id: 4, name: 'IVA 19% incluido', amount: 19, amount_type: 'percent', price_include: true, type_tax_use: 'sale', children_tax_ids: [] },
      { id: 5, name: 'INC 8%', amount: 8, amount_type: 'percent', price_include: false, type_tax_use: 'sale', children_tax_ids: [] },
    ],
    'product.product': [
      { id: 1, name: 'Café de origen Huila 500 g', default_code: 'CAF-HUI-500' },
      { id: 2, name: 'Molino manual de cerámica', default_code: 'MOL-CER-01' },
      { id: 3, name: 'Envío nacional', default_code: 'ENVIO' },
      { id: 4, name: 'Curso de barismo (servicio)', default_code: 'SRV-BAR' },
      { id: 5, name: 'Café verde excelso 1 kg', default_code: 'CAF-VER-1K' },
    ],
    'uom.uom': [{ id: 1, name: 'Unidades' }, { id: 12, name: 'kg' }],
    'account.move': [],
    'account.move.line': [],
  };
}

export function displayName(model: string, row: Row | undefined): string {
  if (!row) return '';
  if (model === 'res.country.state') return `${String(row.name)} (${'CO'})`;
  return typeof row.name === 'string' ? row.name : `${model},${row.id}`;
}
