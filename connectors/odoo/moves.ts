/**
 * Reads posted customer moves from Odoo and turns each into an OdooMovePayload: the move
 * (search_read), then, for the whole page at once, its lines, their taxes and products, the buyers,
 * their countries and the currencies (one `read` per model, never one per record).
 */
import type { OdooClient, Domain } from './client.js';
import { OdooError } from './errors.js';
import { amountText, decimalText, decimalsFromRounding } from './numbers.js';
import type { OdooDocumentKind, OdooLinePayload, OdooMovePayload, OdooPartnerPayload, OdooRef, OdooTaxPayload } from './payload.js';

/** The fields each model must have; an Odoo that lacks one gets a `config` error naming it. */
export const REQUIRED_FIELDS = {
  'account.move': [
    'name', 'move_type', 'state', 'partner_id', 'commercial_partner_id', 'currency_id', 'company_id', 'journal_id',
    'invoice_date', 'write_date', 'amount_untaxed', 'amount_tax', 'amount_total', 'reversed_entry_id', 'invoice_line_ids', 'ref',
  ],
  'account.move.line': ['sequence', 'display_type', 'name', 'product_id', 'product_uom_id', 'quantity', 'price_unit', 'discount', 'tax_ids', 'price_subtotal', 'price_total'],
  'account.tax': ['name', 'amount', 'amount_type', 'price_include', 'children_tax_ids'],
  'res.partner': ['name', 'vat', 'is_company', 'email', 'phone', 'street', 'street2', 'city', 'state_id', 'zip', 'country_id'],
  'res.currency': ['name', 'rounding'],
} as const;

/** Fields read when this Odoo has them: modules that may not be installed, or versions that lack them. */
const OPTIONAL_FIELDS = {
  'account.move': ['debit_origin_id', 'invoice_date_due', 'invoice_origin'],
  'res.partner': ['l10n_latam_identification_type_id'],
  'res.currency': ['decimal_places'],
} as const;

type Raw = Record<string, unknown>;

export interface MoveFilter {
  /** Journal codes (INV); every customer journal when absent. */
  journals?: string[];
  /** Company id. */
  company?: number;
}

/** The UTC instant Odoo writes as 'YYYY-MM-DD HH:MM:SS' (no zone), as ISO 8601 with Z. */
export function odooDatetimeToIso(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(value);
  if (!match) throw new OdooError('unexpected', `Odoo sent the datetime "${value.slice(0, 30)}", not 'YYYY-MM-DD HH:MM:SS'`);
  return `${match[1]}T${match[2]}Z`;
}

/** An ISO 8601 instant (any offset) as Odoo's UTC 'YYYY-MM-DD HH:MM:SS', for domains. */
export function isoToOdooDatetime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw new OdooError('config', `"${iso}" is not an ISO 8601 instant (e.g. 2026-11-01T00:00:00-05:00)`);
  return new Date(time).toISOString().slice(0, 19).replace('T', ' ');
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function many2one(value: unknown): OdooRef | null {
  if (Array.isArray(value) && typeof value[0] === 'number') return { id: String(value[0]), name: typeof value[1] === 'string' ? value[1] : '' };
  return null;
}

function idOf(value: unknown): number | undefined {
  return Array.isArray(value) && typeof value[0] === 'number' ? value[0] : undefined;
}

function ids(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
}

function byId(records: Raw[]): Map<number, Raw> {
  return new Map(records.map((r) => [r.id as number, r]));
}

function unique(values: Iterable<number | undefined>): number[] {
  return [...new Set([...values].filter((v): v is number => v !== undefined))];
}

function documentKindOf(move: Raw): OdooDocumentKind {
  if (move.move_type === 'out_refund') return 'credit_note';
  return idOf(move.debit_origin_id) !== undefined ? 'debit_note' : 'invoice';
}

export class OdooMoveReader {
  #fields: Promise<Record<string, string[]>> | undefined;

  constructor(
    private readonly client: OdooClient,
    private readonly filter: MoveFilter = {},
  ) {}

  /**
   * Checks once that this Odoo has every field Puente reads (a clear `config` error otherwise) and
   * decides which optional ones to read.
   */
  fields(): Promise<Record<string, string[]>> {
    this.#fields ??= (async () => {
      const models = await Promise.all(
        Object.entries(REQUIRED_FIELDS).map(async ([model, required]) => {
          const available = await this.client.requireFields(model, required, 'to read posted invoices and credit notes');
          const optional = (OPTIONAL_FIELDS as Record<string, readonly string[]>)[model] ?? [];
          const fields: string[] = [...required, ...optional.filter((f) => available.has(f))];
          return [model, fields] as const;
        }),
      );
      return Object.fromEntries(models);
    })().catch((error: unknown) => {
      this.#fields = undefined;
      throw error;
    });
    return this.#fields;
  }

  /** Posted customer invoices and credit notes, of the configured journals and company. */
  baseDomain(): Domain {
    const domain: Domain = [
      ['move_type', 'in', ['out_invoice', 'out_refund']],
      ['state', '=', 'posted'],
    ];
    if (this.filter.journals?.length) domain.push(['journal_id.code', 'in', this.filter.journals]);
    if (this.filter.company !== undefined) domain.push(['company_id', '=', this.filter.company]);
    return domain;
  }

  async search(domain: Domain, options: { limit?: number; order?: string } = {}): Promise<Raw[]> {
    const fields = await this.fields();
    return this.client.searchRead<Raw>('account.move', domain, {
      fields: [...fields['account.move']!],
      order: options.order ?? 'write_date asc, id asc',
      ...(options.limit ? { limit: options.limit } : {}),
    });
  }

  async count(domain: Domain): Promise<number> {
    return this.client.searchCount('account.move', domain);
  }

  /** Reads everything the moves' payloads need, in one call per model, and builds them in order. */
  async payloads(moves: Raw[]): Promise<OdooMovePayload[]> {
    if (moves.length === 0) return [];
    const fields = await this.fields();
    const lines = byId(await this.client.read<Raw>('account.move.line', unique(moves.flatMap((m) => ids(m.invoice_line_ids))), fields['account.move.line']!));
    const taxRecords = byId(await this.client.read<Raw>('account.tax', unique([...lines.values()].flatMap((l) => ids(l.tax_ids))), fields['account.tax']!));
    // Group taxes apply their children; read those too (one level, as Odoo's UI allows).
    const children = unique([...taxRecords.values()].filter((t) => t.amount_type === 'group').flatMap((t) => ids(t.children_tax_ids))).filter((id) => !taxRecords.has(id));
    for (const child of await this.client.read<Raw>('account.tax', children, fields['account.tax']!)) taxRecords.set(child.id as number, child);
    const products = byId(await this.client.read<Raw>('product.product', unique([...lines.values()].map((l) => idOf(l.product_id))), ['default_code', 'name']));
    const partners = byId(
      await this.client.read<Raw>('res.partner', unique(moves.flatMap((m) => [idOf(m.partner_id), idOf(m.commercial_partner_id)])), fields['res.partner']!),
    );
    const countries = byId(await this.client.read<Raw>('res.country', unique([...partners.values()].map((p) => idOf(p.country_id))), ['code']));
    const currencies = byId(await this.client.read<Raw>('res.currency', unique(moves.map((m) => idOf(m.currency_id))), fields['res.currency']!));
    return moves.map((move) => this.#payload(move, { lines, taxRecords, products, partners, countries, currencies }));
  }

  #payload(
    move: Raw,
    refs: { lines: Map<number, Raw>; taxRecords: Map<number, Raw>; products: Map<number, Raw>; partners: Map<number, Raw>; countries: Map<number, Raw>; currencies: Map<number, Raw> },
  ): OdooMovePayload {
    const where = `account.move ${String(move.id)}`;
    const currency = refs.currencies.get(idOf(move.currency_id) ?? -1);
    if (!currency) throw new OdooError('unexpected', `${where}: its currency could not be read`);
    const decimals = typeof currency.decimal_places === 'number' ? currency.decimal_places : decimalsFromRounding(currency.rounding);
    const moveType = move.move_type;
    if (moveType !== 'out_invoice' && moveType !== 'out_refund') throw new OdooError('unexpected', `${where}: move_type ${String(moveType)} is not a customer invoice or credit note`);
    const lines = ids(move.invoice_line_ids)
      .map((id) => refs.lines.get(id))
      .filter((line): line is Raw => line !== undefined)
      .map((line) => this.#line(line, refs, decimals))
      .sort((a, b) => a.sequence - b.sequence || Number(a.id) - Number(b.id));
    const journal = many2one(move.journal_id);
    const invoiceDate = text(move.invoice_date);
    const invoiceDateDue = text(move.invoice_date_due);
    const company = many2one(move.company_id);
    return {
      id: String(move.id),
      name: String(move.name),
      moveType,
      state: String(move.state),
      documentKind: documentKindOf(move),
      invoiceDate,
      invoiceDateDue,
      // Both are YYYY-MM-DD, so comparing the text compares the dates.
      onCredit: invoiceDate !== null && invoiceDateDue !== null && invoiceDateDue > invoiceDate,
      writeDate: odooDatetimeToIso(String(move.write_date)),
      ref: text(move.ref),
      invoiceOrigin: text(move.invoice_origin),
      reversedEntry: many2one(move.reversed_entry_id),
      debitOrigin: many2one(move.debit_origin_id),
      journal: journal ?? { id: '', name: '' },
      company: company ?? { id: '', name: '' },
      currency: { id: String(currency.id), name: String(currency.name), decimalPlaces: decimals },
      amountUntaxed: amountText(move.amount_untaxed, decimals, `${where}.amount_untaxed`),
      amountTax: amountText(move.amount_tax, decimals, `${where}.amount_tax`),
      amountTotal: amountText(move.amount_total, decimals, `${where}.amount_total`),
      partner: this.#partner(move, refs),
      lines,
    };
  }

  #line(line: Raw, refs: { taxRecords: Map<number, Raw>; products: Map<number, Raw> }, decimals: number): OdooLinePayload {
    const where = `account.move.line ${String(line.id)}`;
    const taxes = ids(line.tax_ids).flatMap((id) => {
      const tax = refs.taxRecords.get(id);
      if (!tax) throw new OdooError('unexpected', `${where}: tax ${id} could not be read`);
      if (tax.amount_type !== 'group') return [tax];
      return ids(tax.children_tax_ids).map((child) => refs.taxRecords.get(child)).filter((t): t is Raw => t !== undefined);
    }).map((tax): OdooTaxPayload => ({
      id: String(tax.id),
      name: String(tax.name),
      amount: decimalText(tax.amount, `account.tax ${String(tax.id)}.amount`),
      amountType: String(tax.amount_type),
      priceInclude: tax.price_include === true,
    }));
    const productId = idOf(line.product_id);
    const product = productId !== undefined ? refs.products.get(productId) : undefined;
    const priceIncludesTax = taxes.length > 0 && taxes.every((t) => t.priceInclude);
    const priceSubtotal = amountText(line.price_subtotal, decimals, `${where}.price_subtotal`);
    const priceTotal = amountText(line.price_total, decimals, `${where}.price_total`);
    return {
      id: String(line.id),
      sequence: typeof line.sequence === 'number' ? line.sequence : 0,
      // Odoo ≤ 15 leaves display_type empty on sold lines; 16+ says `product`.
      displayType: text(line.display_type) ?? 'product',
      description: text(line.name),
      product: productId !== undefined ? { id: String(productId), code: text(product?.default_code), name: text(product?.name) ?? many2one(line.product_id)!.name } : null,
      uom: many2one(line.product_uom_id)?.name ?? null,
      quantity: decimalText(line.quantity, `${where}.quantity`),
      priceUnit: decimalText(line.price_unit, `${where}.price_unit`),
      discountPercent: decimalText(line.discount ?? 0, `${where}.discount`),
      priceSubtotal,
      priceTotal,
      priceIncludesTax,
      netAmount: priceIncludesTax ? priceTotal : priceSubtotal,
      taxes,
    };
  }

  #partner(move: Raw, refs: { partners: Map<number, Raw>; countries: Map<number, Raw> }): OdooPartnerPayload {
    const contact = refs.partners.get(idOf(move.partner_id) ?? -1);
    // The tax identity is the commercial entity's (the company, when the invoice goes to one of its contacts).
    const entity = refs.partners.get(idOf(move.commercial_partner_id) ?? -1) ?? contact;
    if (!contact || !entity) throw new OdooError('unexpected', `account.move ${String(move.id)}: its customer could not be read`);
    const country = refs.countries.get(idOf(contact.country_id) ?? idOf(entity.country_id) ?? -1);
    return {
      id: String(entity.id),
      name: text(entity.name) ?? text(contact.name) ?? '',
      vat: text(entity.vat),
      identificationType: many2one(entity.l10n_latam_identification_type_id),
      isCompany: entity.is_company === true,
      email: text(contact.email) ?? text(entity.email),
      phone: text(contact.phone) ?? text(entity.phone),
      address: {
        street: text(contact.street),
        street2: text(contact.street2),
        city: text(contact.city),
        state: many2one(contact.state_id)?.name.replace(/\s*\([A-Z]{2}\)$/, '') ?? null,
        zip: text(contact.zip),
        countryCode: text(country?.code),
      },
    };
  }
}
