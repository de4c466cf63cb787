/**
 * The payload Puente stores for one posted Odoo customer move: self-contained (lines with their taxes
 * resolved, the buyer with tax id and identification type, the currency with its decimals), ids as
 * strings, amounts as decimal strings, instants in UTC with `Z`. Stage-1 mappings
 * (mappings/odoo/*.yaml) read this shape; nothing else of Odoo's reaches them.
 */

export type OdooDocumentKind = 'invoice' | 'credit_note' | 'debit_note';

export interface OdooRef {
  id: string;
  name: string;
}

export interface OdooTaxPayload {
  id: string;
  name: string;
  /** Odoo's `amount`: the percent for `percent`/`division` taxes ("19"), the amount per unit for `fixed`. */
  amount: string;
  /** percent | fixed | division | code */
  amountType: string;
  priceInclude: boolean;
}

export interface OdooLinePayload {
  id: string;
  sequence: number;
  /** `product` for a sold line (also for Odoo ≤ 15, which leaves it empty); `line_section`, `line_note`, … otherwise. */
  displayType: string;
  /** The line's label (Odoo `name`), which is what the invoice shows. */
  description: string | null;
  product: { id: string; code: string | null; name: string } | null;
  uom: string | null;
  quantity: string;
  priceUnit: string;
  /** Odoo's line discount, a percent ("10" = 10 %). */
  discountPercent: string;
  /** Net of tax, after the discount, in the currency's decimals (Odoo `price_subtotal`). */
  priceSubtotal: string;
  /** With taxes (Odoo `price_total`). */
  priceTotal: string;
  /** True when every tax of the line is included in the price (Odoo `price_include`). */
  priceIncludesTax: boolean;
  /** What the line comes to after its discount, in the price's own basis: priceTotal when taxes are included, else priceSubtotal. */
  netAmount: string;
  taxes: OdooTaxPayload[];
}

export interface OdooPartnerPayload {
  id: string;
  /** The commercial entity's name (the company, for a contact of a company). */
  name: string;
  vat: string | null;
  /** Odoo `l10n_latam_identification_type_id` (l10n_latam_base), as named in this Odoo: NIT, Cédula de ciudadanía, RIF, … */
  identificationType: OdooRef | null;
  isCompany: boolean;
  email: string | null;
  phone: string | null;
  address: {
    street: string | null;
    street2: string | null;
    city: string | null;
    state: string | null;
    zip: string | null;
    countryCode: string | null;
  };
}

export interface OdooMovePayload {
  id: string;
  /** The move's number in Odoo (INV/2026/00042, RINV/2026/00003). */
  name: string;
  moveType: 'out_invoice' | 'out_refund';
  state: string;
  documentKind: OdooDocumentKind;
  invoiceDate: string | null;
  invoiceDateDue: string | null;
  /** Due after the invoice date (Odoo payment terms): a sale on credit. */
  onCredit: boolean;
  /** When Odoo last wrote the move, ISO 8601 in UTC. */
  writeDate: string;
  ref: string | null;
  invoiceOrigin: string | null;
  /** The invoice a credit note reverses (reversed_entry_id). */
  reversedEntry: OdooRef | null;
  /** The invoice a debit note adds to (debit_origin_id, module account_debit_note). */
  debitOrigin: OdooRef | null;
  journal: OdooRef;
  company: OdooRef;
  currency: { id: string; name: string; decimalPlaces: number };
  amountUntaxed: string;
  amountTax: string;
  amountTotal: string;
  partner: OdooPartnerPayload;
  lines: OdooLinePayload[];
}
