/**
 * The Odoo sandbox's brain: one database with the demo rows, the JSON-RPC calls Puente makes
 * (common.version / authenticate, object.execute_kw with search_read, read, search_count, search,
 * fields_get), answered with Odoo's shapes and Odoo's error shapes, and test operations that post
 * invoices, credit notes and debit notes the way Odoo computes them (per-line rounding, half-up).
 *
 * Like Odoo, write_date is kept finer than a second but read back to the second, and a move touched
 * later (a payment registered) gets a newer write_date than moves with higher ids: a poller has to
 * cope with both.
 */
import { Dec, formatFixed, roundHalfUp, sumDecimals } from '../../../src/domain/money.js';
import { MODELS, displayName, seedRows, type Row } from './records.js';

export const ODOO_SANDBOX_DATABASE = 'puente-demo';
export const ODOO_SANDBOX_LOGIN = 'facturacion@tostadores.example';
export const ODOO_SANDBOX_API_KEY = 'odoo-sandbox-api-key-5f3c2a';
export const ODOO_SANDBOX_UID = 2;
export const ODOO_SANDBOX_VERSION = '17.0';

/** An error Odoo would serialize into the JSON-RPC `error` member. */
export class OdooServerError extends Error {
  constructor(
    readonly odooName: string,
    message: string,
    readonly code = 200,
  ) {
    super(message);
  }
}

export interface SandboxLineInput {
  /** product.product id or default_code. */
  product: number | string;
  description?: string;
  quantity: string;
  priceUnit: string;
  /** Percent, e.g. "10". */
  discount?: string;
  /** account.tax ids. */
  taxes?: number[];
}

export interface SandboxMoveInput {
  partner?: number;
  currency?: string;
  journal?: string;
  invoiceOrigin?: string;
  /** Payment term: due this many days after the invoice date (0: immediate payment). */
  dueDays?: number;
  lines: SandboxLineInput[];
}

export interface OdooSandboxOptions {
  /** Fields this Odoo "lacks", as `model.field` (an older version, a module not installed). */
  missingFields?: string[];
  /** Emulate a clock (tests); default Date.now. */
  now?: () => number;
}

type Leaf = [string, string, unknown];

function odooDatetime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function parseOdooDatetime(value: string): number {
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new OdooServerError('builtins.ValueError', `time data '${value}' does not match format '%Y-%m-%d %H:%M:%S'`);
  return ms;
}

export class OdooSandboxState {
  rows: Record<string, Row[]> = seedRows();
  readonly missing: Set<string>;
  readonly #now: () => number;
  #sequences = { invoice: 0, refund: 0 };

  constructor(options: OdooSandboxOptions = {}) {
    this.missing = new Set(options.missingFields ?? []);
    this.#now = options.now ?? (() => Date.now());
  }

  reset(): void {
    this.rows = seedRows();
    this.#sequences = { invoice: 0, refund: 0 };
  }

  // ─── JSON-RPC services ─────────────────────────────────────────────────────────────────────────

  dispatch(service: string, method: string, args: unknown[]): unknown {
    if (service === 'common' && method === 'version') {
      return { server_version: ODOO_SANDBOX_VERSION, server_version_info: [17, 0, 0, 'final', 0, ''], server_serie: '17.0', protocol_version: 1 };
    }
    if (service === 'common' && (method === 'authenticate' || method === 'login')) {
      const [db, login, key] = args as [string, string, string];
      this.#checkDatabase(db);
      return login === ODOO_SANDBOX_LOGIN && key === ODOO_SANDBOX_API_KEY ? ODOO_SANDBOX_UID : false;
    }
    if (service === 'object' && method === 'execute_kw') {
      const [db, uid, key, model, modelMethod, methodArgs, kwargs] = args as [string, number, string, string, string, unknown[], Record<string, unknown> | undefined];
      this.#checkDatabase(db);
      if (uid !== ODOO_SANDBOX_UID || key !== ODOO_SANDBOX_API_KEY) throw new OdooServerError('odoo.exceptions.AccessDenied', 'Access Denied');
      return this.#execute(model, modelMethod, methodArgs ?? [], kwargs ?? {});
    }
    throw new OdooServerError('builtins.NameError', `Method not available ${method}`);
  }

  #checkDatabase(db: string): void {
    if (db !== ODOO_SANDBOX_DATABASE) {
      throw new OdooServerError(
        'psycopg2.OperationalError',
        `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "${db}" does not exist\n`,
      );
    }
  }

  #fields(model: string): Record<string, { type: string; relation?: string }> {
    const fields = MODELS[model];
    if (!fields) throw new OdooServerError('odoo.exceptions.UserError', `Object ${model} doesn't exist`);
    return Object.fromEntries(Object.entries({ id: { type: 'integer' }, ...fields }).filter(([name]) => !this.missing.has(`${model}.${name}`)));
  }

  #checkField(model: string, field: string): void {
    if (!(field in this.#fields(model))) throw new OdooServerError('builtins.ValueError', `Invalid field '${field}' on model '${model}'`);
  }

  #execute(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    const fields = this.#fields(model);
    switch (method) {
      case 'fields_get':
        return Object.fromEntries(Object.entries(fields).map(([name, def]) => [name, { type: def.type, ...(def.relation ? { relation: def.relation } : {}) }]));
      case 'search_read': {
        const domain = (args[0] ?? kwargs.domain ?? []) as unknown[];
        const names = (args[1] ?? kwargs.fields ?? Object.keys(fields)) as string[];
        const found = this.#search(model, domain, kwargs.order as string | undefined, kwargs.limit as number | undefined, kwargs.offset as number | undefined);
        return found.map((row) => this.#render(model, row, names));
      }
      case 'search':
        return this.#search(model, (args[0] ?? []) as unknown[], kwargs.order as string | undefined, kwargs.limit as number | undefined).map((r) => r.id);
      case 'search_count':
        return this.#search(model, (args[0] ?? []) as unknown[]).length;
      case 'read': {
        const ids = (Array.isArray(args[0]) ? args[0] : [args[0]]) as number[];
        const names = (args[1] ?? kwargs.fields ?? Object.keys(fields)) as string[];
        const table = this.rows[model] ?? [];
        const missing = ids.filter((id) => !table.some((r) => r.id === id));
        if (missing.length) throw new OdooServerError('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${model}(${missing.join(', ')},), User: ${ODOO_SANDBOX_UID})`);
        return ids.map((id) => this.#render(model, table.find((r) => r.id === id)!, names));
      }
      default:
        throw new OdooServerError('builtins.AttributeError', `The method '${method}' does not exist on the model '${model}'`);
    }
  }

  #render(model: string, row: Row, names: string[]): Record<string, unknown> {
    const fields = this.#fields(model);
    const out: Record<string, unknown> = { id: row.id };
    for (const name of names) {
      this.#checkField(model, name);
      const def = fields[name]!;
      const value = row[name];
      if (def.type === 'many2one') {
        const target = typeof value === 'number' ? this.rows[def.relation!]?.find((r) => r.id === value) : undefined;
        out[name] = target ? [target.id, displayName(def.relation!, target)] : false;
      } else if (def.type === 'one2many' || def.type === 'many2many') {
        out[name] = Array.isArray(value) ? value : [];
      } else if (def.type === 'datetime') {
        out[name] = typeof value === 'number' ? odooDatetime(value) : false;
      } else if (def.type === 'float' || def.type === 'integer') {
        out[name] = typeof value === 'string' ? Number(value) : (value ?? 0);
      } else {
        out[name] = value === undefined || value === null ? false : value;
      }
    }
    return out;
  }

  #search(model: string, domain: unknown[], order?: string, limit?: number, offset = 0): Row[] {
    const table = this.rows[model] ?? [];
    const matches = table.filter((row) => this.#matches(model, row, domain));
    const keys = (order ?? 'id asc').split(',').map((part) => {
      const [field, direction] = part.trim().split(/\s+/);
      this.#checkField(model, field!);
      return { field: field!, desc: direction?.toLowerCase() === 'desc' };
    });
    matches.sort((a, b) => {
      for (const { field, desc } of keys) {
        const x = a[field] as number | string;
        const y = b[field] as number | string;
        if (x === y) continue;
        return (x < y ? -1 : 1) * (desc ? -1 : 1);
      }
      return 0;
    });
    return matches.slice(offset, limit ? offset + limit : undefined);
  }

  /** Odoo's prefix-notation domains: '&' (implicit), '|', '!' and leaves [field, operator, value]. */
  #matches(model: string, row: Row, domain: unknown[]): boolean {
    let position = 0;
    const next = (): boolean => {
      const item = domain[position++];
      if (item === '|') return [next(), next()].some(Boolean);
      if (item === '&') return [next(), next()].every(Boolean);
      if (item === '!') return !next();
      if (!Array.isArray(item) || item.length !== 3) throw new OdooServerError('builtins.ValueError', `Invalid leaf ${JSON.stringify(item)}`);
      return this.#leaf(model, row, item as Leaf);
    };
    const results: boolean[] = [];
    while (position < domain.length) results.push(next());
    return results.every(Boolean);
  }

  #leaf(model: string, row: Row, [path, operator, value]: Leaf): boolean {
    const [field, subfield] = path.split('.') as [string, string | undefined];
    const fields = this.#fields(model);
    const def = fields[field];
    if (!def) throw new OdooServerError('builtins.ValueError', `Invalid field ${model}.${field} in leaf ('${path}', '${operator}', ${JSON.stringify(value)})`);
    let actual: unknown = row[field];
    if (subfield) {
      const target = this.rows[def.relation!]?.find((r) => r.id === actual);
      actual = target?.[subfield];
    }
    let expected = value;
    if (def.type === 'datetime' && !subfield) {
      // Stored finer than a second, compared with a second-precision text: as in PostgreSQL.
      expected = typeof value === 'string' ? parseOdooDatetime(value) : value;
    }
    switch (operator) {
      case '=':
        return actual === expected || (expected === false && (actual === false || actual === undefined || actual === null));
      case '!=':
        return actual !== expected;
      case 'in':
        return Array.isArray(expected) && expected.includes(actual);
      case 'not in':
        return Array.isArray(expected) && !expected.includes(actual);
      case '>':
        return (actual as number) > (expected as number);
      case '>=':
        return (actual as number) >= (expected as number);
      case '<':
        return (actual as number) < (expected as number);
      case '<=':
        return (actual as number) <= (expected as number);
      default:
        throw new OdooServerError('builtins.ValueError', `Invalid leaf operator ${operator}`);
    }
  }

  // ─── test operations ───────────────────────────────────────────────────────────────────────────

  /** A posted customer invoice, amounts computed as Odoo does (per line, half-up). */
  postInvoice(input: SandboxMoveInput): Row {
    return this.#post('out_invoice', input, {});
  }

  /** A posted credit note reversing `invoiceId` (all of it when `lines` is absent). */
  postCreditNote(invoiceId: number, input: Partial<SandboxMoveInput> = {}): Row {
    const invoice = this.#postedInvoice(invoiceId);
    const lines = input.lines ?? this.#linesOf(invoice);
    return this.#post('out_refund', { ...this.#headerOf(invoice), ...input, lines }, { reversed_entry_id: invoiceId, ref: `Reversión de: ${String(invoice.name)}` });
  }

  /** A posted debit note adding `lines` to `invoiceId` (module account_debit_note). */
  postDebitNote(invoiceId: number, input: Pick<SandboxMoveInput, 'lines'>): Row {
    const invoice = this.#postedInvoice(invoiceId);
    return this.#post('out_invoice', { ...this.#headerOf(invoice), lines: input.lines }, { debit_origin_id: invoiceId, ref: `Nota débito de: ${String(invoice.name)}` });
  }

  /** Something else changed the move (a payment was registered): only write_date moves. */
  touch(moveId: number): Row {
    const move = this.rows['account.move']!.find((m) => m.id === moveId);
    if (!move) throw new Error(`no move ${moveId}`);
    move.write_date = this.#now();
    return move;
  }

  moves(): Record<string, unknown>[] {
    return this.rows['account.move']!.map((m) =>
      this.#render('account.move', m, Object.keys(this.#fields('account.move')).filter((f) => f !== 'id')),
    );
  }

  #postedInvoice(id: number): Row {
    const invoice = this.rows['account.move']!.find((m) => m.id === id && m.move_type === 'out_invoice' && m.state === 'posted');
    if (!invoice) throw new Error(`no posted customer invoice ${id}`);
    return invoice;
  }

  #headerOf(invoice: Row): Omit<SandboxMoveInput, 'lines'> {
    const currency = this.rows['res.currency']!.find((c) => c.id === invoice.currency_id)!;
    return { partner: invoice.partner_id as number, currency: String(currency.name) };
  }

  #linesOf(move: Row): SandboxLineInput[] {
    return this.rows['account.move.line']!
      .filter((l) => l.move_id === move.id && l.display_type === 'product')
      .map((l) => ({
        product: l.product_id as number,
        description: String(l.name),
        quantity: String(l.quantity),
        priceUnit: String(l.price_unit),
        discount: String(l.discount),
        taxes: l.tax_ids as number[],
      }));
  }

  #post(moveType: 'out_invoice' | 'out_refund', input: SandboxMoveInput, extra: Record<string, unknown>): Row {
    const moves = this.rows['account.move']!;
    const lineTable = this.rows['account.move.line']!;
    const currency = this.rows['res.currency']!.find((c) => c.name === (input.currency ?? 'COP'));
    if (!currency) throw new Error(`unknown currency ${input.currency}`);
    const decimals = currency.decimal_places as number;
    const partnerId = input.partner ?? 9;
    const partner = this.rows['res.partner']!.find((p) => p.id === partnerId);
    if (!partner) throw new Error(`unknown partner ${partnerId}`);
    const journal = this.rows['account.journal']!.find((j) => j.code === (input.journal ?? 'INV'));
    if (!journal) throw new Error(`unknown journal ${input.journal}`);
    if (!input.lines?.length) throw new Error('a move needs at least one line');

    const id = moves.reduce((max, m) => Math.max(max, m.id), 0) + 1;
    let lineId = lineTable.reduce((max, l) => Math.max(max, l.id), 0);
    const year = new Date(this.#now()).getUTCFullYear();
    const sequence = moveType === 'out_refund' ? ++this.#sequences.refund : ++this.#sequences.invoice;
    const name = `${moveType === 'out_refund' ? 'R' : ''}${String(journal.code)}/${year}/${String(sequence).padStart(5, '0')}`;

    const lines: Row[] = input.lines.map((line, index) => {
      const product = this.rows['product.product']!.find((p) => p.id === line.product || p.default_code === line.product);
      if (!product) throw new Error(`unknown product ${line.product}`);
      const taxes = (line.taxes ?? []).map((taxId) => {
        const tax = this.rows['account.tax']!.find((t) => t.id === taxId);
        if (!tax) throw new Error(`unknown tax ${taxId}`);
        return tax;
      });
      const amounts = lineAmounts(line, taxes, decimals);
      return {
        id: ++lineId,
        move_id: id,
        sequence: 10 + index,
        display_type: 'product',
        name: line.description ?? String(product.name),
        product_id: product.id,
        product_uom_id: 1,
        quantity: line.quantity,
        price_unit: line.priceUnit,
        discount: line.discount ?? '0',
        tax_ids: taxes.map((t) => t.id),
        price_subtotal: amounts.subtotal,
        price_total: amounts.total,
      };
    });
    // A section title, as Odoo users add them: not a line of the document.
    lines.unshift({ id: ++lineId, move_id: id, sequence: 5, display_type: 'line_section', name: 'Pedido', product_id: false, product_uom_id: false, quantity: '0', price_unit: '0', discount: '0', tax_ids: [], price_subtotal: '0', price_total: '0' });

    const untaxed = sumDecimals(lines.map((l) => new Dec(l.price_subtotal as string)));
    const total = sumDecimals(lines.map((l) => new Dec(l.price_total as string)));
    const now = this.#now();
    const today = new Date(now).toISOString().slice(0, 10);
    const move: Row = {
      id,
      name,
      move_type: moveType,
      state: 'posted',
      partner_id: partner.id,
      commercial_partner_id: partner.commercial_partner_id ?? partner.id,
      currency_id: currency.id,
      company_id: 1,
      journal_id: journal.id,
      invoice_date: today,
      invoice_date_due: new Date(now + (input.dueDays ?? 0) * 86_400_000).toISOString().slice(0, 10),
      invoice_origin: input.invoiceOrigin ?? false,
      ref: false,
      create_date: now,
      write_date: now,
      amount_untaxed: formatFixed(untaxed, decimals),
      amount_tax: formatFixed(total.minus(untaxed), decimals),
      amount_total: formatFixed(total, decimals),
      reversed_entry_id: false,
      debit_origin_id: false,
      invoice_line_ids: lines.map((l) => l.id),
      ...extra,
    };
    moves.push(move);
    lineTable.push(...lines);
    return move;
  }
}

/**
 * One line as Odoo computes it with "round per line": price_unit × quantity × (1 − discount %),
 * then, for taxes excluded from the price, subtotal = round(base) and each tax = round(subtotal ×
 * rate); for a price that includes its taxes, total = round(base) and subtotal = round(total / (1 +
 * Σ rates)). Decimal throughout; Odoo's JSON floats are only made when a row is read.
 */
export function lineAmounts(line: SandboxLineInput, taxes: Row[], decimals: number): { subtotal: string; total: string } {
  const base = new Dec(line.priceUnit).times(line.quantity).times(new Dec(100).minus(line.discount ?? '0')).div(100);
  const included = taxes.filter((t) => t.price_include === true);
  const excluded = taxes.filter((t) => t.price_include !== true);
  const rate = (list: Row[]) => sumDecimals(list.map((t) => new Dec(String(t.amount)).div(100)));
  let subtotal: Dec;
  if (included.length) {
    const charged = roundHalfUp(base, decimals);
    subtotal = roundHalfUp(charged.div(rate(included).plus(1)), decimals);
    const excludedTax = sumDecimals(excluded.map((t) => roundHalfUp(subtotal.times(String(t.amount)).div(100), decimals)));
    return { subtotal: formatFixed(subtotal, decimals), total: formatFixed(charged.plus(excludedTax), decimals) };
  }
  subtotal = roundHalfUp(base, decimals);
  const tax = sumDecimals(excluded.map((t) => roundHalfUp(subtotal.times(String(t.amount)).div(100), decimals)));
  return { subtotal: formatFixed(subtotal, decimals), total: formatFixed(subtotal.plus(tax), decimals) };
}
