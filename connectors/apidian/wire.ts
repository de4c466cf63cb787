/**
 * APIDIAN wire documents: the request bodies of `POST /api/ubl2.1/{invoice,credit-note,debit-note,
 * invoice-export}` and their `add-to-batch/*` twins, validated the way APIDIAN's Laravel FormRequests
 * validate them (reference §1.4–1.7; the rules were read in co-apidian2026's
 * app/Http/Requests/Api/*Request.php).
 *
 * Why the schemas are built from `z.custom` + refinements instead of plain zod types:
 * - Laravel reports every failing field at once, each with its own Spanish message, and cross-field
 *   rules (required_if, required_with, dian_dv) run even when another field is wrong. A zod type error
 *   would abort the parent's refinements; custom issues never do.
 * - Laravel's `numeric` accepts numbers and numeric strings, `boolean` accepts 0/1/"0"/"1", `integer`
 *   accepts "72", and `''` is turned into null before validation (ConvertEmptyStringsToNull). Nothing
 *   is transformed here: a parsed document is exactly what was given, so Puente's client can validate
 *   with these schemas and send the same object.
 *
 * Issue messages carry Laravel's `:attribute` placeholder; `laravelErrors` fills it with the dotted
 * path the way Laravel displays attributes (underscores become spaces) and keys the map by the path.
 */
import { z, type ZodError, type ZodType } from 'zod';
import {
  DISCOUNT_ID_RANGE,
  FINAL_CONSUMER_ID,
  INCOTERMS,
  PAYMENT_FORMS,
  PAYMENT_METHOD_ID_RANGE,
  REFERENCE_PRICES,
  TAXES,
  TYPE_DOCUMENT_IDENTIFICATIONS,
  TYPE_DOCUMENT_IDS,
  TYPE_ITEM_IDENTIFICATIONS,
  TYPE_OPERATIONS,
  TYPE_ORGANIZATIONS,
  TYPE_REGIMES,
  nitCheckDigit,
} from './ids.js';

// ─── Laravel's Spanish messages ────────────────────────────────────────────────────────────────

/**
 * The es-locale lines APIDIAN answers with (Laravel-lang `es/validation.php` plus APIDIAN's own
 * `dian_dv` line). `:attribute` is filled by `laravelErrors`; other placeholders are filled here.
 */
export const validationMessages = {
  required: 'El campo :attribute es obligatorio.',
  requiredIf: (other: string, value: string) => `El campo :attribute es obligatorio cuando ${displayableAttribute(other)} es ${value}.`,
  requiredUnless: (other: string, values: string) =>
    `El campo :attribute es obligatorio a menos que ${displayableAttribute(other)} esté en ${values}.`,
  requiredWith: (values: string) => `El campo :attribute es obligatorio cuando ${displayableAttribute(values)} está presente.`,
  requiredWithout: (values: string) =>
    `El campo :attribute es obligatorio cuando ${displayableAttribute(values)} no está presente.`,
  numeric: ':attribute debe ser numérico.',
  integer: ':attribute debe ser un número entero.',
  string: 'El campo :attribute debe ser una cadena de caracteres.',
  boolean: 'El campo :attribute debe tener un valor verdadero o falso.',
  array: ':attribute debe ser un conjunto.',
  in: ':attribute es inválido.',
  exists: ':attribute es inválido.',
  email: ':attribute no es un correo válido',
  alphaNum: ':attribute sólo debe contener letras y números.',
  dateFormat: (format: string) => `:attribute no corresponde al formato ${format}.`,
  afterOrEqual: (date: string) => `:attribute debe ser una fecha posterior o igual a ${date}.`,
  beforeOrEqual: (date: string) => `:attribute debe ser una fecha anterior o igual a ${date}.`,
  betweenNumeric: (min: string | number, max: string | number) => `:attribute tiene que estar entre ${min} - ${max}.`,
  betweenString: (min: number, max: number) => `:attribute tiene que tener entre ${min} - ${max} caracteres.`,
  sizeString: (size: number) => `:attribute debe contener ${size} caracteres.`,
  maxString: (max: number) => `:attribute no debe ser mayor que ${max} caracteres.`,
  digits: (digits: number) => `:attribute debe tener ${digits} dígitos.`,
  digitsBetween: (min: number, max: number) => `:attribute debe tener entre ${min} y ${max} dígitos.`,
  dianDv: 'Error, el digito de verificacion no es valido para este NIT.',
  resolutionNotConfigured: 'La resolución no está configurada.',
} as const;

/** How Laravel names an attribute in a message when no translation exists: `_` becomes a space. */
export function displayableAttribute(path: string): string {
  return path.replace(/_/g, ' ');
}

/** Fills `:attribute` in a message written against `validationMessages`. */
export function laravelMessage(template: string, path: string): string {
  return template.replace(/:attribute/g, displayableAttribute(path));
}

/** Laravel's `errors` map: dotted path → messages, in the order the rules failed. */
export type LaravelErrors = Record<string, string[]>;

const LARAVEL_ISSUE = 'apidian.laravel';

/** Turns the issues of an APIDIAN wire schema into Laravel's 422 `errors` map. */
export function laravelErrors(error: ZodError): LaravelErrors {
  const errors: LaravelErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    const template =
      issue.code === 'custom' && (issue.params as { source?: string } | undefined)?.source === LARAVEL_ISSUE
        ? issue.message
        : validationMessages.in; // a zod issue of another origin: Laravel would call the value invalid
    (errors[path] ??= []).push(laravelMessage(template, path));
  }
  return errors;
}

// ─── Values as Laravel sees them ───────────────────────────────────────────────────────────────

/** Laravel's `numeric`: a number, or a string PHP's is_numeric accepts ("840336.13", "19"). */
export type Numeric = number | string;
/** Laravel's `boolean`: true, false, 0, 1, "0", "1". */
export type LaravelBoolean = boolean | 0 | 1 | '0' | '1';
/** An id column (`exists:…,id`), sent as a number or a numeric string. */
export type TableId = number | string;

type Ctx = z.RefinementCtx;

function fail(ctx: Ctx, message: string, path: (string | number)[] = []): void {
  ctx.addIssue({ code: 'custom', message, path, params: { source: LARAVEL_ISSUE } });
}

/** Laravel's notion of "not present" for required*: missing, null, blank string, empty array. */
function isBlank(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.keys(value).length === 0;
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PHP_NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function isNumeric(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && PHP_NUMERIC.test(value.trim());
}

function isInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value);
  return typeof value === 'string' && /^[+-]?\d+$/.test(value.trim());
}

function isLaravelBoolean(value: unknown): boolean {
  return value === true || value === false || value === 0 || value === 1 || value === '0' || value === '1';
}

/** Loose equality the way PHP's in_array compares a field with a rule parameter. */
function looselyEquals(value: unknown, parameter: string): boolean {
  if (value === undefined || value === null || typeof value === 'object') return false;
  if (typeof value === 'boolean') return parameter === (value ? 'true' : 'false');
  if (isNumeric(value) && isNumeric(parameter)) return Number(value) === Number(parameter);
  return String(value).trim() === parameter;
}

function isValidDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// ─── Rules ─────────────────────────────────────────────────────────────────────────────────────

/** A Laravel rule list for one field: returns the messages of every rule that failed. */
interface Rule<T> {
  readonly check: (value: unknown) => string[];
  /** Phantom: the TypeScript type of a value that passes. */
  readonly type?: T;
}

function rule<T>(check: (value: unknown) => string[]): Rule<T> {
  return { check };
}

const numeric = rule<Numeric>((v) => (isNumeric(v) ? [] : [validationMessages.numeric]));
const integer = rule<number | string>((v) => (isInteger(v) ? [] : [validationMessages.integer]));
const boolean = rule<LaravelBoolean>((v) => (isLaravelBoolean(v) ? [] : [validationMessages.boolean]));
const string = (max?: number) =>
  rule<string>((v) => {
    if (typeof v !== 'string') return [validationMessages.string];
    return max !== undefined && [...v].length > max ? [validationMessages.maxString(max)] : [];
  });
const text = string();
const email = rule<string>((v) => {
  if (typeof v !== 'string') return [validationMessages.string];
  // Laravel's `email` (RFC validation) is permissive: a local part, an @ and a domain.
  return /^[^\s@]+@[^\s@]+$/.test(v.trim()) ? [] : [validationMessages.email];
});
const ymd = rule<string>((v) =>
  typeof v === 'string' && isValidDate(v.trim()) ? [] : [validationMessages.dateFormat('Y-m-d')],
);
const his = rule<string>((v) =>
  typeof v === 'string' && /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/.test(v.trim()) ? [] : [validationMessages.dateFormat('H:i:s')],
);
/** `exists:table,id`: `known` decides for tables Puente knows completely, else any positive id passes. */
const exists = (known?: (id: number) => boolean) =>
  rule<TableId>((v) => {
    const ok = isInteger(v) && Number(v) > 0 && (known === undefined || known(Number(v)));
    return ok ? [] : [validationMessages.exists];
  });
const inTable = (table: object) => exists((id) => Object.hasOwn(table, id));
const inRange = (range: { min: number; max: number }) => exists((id) => id >= range.min && id <= range.max);
const oneOf = <T extends string | number>(values: readonly T[], numericRule = true) =>
  rule<T | string | number>((v) => {
    const messages: string[] = [];
    if (numericRule && !isNumeric(v)) messages.push(validationMessages.numeric);
    if (!values.some((allowed) => looselyEquals(v, String(allowed)))) messages.push(validationMessages.in);
    return messages;
  });
/** `integer|between:min,max` */
const integerBetween = (min: number, max: number) =>
  rule<number | string>((v) => {
    if (!isInteger(v)) return [validationMessages.integer, validationMessages.betweenNumeric(min, max)];
    const n = Number(v);
    return n >= min && n <= max ? [] : [validationMessages.betweenNumeric(min, max)];
  });
/** `alpha_num|between:1,15` as customer.identification_number has it (a JSON number is fine). */
const identificationNumber = rule<string | number>((v) => {
  if (typeof v !== 'string' && typeof v !== 'number') return [validationMessages.alphaNum, validationMessages.betweenString(1, 15)];
  const asText = String(v);
  const messages: string[] = [];
  if (!/^[\p{L}\p{M}\p{N}]+$/u.test(asText)) messages.push(validationMessages.alphaNum);
  if ([...asText].length < 1 || [...asText].length > 15) messages.push(validationMessages.betweenString(1, 15));
  return messages;
});
/** `numeric|digits:1` */
const checkDigit = rule<number | string>((v) => {
  const messages: string[] = [];
  if (!isNumeric(v)) messages.push(validationMessages.numeric);
  if (!/^\d$/.test(String(v).trim())) messages.push(validationMessages.digits(1));
  return messages;
});
/** `numeric|digits_between:1,3` */
const durationMeasure = rule<Numeric>((v) => {
  const messages: string[] = [];
  if (!isNumeric(v)) messages.push(validationMessages.numeric);
  if (!/^\d{1,3}$/.test(String(v).trim())) messages.push(validationMessages.digitsBetween(1, 3));
  return messages;
});
/** `string|size:96`: a CUFE/CUDE. */
const documentKey = rule<string>((v) => {
  if (typeof v !== 'string') return [validationMessages.string, validationMessages.sizeString(96)];
  return [...v].length === 96 ? [] : [validationMessages.sizeString(96)];
});

/** A field with `required` first in its rule list. */
function required<T>(r: Rule<T>): ZodType<T> {
  return z.custom<T>(() => true).superRefine((value, ctx) => {
    if (isBlank(value)) return fail(ctx, validationMessages.required);
    for (const message of r.check(value)) fail(ctx, message);
  });
}

/** A `nullable` field (missing, null and '' pass); a parent may still require it conditionally. */
function nullable<T>(r: Rule<T>) {
  return z
    .custom<T | null>(() => true)
    .superRefine((value, ctx) => {
      if (isBlank(value)) return;
      for (const message of r.check(value)) fail(ctx, message);
    })
    .optional();
}

/** A field with no rule at all that APIDIAN still reads (resolution_number, prefix). */
function unchecked<T>() {
  return z.custom<T | null>(() => true).optional();
}

/**
 * An object field (`array` in Laravel). A required object that is missing still has its required
 * children reported, as Laravel does for `customer.name` when `customer` is absent.
 */
function objectChecker<S extends z.ZodType<Record<string, unknown>>>(schema: S, isRequired: boolean) {
  return z.custom<z.output<S>>(() => true).superRefine((value, ctx) => {
    if (isBlank(value)) {
      if (!isRequired) return;
      fail(ctx, validationMessages.required);
      forwardIssues(schema, {}, ctx);
      return;
    }
    if (!isPlainObject(value)) return fail(ctx, validationMessages.array);
    forwardIssues(schema, value, ctx);
  });
}

function requiredObject<S extends z.ZodType<Record<string, unknown>>>(schema: S): ZodType<z.output<S>> {
  return objectChecker(schema, true);
}

function nullableObject<S extends z.ZodType<Record<string, unknown>>>(schema: S) {
  return (objectChecker(schema, false) as ZodType<z.output<S> | null>).optional();
}

/** A list field (`x` plus `x.*.…` rules). Items that are not objects fail their children's rules. */
function listChecker<S extends z.ZodType<Record<string, unknown>>>(item: S, isRequired: boolean) {
  return z.custom<z.output<S>[]>(() => true).superRefine((value, ctx) => {
    if (isBlank(value)) {
      if (isRequired) fail(ctx, validationMessages.required);
      return;
    }
    if (!Array.isArray(value)) return fail(ctx, validationMessages.array);
    value.forEach((entry, index) => forwardIssues(item, isPlainObject(entry) ? entry : {}, ctx, [index]));
  });
}

function requiredList<S extends z.ZodType<Record<string, unknown>>>(item: S): ZodType<z.output<S>[]> {
  return listChecker(item, true);
}

function nullableList<S extends z.ZodType<Record<string, unknown>>>(item: S) {
  return (listChecker(item, false) as ZodType<z.output<S>[] | null>).optional();
}

function forwardIssues(schema: z.ZodType, value: unknown, ctx: Ctx, prefix: (string | number)[] = []): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  for (const issue of result.error.issues) {
    ctx.addIssue({
      code: 'custom',
      message: issue.message,
      path: [...prefix, ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))],
      params: { source: LARAVEL_ISSUE },
    });
  }
}

/** Conditional `required` decided by the parent (required_if, required_with, Rule::requiredIf). */
function requireWhen(ctx: Ctx, holder: Record<string, unknown>, key: string, when: boolean, message: string, path: (string | number)[] = []): void {
  if (when && isBlank(holder[key])) fail(ctx, message, [...path, key]);
}

function get(value: unknown, key: string): unknown {
  return isPlainObject(value) ? value[key] : undefined;
}

// ─── Building blocks ───────────────────────────────────────────────────────────────────────────

type DocumentFlavour = 'invoice' | 'credit_note' | 'debit_note' | 'export_invoice';

/** Taxes whose `percent` may be omitted: bag tax (10) everywhere, IC (2) only in InvoiceRequest. */
function percentOptionalFor(flavour: DocumentFlavour): string[] {
  return flavour === 'invoice' ? ['10', '2'] : ['10'];
}

const taxTotalShape = {
  tax_id: nullable(inTable(TAXES)),
  tax_name: nullable(text),
  percent: nullable(numeric),
  tax_amount: nullable(numeric),
  taxable_amount: nullable(numeric),
  unit_measure_id: nullable(exists()),
  per_unit_amount: nullable(numeric),
  base_unit_measure: nullable(numeric),
};

/** One `tax_totals[]` entry; which of its fields are required depends on where it sits. */
function taxTotal(flavour: DocumentFlavour, inLine: boolean, listPath: string) {
  const exempt = percentOptionalFor(flavour);
  return z.looseObject(taxTotalShape).superRefine((tax, ctx) => {
    if (inLine) {
      // `x.*.tax_totals.*.tax_id` is required_with its own list, which is present by construction.
      const withList = validationMessages.requiredWith(listPath);
      requireWhen(ctx, tax, 'tax_id', true, withList);
      requireWhen(ctx, tax, 'tax_amount', true, withList);
      requireWhen(ctx, tax, 'taxable_amount', true, withList);
    }
    const taxId = tax.tax_id;
    const taxIdPath = `${listPath}.*.tax_id`;
    if (flavour !== 'export_invoice') {
      requireWhen(ctx, tax, 'tax_name', looselyEquals(taxId, '15'), validationMessages.requiredIf(taxIdPath, '15'));
    }
    requireWhen(
      ctx,
      tax,
      'percent',
      !exempt.some((id) => looselyEquals(taxId, id)),
      validationMessages.requiredUnless(taxIdPath, exempt.join(', ')),
    );
    for (const key of ['unit_measure_id', 'per_unit_amount', 'base_unit_measure']) {
      requireWhen(ctx, tax, key, looselyEquals(taxId, '10'), validationMessages.requiredIf(taxIdPath, '10'));
    }
  });
}

export type WireTaxTotal = {
  tax_id?: TableId | null;
  tax_name?: string | null;
  percent?: Numeric | null;
  tax_amount?: Numeric | null;
  taxable_amount?: Numeric | null;
  unit_measure_id?: TableId | null;
  per_unit_amount?: Numeric | null;
  base_unit_measure?: Numeric | null;
  [key: string]: unknown;
};

const lineAllowanceChargeShape = {
  charge_indicator: nullable(boolean),
  allowance_charge_reason: nullable(text),
  amount: nullable(numeric),
  base_amount: nullable(numeric),
  multiplier_factor_numeric: nullable(numeric),
};

function lineAllowanceCharge(listPath: string) {
  return z.looseObject(lineAllowanceChargeShape).superRefine((charge, ctx) => {
    const withList = validationMessages.requiredWith(listPath);
    requireWhen(ctx, charge, 'charge_indicator', true, withList);
    requireWhen(ctx, charge, 'allowance_charge_reason', true, withList);
    requireWhen(ctx, charge, 'amount', true, withList);
    const indicatorPath = `${listPath}.*.charge_indicator`;
    requireWhen(ctx, charge, 'base_amount', charge.charge_indicator === false, validationMessages.requiredIf(indicatorPath, 'false'));
    requireWhen(
      ctx,
      charge,
      'multiplier_factor_numeric',
      charge.charge_indicator === true,
      validationMessages.requiredIf(indicatorPath, 'true'),
    );
  });
}

export type WireLineAllowanceCharge = z.output<ReturnType<typeof lineAllowanceCharge>>;

function line(flavour: DocumentFlavour, linesKey: string) {
  const shape = {
    unit_measure_id: required(exists()),
    invoiced_quantity: required(numeric),
    line_extension_amount: required(numeric),
    free_of_charge_indicator: required(boolean),
    reference_price_id: nullable(inTable(REFERENCE_PRICES)),
    allowance_charges: nullableList(lineAllowanceCharge(`${linesKey}.*.allowance_charges`)),
    tax_totals: nullableList(taxTotal(flavour, true, `${linesKey}.*.tax_totals`)),
    description: required(text),
    notes: nullable(text),
    code: required(text),
    type_item_identification_id: required(inTable(TYPE_ITEM_IDENTIFICATIONS)),
    price_amount: required(numeric),
    base_quantity: required(numeric),
    purchase_order_number: nullable(string(50)),
    brandname: nullable(text),
    modelname: nullable(text),
    is_RNDC: nullable(boolean),
  };
  return z.looseObject(shape).superRefine((entry, ctx) => {
    requireWhen(
      ctx,
      entry,
      'reference_price_id',
      entry.free_of_charge_indicator === true,
      validationMessages.requiredIf(`${linesKey}.*.free_of_charge_indicator`, 'true'),
    );
    if ((flavour === 'credit_note' || flavour === 'debit_note') && entry.is_RNDC === true) {
      const message = validationMessages.requiredIf(`${linesKey}.*.is_RNDC`, 'true');
      for (const key of [
        'RNDC_consignment_number',
        'internal_consignment_number',
        'value_consignment',
        'unit_measure_consignment_id',
        'quantity_consignment',
      ]) {
        requireWhen(ctx, entry, key, true, message);
      }
    }
  });
}

export type WireLine = z.output<ReturnType<typeof line>>;

const customerBase = {
  identification_number: required(identificationNumber),
  dv: nullable(checkDigit),
  type_document_identification_id: nullable(inTable(TYPE_DOCUMENT_IDENTIFICATIONS)),
  type_organization_id: nullable(inTable(TYPE_ORGANIZATIONS)),
  language_id: nullable(exists()),
  country_id: nullable(exists()),
  municipality_id: nullable(exists()),
  municipality_id_fact: unchecked<string | number>(),
  municipality_name: nullable(text),
  state_name: nullable(text),
  type_regime_id: nullable(inTable(TYPE_REGIMES)),
  tax_id: nullable(inTable(TAXES)),
  type_liability_id: nullable(exists()),
  name: required(text),
};

function customerRules(flavour: DocumentFlavour) {
  return (buyer: Record<string, unknown>, ctx: Ctx): void => {
    // InvoiceRequest alone makes dv required for a NIT buyer (Rule::requiredIf on id type 6).
    if (flavour === 'invoice') {
      requireWhen(ctx, buyer, 'dv', looselyEquals(buyer.type_document_identification_id, '6'), validationMessages.required);
    }
    // DebitNoteRequest requires an e-mail unless the buyer is the anonymous final consumer.
    if (flavour === 'debit_note') {
      requireWhen(
        ctx,
        buyer,
        'email',
        !looselyEquals(buyer.identification_number, FINAL_CONSUMER_ID),
        validationMessages.requiredUnless('customer.identification_number', FINAL_CONSUMER_ID),
      );
    }
    // dian_dv: only a numeric identification number has a check digit to compare with.
    const id = String(buyer.identification_number ?? '').trim();
    if (!isBlank(buyer.dv) && /^\d{1,15}$/.test(id) && /^\d$/.test(String(buyer.dv).trim())) {
      if (Number(String(buyer.dv).trim()) !== nitCheckDigit(id)) fail(ctx, validationMessages.dianDv, ['dv']);
    }
  };
}

function customer(flavour: Exclude<DocumentFlavour, 'export_invoice'>) {
  return z
    .looseObject({
      ...customerBase,
      phone: nullable(string(20)),
      address: nullable(text),
      email: nullable(email),
      merchant_registration: nullable(text),
    })
    .superRefine(customerRules(flavour));
}

/** InvoiceExportRequest: phone, address, e-mail and merchant registration are required. */
function exportCustomer() {
  return z
    .looseObject({
      ...customerBase,
      phone: required(string(20)),
      address: required(text),
      email: required(email),
      merchant_registration: required(text),
    })
    .superRefine(customerRules('export_invoice'));
}

export type WireCustomer = z.output<ReturnType<typeof customer>>;

const paymentFormShape = {
  payment_form_id: nullable(inTable(PAYMENT_FORMS)),
  payment_method_id: nullable(inRange(PAYMENT_METHOD_ID_RANGE)),
  payment_due_date: nullable(ymd),
  duration_measure: nullable(durationMeasure),
};

function paymentFormEntry(pathOfEntry: string) {
  return z.looseObject(paymentFormShape).superRefine((form, ctx) => {
    const credit = looselyEquals(form.payment_form_id, '2');
    const message = validationMessages.requiredIf(`${pathOfEntry}.payment_form_id`, '2');
    requireWhen(ctx, form, 'payment_due_date', credit, message);
    requireWhen(ctx, form, 'duration_measure', credit, message);
  });
}

export type WirePaymentForm = z.output<ReturnType<typeof paymentFormEntry>>;

/**
 * InvoiceController accepts `payment_form` as one object or as a list (several means of payment);
 * the notes and the export invoice take one object. Laravel's wildcard rules only reach the list form
 * of InvoiceRequest; here both forms get the same rules, so a credit sale without a due date is caught.
 */
function paymentForm(acceptList: boolean) {
  const single = nullableObject(paymentFormEntry('payment_form'));
  const many = nullableList(paymentFormEntry('payment_form.*'));
  if (!acceptList) return single;
  return z
    .custom<WirePaymentForm | WirePaymentForm[] | null>(() => true)
    .superRefine((value, ctx) => {
      forwardIssues(Array.isArray(value) ? many : single, value, ctx);
    })
    .optional();
}

function documentAllowanceCharge(flavour: DocumentFlavour) {
  return z
    .looseObject({
      charge_indicator: nullable(boolean),
      discount_id: nullable(inRange(DISCOUNT_ID_RANGE)),
      type_discount_id: nullable(exists()),
      allowance_charge_reason: nullable(text),
      amount: nullable(numeric),
      base_amount: nullable(numeric),
    })
    .superRefine((charge, ctx) => {
      const withList = validationMessages.requiredWith('allowance_charges');
      for (const key of ['charge_indicator', 'allowance_charge_reason', 'amount', 'base_amount']) {
        requireWhen(ctx, charge, key, true, withList);
      }
      if (flavour === 'invoice') {
        // InvoiceRequest: a reason code is needed for charges too, either discount_id or type_discount_id.
        requireWhen(ctx, charge, 'discount_id', isBlank(charge.type_discount_id), validationMessages.requiredWithout('allowance_charges.*.type_discount_id'));
        requireWhen(ctx, charge, 'type_discount_id', isBlank(charge.discount_id), validationMessages.requiredWithout('allowance_charges.*.discount_id'));
      } else {
        requireWhen(
          ctx,
          charge,
          'discount_id',
          charge.charge_indicator === false,
          validationMessages.requiredIf('allowance_charges.*.charge_indicator', 'false'),
        );
      }
    });
}

export type WireAllowanceCharge = z.output<ReturnType<typeof documentAllowanceCharge>>;

const withholdingTax = z.looseObject({
  tax_id: nullable(inTable(TAXES)),
  tax_name: nullable(text),
  percent: nullable(numeric),
  tax_amount: nullable(numeric),
  taxable_amount: nullable(numeric),
  unit_measure_id: nullable(exists()),
  per_unit_amount: nullable(numeric),
  base_unit_measure: nullable(numeric),
});

const prepaidPaymentShape = {
  idpayment: nullable(text),
  prepaid_payment_type_id: nullable(exists()),
  paidamount: nullable(numeric),
  receiveddate: nullable(ymd),
  paiddate: nullable(ymd),
  instructionid: nullable(text),
};

function monetaryTotals(withPrepaid: boolean) {
  return z.looseObject({
    line_extension_amount: required(numeric),
    tax_exclusive_amount: required(numeric),
    tax_inclusive_amount: required(numeric),
    allowance_total_amount: nullable(numeric),
    charge_total_amount: nullable(numeric),
    ...(withPrepaid ? { pre_paid_amount: nullable(numeric) } : {}),
    payable_amount: required(numeric),
  });
}

export type WireMonetaryTotals = {
  line_extension_amount: Numeric;
  tax_exclusive_amount: Numeric;
  tax_inclusive_amount: Numeric;
  allowance_total_amount?: Numeric | null;
  charge_total_amount?: Numeric | null;
  pre_paid_amount?: Numeric | null;
  payable_amount: Numeric;
  [key: string]: unknown;
};

/** `type_document_id` is also required for adjustment notes (26/25); the root checks that, it knows the type. */
const billingReference = z.looseObject({
  number: required(text),
  uuid: required(documentKey),
  issue_date: required(ymd),
  type_document_id: nullable(oneOf([15, 16, 17, 18, 19, 20, 21, 22, 23, 24])),
});

const invoicePeriod = z
  .looseObject({ start_date: nullable(ymd), end_date: nullable(ymd) })
  .superRefine((period, ctx) => {
    requireWhen(ctx, period, 'start_date', true, validationMessages.requiredWith('invoice_period'));
    requireWhen(ctx, period, 'end_date', true, validationMessages.requiredWith('invoice_period'));
  });

const deliveryTerms = z.looseObject({
  special_terms: required(text),
  loss_risk_responsibility_code: required(
    rule<(typeof INCOTERMS)[number]>((v) => {
      if (typeof v !== 'string') return [validationMessages.string, validationMessages.in];
      return (INCOTERMS as readonly string[]).includes(v.trim()) ? [] : [validationMessages.in];
    }),
  ),
  loss_risk: required(text),
});

const emailCc = z.looseObject({ email: nullable(email) }).superRefine((entry, ctx) => {
  requireWhen(ctx, entry, 'email', true, validationMessages.requiredWith('email_cc_list'));
});

/** Optional fields every document shares (mail, PDF template, establishment, notes). */
const commonOptional = {
  sendmail: nullable(boolean),
  sendmailtome: nullable(boolean),
  send_customer_credentials: nullable(boolean),
  email_cc_list: nullableList(emailCc),
  GuardarEn: nullable(text),
  head_note: nullable(text),
  foot_note: nullable(text),
  disable_confirmation_text: nullable(boolean),
  atacheddocument_name_prefix: nullable(text),
  establishment_name: nullable(text),
  establishment_address: nullable(text),
  establishment_email: nullable(email),
  establishment_municipality: nullable(exists()),
  notes: nullable(text),
  date: nullable(ymd),
  time: nullable(his),
  order_reference: nullableObject(z.looseObject({ id_order: nullable(text), issue_date_order: nullable(ymd) })),
  additional_document_reference: nullableObject(
    z.looseObject({ id: nullable(text), date: nullable(ymd), type_document_id: nullable(exists((id) => TYPE_DOCUMENT_IDS.has(id))) }),
  ),
  resolution_number: unchecked<string | number>(),
  prefix: unchecked<string>(),
  number: required(integer),
  with_holding_tax_total: nullableList(withholdingTax),
};

const typeDocument = (...ids: number[]) =>
  required(
    rule<number | string>((v) => {
      const messages: string[] = [];
      if (!ids.some((id) => looselyEquals(v, String(id)))) messages.push(validationMessages.in);
      if (!(isInteger(v) && TYPE_DOCUMENT_IDS.has(Number(v)))) messages.push(validationMessages.exists);
      return messages;
    }),
  );

const typeOperationExists = rule<number | string>((v) => {
  const messages: string[] = [];
  if (!isNumeric(v)) messages.push(validationMessages.numeric);
  if (!(isInteger(v) && Object.hasOwn(TYPE_OPERATIONS, Number(v)))) messages.push(validationMessages.exists);
  return messages;
});

/** Cross-field rules at the document root (they read sibling fields). */
function rootRules(flavour: DocumentFlavour) {
  return (doc: Record<string, unknown>, ctx: Ctx): void => {
    const taxTotals = doc.tax_totals;
    if (!isBlank(doc.allowance_charges) && Array.isArray(taxTotals)) {
      // `tax_totals.*.tax_id|tax_amount|taxable_amount` are required_with:allowance_charges (sic).
      taxTotals.forEach((tax, index) => {
        if (!isPlainObject(tax)) return;
        for (const key of ['tax_id', 'tax_amount', 'taxable_amount']) {
          requireWhen(ctx, tax, key, true, validationMessages.requiredWith('allowance_charges'), ['tax_totals', index]);
        }
      });
    }
    const issueDate = typeof doc.date === 'string' && isValidDate(doc.date.trim()) ? doc.date.trim() : undefined;
    const forms = Array.isArray(doc.payment_form) ? doc.payment_form : [doc.payment_form];
    forms.forEach((form, index) => {
      const due = get(form, 'payment_due_date');
      if (issueDate && typeof due === 'string' && isValidDate(due.trim()) && due.trim() < issueDate) {
        const path = Array.isArray(doc.payment_form) ? ['payment_form', index, 'payment_due_date'] : ['payment_form', 'payment_due_date'];
        fail(ctx, validationMessages.afterOrEqual('date'), path);
      }
    });
    if (flavour === 'invoice' && isPlainObject(doc.prepaid_payment) && !isBlank(doc.prepaid_payment)) {
      const totals = doc.legal_monetary_totals;
      if (isPlainObject(totals)) {
        requireWhen(ctx, totals, 'pre_paid_amount', true, validationMessages.requiredWith('prepaid_payment'), ['legal_monetary_totals']);
      }
    }
    if (flavour === 'credit_note' || flavour === 'debit_note') {
      const adjustmentType = flavour === 'credit_note' ? '26' : '25';
      const reference = doc.billing_reference;
      if (isPlainObject(reference) && looselyEquals(doc.type_document_id, adjustmentType)) {
        requireWhen(ctx, reference, 'type_document_id', true, validationMessages.requiredIf('type_document_id', adjustmentType), ['billing_reference']);
      }
      const withoutReference = flavour === 'credit_note' ? '8' : '5';
      requireWhen(
        ctx,
        doc,
        'invoice_period',
        looselyEquals(doc.type_operation_id, withoutReference),
        validationMessages.requiredIf('type_operation_id', withoutReference),
      );
      if (!isBlank(doc.idcurrency)) {
        requireWhen(ctx, doc, 'calculationrate', true, validationMessages.requiredWith('idcurrency'));
        requireWhen(ctx, doc, 'calculationratedate', true, validationMessages.requiredWith('idcurrency'));
      }
    }
  };
}

/** The document must be a JSON object; anything else is validated as an empty one, as PHP would. */
function documentSchema<S extends z.ZodType<Record<string, unknown>>>(schema: S): ZodType<z.output<S>> {
  return z.custom<z.output<S>>(() => true).superRefine((value, ctx) => {
    forwardIssues(schema, isPlainObject(value) ? value : {}, ctx);
  });
}

// ─── The four documents ────────────────────────────────────────────────────────────────────────

const invoiceShape = {
  ...commonOptional,
  type_document_id: typeDocument(1),
  elaborated: nullable(text),
  reviewed: nullable(text),
  query_uuid: nullable(boolean),
  type_operation_id: nullable(typeOperationExists),
  customer: requiredObject(customer('invoice')),
  payment_form: paymentForm(true),
  allowance_charges: nullableList(documentAllowanceCharge('invoice')),
  tax_totals: nullableList(taxTotal('invoice', false, 'tax_totals')),
  prepaid_payment: nullableObject(z.looseObject(prepaidPaymentShape)),
  prepaid_payments: nullableList(z.looseObject(prepaidPaymentShape)),
  previous_balance: nullable(numeric),
  legal_monetary_totals: requiredObject(monetaryTotals(true)),
  invoice_lines: requiredList(line('invoice', 'invoice_lines')),
};

const InvoiceObject = z.looseObject(invoiceShape).superRefine(rootRules('invoice'));

function noteShape(flavour: 'credit_note' | 'debit_note') {
  const credit = flavour === 'credit_note';
  return {
    ...commonOptional,
    type_document_id: credit ? typeDocument(4, 26) : typeDocument(5, 25),
    is_eqdoc: nullable(boolean),
    type_operation_id: nullable(credit ? oneOf([7, 8, 12, 30, 31, 32]) : oneOf([4, 5, 6, 30, 31, 32])),
    discrepancyresponsecode: nullable(credit ? integerBetween(1, 6) : integerBetween(1, 4)),
    discrepancyresponsedescription: nullable(text),
    billing_reference: nullableObject(billingReference),
    idcurrency: nullable(exists()),
    calculationrate: nullable(numeric),
    calculationratedate: nullable(ymd),
    invoice_period: nullableObject(invoicePeriod),
    customer: requiredObject(customer(flavour)),
    payment_form: paymentForm(false),
    allowance_charges: nullableList(documentAllowanceCharge(flavour)),
    tax_totals: nullableList(taxTotal(flavour, false, 'tax_totals')),
  };
}

const CreditNoteObject = z
  .looseObject({
    ...noteShape('credit_note'),
    legal_monetary_totals: requiredObject(monetaryTotals(false)),
    credit_note_lines: requiredList(line('credit_note', 'credit_note_lines')),
  })
  .superRefine(rootRules('credit_note'));

const DebitNoteObject = z
  .looseObject({
    ...noteShape('debit_note'),
    requested_monetary_totals: requiredObject(monetaryTotals(false)),
    debit_note_lines: requiredList(line('debit_note', 'debit_note_lines')),
  })
  .superRefine(rootRules('debit_note'));

const InvoiceExportObject = z
  .looseObject({
    ...commonOptional,
    type_document_id: typeDocument(2),
    type_operation_id: nullable(typeOperationExists),
    customer: requiredObject(exportCustomer()),
    deliveryterms: requiredObject(deliveryTerms),
    payment_form: paymentForm(false),
    allowance_charges: nullableList(documentAllowanceCharge('export_invoice')),
    tax_totals: nullableList(taxTotal('export_invoice', false, 'tax_totals')),
    prepaid_payment: nullableObject(z.looseObject(prepaidPaymentShape)),
    prepaid_payments: nullableList(z.looseObject(prepaidPaymentShape)),
    // The export FormRequest comments these rules out, but the controller reads them.
    idcurrency: unchecked<number | string>(),
    calculationrate: unchecked<Numeric>(),
    calculationratedate: unchecked<string>(),
    legal_monetary_totals: requiredObject(monetaryTotals(false)),
    invoice_lines: requiredList(line('export_invoice', 'invoice_lines')),
  })
  .superRefine(rootRules('export_invoice'));

export type InvoiceRequest = z.output<typeof InvoiceObject>;
export type CreditNoteRequest = z.output<typeof CreditNoteObject>;
export type DebitNoteRequest = z.output<typeof DebitNoteObject>;
export type InvoiceExportRequest = z.output<typeof InvoiceExportObject>;

export const InvoiceRequest: ZodType<InvoiceRequest> = documentSchema(InvoiceObject);
export const CreditNoteRequest: ZodType<CreditNoteRequest> = documentSchema(CreditNoteObject);
export const DebitNoteRequest: ZodType<DebitNoteRequest> = documentSchema(DebitNoteObject);
export const InvoiceExportRequest: ZodType<InvoiceExportRequest> = documentSchema(InvoiceExportObject);

export type ApidianDocumentKind = 'invoice' | 'credit_note' | 'debit_note' | 'export_invoice';

export interface ApidianWireDocuments {
  invoice: InvoiceRequest;
  credit_note: CreditNoteRequest;
  debit_note: DebitNoteRequest;
  export_invoice: InvoiceExportRequest;
}

export type ApidianWireDocument = ApidianWireDocuments[ApidianDocumentKind];

export const apidianWireSchemas: { readonly [K in ApidianDocumentKind]: ZodType<ApidianWireDocuments[K]> } = {
  invoice: InvoiceRequest,
  credit_note: CreditNoteRequest,
  debit_note: DebitNoteRequest,
  export_invoice: InvoiceExportRequest,
};

/** The route segment of each kind (`POST /api/ubl2.1/{segment}`, `add-to-batch/{segment}/{batch}`). */
export const APIDIAN_ROUTE_SEGMENT: { readonly [K in ApidianDocumentKind]: string } = {
  invoice: 'invoice',
  credit_note: 'credit-note',
  debit_note: 'debit-note',
  export_invoice: 'invoice-export',
};

/** Where a kind keeps its lines and its totals. */
export function linesOf(kind: ApidianDocumentKind, wire: ApidianWireDocument): WireLine[] {
  const key = kind === 'credit_note' ? 'credit_note_lines' : kind === 'debit_note' ? 'debit_note_lines' : 'invoice_lines';
  const lines = (wire as Record<string, unknown>)[key];
  return Array.isArray(lines) ? (lines as WireLine[]) : [];
}

export function monetaryTotalsOf(kind: ApidianDocumentKind, wire: ApidianWireDocument): WireMonetaryTotals {
  const key = kind === 'debit_note' ? 'requested_monetary_totals' : 'legal_monetary_totals';
  return (wire as Record<string, unknown>)[key] as WireMonetaryTotals;
}
