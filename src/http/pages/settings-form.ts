/**
 * The settings form as data: for each invoicing API, the fields a store owner fills in (with labels
 * and help in plain words), where each lands in the target's account block, and the reverse — which
 * form field a validation problem belongs to. The account block itself is validated by the target's
 * own schema (connectors/<target>/config.ts), so the page and a configuration file accept the same.
 */
import { z } from 'zod';
import { ApidianTargetConfig } from '../../../connectors/apidian/config.js';
import { FacturapiTargetConfig } from '../../../connectors/facturapi/config.js';
import { TuimprentaTargetConfig } from '../../../connectors/tuimprenta/config.js';
import { UnidigitalTargetConfig } from '../../../connectors/unidigital/config.js';
import { isValidTimeZone } from '../../time.js';
import { SECRET_FIELDS, TARGET_TYPES, type InstallTargetType, type InstallationSettings } from './installations.js';

export interface FieldSpec {
  /** Form field name: `<target>.<name>`. */
  name: string;
  label: string;
  help?: string;
  /** Where the value goes in the account block. */
  path: string[];
  kind: 'text' | 'secret' | 'integer' | 'select';
  options?: { value: string; label: string }[];
  placeholder?: string;
  optional?: boolean;
  /** Where the value goes: the target's account block (default), or the connection's targetSettings (read by the stage-2 mapping). */
  into?: 'account' | 'targetSettings';
}

const f = (target: string, name: string, label: string, path: string[], more: Partial<FieldSpec> = {}): FieldSpec => ({
  name: `${target}.${name}`,
  label,
  path,
  kind: 'text',
  ...more,
});

export const TARGET_LABELS: Record<InstallTargetType, string> = {
  apidian: 'APIDIAN (Colombia, DIAN)',
  unidigital: 'Unidigital (Venezuela, SENIAT)',
  tuimprenta: 'tuimprenta.digital (Venezuela, SENIAT)',
  facturapi: 'FacturApi / SIFEN (Paraguay, SET)',
};

export const TARGET_FIELDS: Record<InstallTargetType, FieldSpec[]> = {
  apidian: [
    f('apidian', 'baseUrl', 'APIDIAN address', ['baseUrl'], { placeholder: 'https://apidian.example.com/api', help: 'The address of your APIDIAN, up to /api (without /ubl2.1).' }),
    f('apidian', 'token', 'API token', ['token'], { kind: 'secret', help: 'The api_token APIDIAN gave when your company was registered.' }),
    f('apidian', 'supplierNit', 'Your NIT', ['supplierNit'], { placeholder: '900123456', help: 'Digits only, without the check digit.' }),
    f('apidian', 'softwarePin', 'Software PIN', ['softwarePin'], { kind: 'secret', optional: true, help: 'The 5-digit PIN of the software registered at DIAN (for credit and debit notes).' }),
    f('apidian', 'environment', 'DIAN environment', ['environment'], {
      kind: 'select',
      options: [
        { value: '2', label: 'Habilitación (tests)' },
        { value: '1', label: 'Producción' },
      ],
    }),
    f('apidian', 'invoicePrefix', 'Invoice resolution prefix', ['resolutions', 'invoice', 'prefix'], { placeholder: 'SETP' }),
    f('apidian', 'invoiceResolutionNumber', 'Invoice resolution number', ['resolutions', 'invoice', 'resolutionNumber'], { optional: true, placeholder: '18760000001' }),
    f('apidian', 'invoiceTechnicalKey', 'Technical key (clave técnica)', ['resolutions', 'invoice', 'technicalKey']),
    f('apidian', 'invoiceFrom', 'Invoice numbers from', ['resolutions', 'invoice', 'from'], { kind: 'integer' }),
    f('apidian', 'invoiceTo', 'Invoice numbers to', ['resolutions', 'invoice', 'to'], { kind: 'integer' }),
    f('apidian', 'creditPrefix', 'Credit note prefix', ['resolutions', 'credit_note', 'prefix'], { placeholder: 'NC' }),
    f('apidian', 'creditFrom', 'Credit notes from', ['resolutions', 'credit_note', 'from'], { kind: 'integer' }),
    f('apidian', 'creditTo', 'Credit notes to', ['resolutions', 'credit_note', 'to'], { kind: 'integer' }),
    f('apidian', 'debitPrefix', 'Debit note prefix', ['resolutions', 'debit_note', 'prefix'], { placeholder: 'ND' }),
    f('apidian', 'debitFrom', 'Debit notes from', ['resolutions', 'debit_note', 'from'], { kind: 'integer' }),
    f('apidian', 'debitTo', 'Debit notes to', ['resolutions', 'debit_note', 'to'], { kind: 'integer' }),
  ],
  unidigital: [
    f('unidigital', 'baseUrl', 'Unidigital address', ['baseUrl'], { placeholder: 'https://qa.unidigital.global/digitalinvoice-core' }),
    f('unidigital', 'userName', 'User name', ['userName']),
    f('unidigital', 'password', 'Password', ['password'], { kind: 'secret' }),
    f('unidigital', 'seriesStrongId', 'Series id (strongId)', ['series', 'strongId'], { placeholder: '6b0f2a9e-3c1d-4e8b-9f27-5a4d3c2b1e0f', help: 'The GUID of the series your documents are numbered in.' }),
  ],
  tuimprenta: [
    f('tuimprenta', 'baseUrl', 'tuimprenta address', ['baseUrl'], { placeholder: 'https://api.tuimprenta.digital' }),
    f('tuimprenta', 'apiKey', 'API key', ['apiKey'], { kind: 'secret' }),
    f('tuimprenta', 'webhookSecret', 'Webhook secret', ['webhookSecret'], { kind: 'secret', optional: true }),
    f('tuimprenta', 'series', 'Series', ['series'], { optional: true, placeholder: 'A', into: 'targetSettings', help: 'The series your documents are issued in (A when left empty).' }),
  ],
  facturapi: [
    f('facturapi', 'baseUrl', 'FacturApi address', ['baseUrl'], { placeholder: 'https://api.facturapi.example' }),
    f('facturapi', 'tenantId', 'Tenant', ['tenantId'], { placeholder: 'mi-empresa' }),
    f('facturapi', 'apiKey', 'API key', ['apiKey'], { kind: 'secret' }),
    f('facturapi', 'ruc', 'Your RUC', ['ruc'], { placeholder: '80069563-1', help: 'With its check digit.' }),
    f('facturapi', 'tipoContribuyente', 'Taxpayer type', ['tipoContribuyente'], {
      kind: 'select',
      options: [
        { value: '2', label: 'Persona jurídica' },
        { value: '1', label: 'Persona física' },
      ],
    }),
    f('facturapi', 'establecimiento', 'Establecimiento', ['establecimiento'], { placeholder: '001' }),
    f('facturapi', 'punto', 'Punto de expedición', ['punto'], { placeholder: '001' }),
  ],
};

const SCHEMAS: Record<InstallTargetType, z.ZodType> = {
  apidian: ApidianTargetConfig,
  unidigital: UnidigitalTargetConfig,
  tuimprenta: TuimprentaTargetConfig,
  facturapi: FacturapiTargetConfig,
};

/** Numbers the targets' schemas want as numbers (selects post strings). */
const NUMERIC_SELECTS = new Set(['apidian.environment', 'facturapi.tipoContribuyente']);

export type FormValues = Record<string, string>;
export type FieldErrors = Record<string, string>;

export interface ParsedSettings {
  targetType: InstallTargetType;
  /** The account block as the target's schema parsed it (defaults applied). */
  account: Record<string, unknown>;
  /** The block as entered, with `type` — what is saved. */
  block: Record<string, unknown>;
  rest: Omit<InstallationSettings, 'account' | 'sealedSecrets'>;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function getPath(source: Record<string, unknown>, path: string[]): unknown {
  let node: unknown = source;
  for (const key of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

/** The form field a schema issue path belongs to (the longest field path it starts with). */
function fieldFor(type: InstallTargetType, issuePath: readonly PropertyKey[]): string | undefined {
  const path = issuePath.map(String);
  let best: FieldSpec | undefined;
  for (const field of TARGET_FIELDS[type]) {
    if (field.into === 'targetSettings') continue;
    const matches = field.path.every((key, i) => path[i] === key) || path.every((key, i) => field.path[i] === key);
    if (matches && (!best || field.path.length > best.path.length)) best = field;
  }
  return best?.name;
}

const Common = z.object({
  trigger: z.enum(['paid', 'created', 'fulfilled'], { error: 'choose when an order is invoiced' }),
  triggerDelayMinutes: z.coerce
    .number({ error: 'write a number of minutes (0 to invoice at once)' })
    .int({ error: 'write a whole number of minutes' })
    .min(0, { error: 'cannot be negative' })
    .max(7 * 24 * 60, { error: 'at most 10080 minutes (7 days)' }),
  country: z.enum(['CO', 'VE', 'PY'], { error: 'choose the country your invoices are issued in' }),
  timezone: z.string().refine(isValidTimeZone, { error: 'must be a timezone such as America/Bogota' }),
  noteAttribute: z.string().trim().max(100).default('NIT'),
});

/**
 * Reads the posted form into settings. Secret fields left empty keep `saved` values (the page never
 * shows secrets back). Errors name the form field they belong to.
 */
export function parseSettingsForm(
  form: FormValues,
  saved: { type: InstallTargetType; block: Record<string, unknown> } | undefined,
): { ok: true; settings: ParsedSettings } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const type = form.targetType as InstallTargetType;
  if (!TARGET_TYPES.includes(type)) return { ok: false, errors: { targetType: 'choose your invoicing service' } };

  const block: Record<string, unknown> = { type };
  const targetSettings: Record<string, unknown> = {};
  for (const field of TARGET_FIELDS[type]) {
    let value = (form[field.name] ?? '').trim();
    if (field.kind === 'secret' && value === '' && saved?.type === type) {
      const previous = getPath(saved.block, field.path);
      if (typeof previous === 'string') value = previous;
    }
    if (value === '') {
      if (!field.optional) errors[field.name] = `${field.label} is required`;
      continue;
    }
    const into = field.into === 'targetSettings' ? targetSettings : block;
    if (field.kind === 'integer' || NUMERIC_SELECTS.has(field.name)) {
      if (!/^\d+$/.test(value)) {
        errors[field.name] = `${field.label} must be a whole number`;
        continue;
      }
      setPath(into, field.path, Number(value));
    } else {
      setPath(into, field.path, value);
    }
  }

  const common = Common.safeParse(form);
  if (!common.success) {
    for (const issue of common.error.issues) errors[String(issue.path[0] ?? 'trigger')] ??= issue.message;
  }
  const sources = (['localized', 'noteAttribute', 'company'] as const).filter((source) => form[`taxId.${source}`] === 'on');
  if (sources.includes('noteAttribute') && !(form.noteAttribute ?? '').trim()) errors.noteAttribute = 'name the cart attribute that holds the tax id';
  if (Object.keys(errors).length) return { ok: false, errors };

  const parsed = SCHEMAS[type].safeParse(block);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldFor(type, issue.path) ?? 'targetType';
      errors[field] ??= issue.message;
    }
    return { ok: false, errors };
  }
  const c = common.data!;
  const account = parsed.data as Record<string, unknown>;
  // FacturApi's wire mapping reads the establecimiento and punto from targetSettings: the same as the account's.
  if (type === 'facturapi') Object.assign(targetSettings, { establecimiento: account.establecimiento, punto: account.punto });
  return {
    ok: true,
    settings: {
      targetType: type,
      account,
      block,
      rest: {
        targetType: type,
        trigger: c.trigger,
        triggerDelayMinutes: c.triggerDelayMinutes,
        issueFor: { testOrders: form['issueFor.testOrders'] === 'on', drafts: false, zeroTotal: form['issueFor.zeroTotal'] === 'on' },
        country: c.country,
        timezone: c.timezone,
        taxId: { validateCheckDigit: form['taxId.validateCheckDigit'] === 'on', sources, noteAttribute: c.noteAttribute || 'NIT' },
        targetSettings,
      },
    },
  };
}

/** Form values to show for saved settings: every non-secret field, secrets left empty. */
export function formValuesFor(settings: InstallationSettings | undefined): FormValues {
  if (!settings) {
    return { trigger: 'paid', triggerDelayMinutes: '0', country: 'CO', timezone: 'America/Bogota', noteAttribute: 'NIT', 'taxId.localized': 'on', 'taxId.noteAttribute': 'on', 'taxId.company': 'on', 'taxId.validateCheckDigit': 'on' };
  }
  const values: FormValues = {
    targetType: settings.targetType,
    trigger: settings.trigger,
    triggerDelayMinutes: String(settings.triggerDelayMinutes),
    country: settings.country,
    timezone: settings.timezone,
    noteAttribute: settings.taxId.noteAttribute,
  };
  for (const source of settings.taxId.sources) values[`taxId.${source}`] = 'on';
  if (settings.taxId.validateCheckDigit) values['taxId.validateCheckDigit'] = 'on';
  if (settings.issueFor.testOrders) values['issueFor.testOrders'] = 'on';
  if (settings.issueFor.zeroTotal) values['issueFor.zeroTotal'] = 'on';
  const secretNames = SECRET_FIELDS[settings.targetType];
  for (const field of TARGET_FIELDS[settings.targetType]) {
    if (field.kind === 'secret' || secretNames.includes(field.path[0]!)) continue;
    const value = getPath(field.into === 'targetSettings' ? (settings.targetSettings ?? {}) : settings.account, field.path);
    if (value !== undefined && value !== null) values[field.name] = String(value);
  }
  return values;
}

/** Whether a secret of this field is already saved (the page says "saved; leave empty to keep"). */
export function hasSavedSecret(saved: { type: InstallTargetType; block: Record<string, unknown> } | undefined, field: FieldSpec): boolean {
  return saved !== undefined && field.name.startsWith(`${saved.type}.`) && typeof getPath(saved.block, field.path) === 'string';
}
