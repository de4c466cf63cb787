/**
 * The live credential check against each invoicing API's local sandbox: good credentials pass, and a
 * wrong token / password / key / series / URL is reported on the form field it belongs to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetTypes, type RunningSandbox } from '../../../connectors/index.js';
import { APIDIAN_SANDBOX_TARGET_DEFAULTS } from '../../../connectors/apidian/sandbox/index.js';
import { FACTURAPI_SANDBOX_TARGET_DEFAULTS } from '../../../connectors/facturapi/sandbox/index.js';
import { TUIMPRENTA_SANDBOX_TARGET_DEFAULTS } from '../../../connectors/tuimprenta/sandbox/index.js';
import { UNIDIGITAL_SANDBOX_TARGET_DEFAULTS } from '../../../connectors/unidigital/sandbox/index.js';
import { checkCredentials } from '../../../connectors/credential-checks.js';
import { parseSettingsForm } from '../../../src/http/pages/settings-form.js';
import type { InstallTargetType } from '../../../src/http/pages/installations.js';
import { ApidianTargetConfig } from '../../../connectors/apidian/config.js';
import { FacturapiTargetConfig } from '../../../connectors/facturapi/config.js';
import { TuimprentaTargetConfig } from '../../../connectors/tuimprenta/config.js';
import { UnidigitalTargetConfig } from '../../../connectors/unidigital/config.js';

const sandboxes: Partial<Record<InstallTargetType, RunningSandbox>> = {};

beforeAll(async () => {
  for (const type of ['apidian', 'unidigital', 'tuimprenta', 'facturapi'] as const) sandboxes[type] = await targetTypes[type]!.startSandbox({ port: 0 });
});
afterAll(async () => {
  for (const sandbox of Object.values(sandboxes)) await sandbox.close();
});

const parse = {
  apidian: (block: object) => ApidianTargetConfig.parse(block) as Record<string, unknown>,
  unidigital: (block: object) => UnidigitalTargetConfig.parse(block) as Record<string, unknown>,
  tuimprenta: (block: object) => TuimprentaTargetConfig.parse(block) as Record<string, unknown>,
  facturapi: (block: object) => FacturapiTargetConfig.parse(block) as Record<string, unknown>,
};

describe('APIDIAN', () => {
  const good = () => ({ ...APIDIAN_SANDBOX_TARGET_DEFAULTS, baseUrl: sandboxes.apidian!.baseUrl });

  it('passes with the demo company', async () => {
    const result = await checkCredentials('apidian', parse.apidian(good()));
    expect(result).toEqual({ ok: true, detail: expect.stringContaining('SETP') });
  });

  it('puts a wrong token on the token field', async () => {
    const result = await checkCredentials('apidian', parse.apidian({ ...good(), token: 'f'.repeat(64) }));
    expect(result).toMatchObject({ ok: false, field: 'apidian.token' });
  });

  it('puts an unknown resolution prefix on the prefix field', async () => {
    const block = good();
    const result = await checkCredentials('apidian', parse.apidian({ ...block, resolutions: { ...block.resolutions, invoice: { ...block.resolutions.invoice, prefix: 'ZZZZ' } } }));
    expect(result).toMatchObject({ ok: false, field: 'apidian.invoicePrefix', message: expect.stringContaining('ZZZZ') });
  });

  it('puts an address nothing answers at on the address field', async () => {
    const result = await checkCredentials('apidian', parse.apidian({ ...good(), baseUrl: 'http://127.0.0.1:9/api' }));
    expect(result).toMatchObject({ ok: false, field: 'apidian.baseUrl', message: expect.stringContaining('could not be reached') });
  });
});

describe('Unidigital', () => {
  const good = () => ({ ...UNIDIGITAL_SANDBOX_TARGET_DEFAULTS, baseUrl: sandboxes.unidigital!.baseUrl });

  it('passes with the demo user and series', async () => {
    expect(await checkCredentials('unidigital', parse.unidigital(good()))).toMatchObject({ ok: true });
  });

  it('puts a wrong password on the password field', async () => {
    expect(await checkCredentials('unidigital', parse.unidigital({ ...good(), password: 'wrong-password' }))).toMatchObject({ ok: false, field: 'unidigital.password' });
  });

  it('puts a series of another account on the series field', async () => {
    const result = await checkCredentials('unidigital', parse.unidigital({ ...good(), series: { strongId: '00000000-0000-4000-8000-000000000000' } }));
    expect(result).toMatchObject({ ok: false, field: 'unidigital.seriesStrongId' });
  });
});

describe('tuimprenta', () => {
  const good = () => ({ ...TUIMPRENTA_SANDBOX_TARGET_DEFAULTS, baseUrl: sandboxes.tuimprenta!.baseUrl });

  it('passes with the demo key, and puts a wrong key on the key field', async () => {
    expect(await checkCredentials('tuimprenta', parse.tuimprenta(good()))).toMatchObject({ ok: true });
    expect(await checkCredentials('tuimprenta', parse.tuimprenta({ ...good(), apiKey: 'sk_wrong' }))).toMatchObject({ ok: false, field: 'tuimprenta.apiKey' });
  });
});

describe('FacturApi', () => {
  const good = () => ({ ...FACTURAPI_SANDBOX_TARGET_DEFAULTS, baseUrl: sandboxes.facturapi!.baseUrl });

  it('passes with the demo tenant, and names the key or the tenant when wrong', async () => {
    expect(await checkCredentials('facturapi', parse.facturapi(good()))).toMatchObject({ ok: true });
    expect(await checkCredentials('facturapi', parse.facturapi({ ...good(), apiKey: 'api_key_wrong_0000' }))).toMatchObject({ ok: false, field: 'facturapi.apiKey' });
    expect(await checkCredentials('facturapi', parse.facturapi({ ...good(), tenantId: 'no-such-tenant' }))).toMatchObject({ ok: false, field: 'facturapi.tenantId' });
  });
});

describe('the settings form', () => {
  const common = { trigger: 'paid', triggerDelayMinutes: '0', country: 'CO', timezone: 'America/Bogota', noteAttribute: 'NIT', 'taxId.noteAttribute': 'on' };

  const badApidian = {
    targetType: 'apidian',
    'apidian.baseUrl': 'http://x/api/ubl2.1',
    'apidian.token': 'tok',
    'apidian.supplierNit': '12-3',
    'apidian.environment': '2',
    'apidian.invoicePrefix': 'SETP',
    'apidian.invoiceTechnicalKey': 'k',
    'apidian.invoiceFrom': '10',
    'apidian.invoiceTo': '5',
    'apidian.creditPrefix': 'NC',
    'apidian.creditFrom': '1',
    'apidian.creditTo': '9',
    'apidian.debitPrefix': 'ND',
    'apidian.debitFrom': '1',
    'apidian.debitTo': '9',
  };
  const errorsOf = (result: ReturnType<typeof parseSettingsForm>) => {
    expect(result.ok).toBe(false);
    return (result as { errors: Record<string, string> }).errors;
  };

  it('names each missing field', () => {
    const errors = errorsOf(parseSettingsForm({ ...common, targetType: 'apidian', 'apidian.baseUrl': 'http://x/api', 'apidian.token': 'tok' }, undefined));
    expect(errors['apidian.invoicePrefix']).toMatch(/required/);
    expect(errors['apidian.invoiceFrom']).toMatch(/required/);
    expect(errors['apidian.baseUrl']).toBeUndefined();
  });

  it('names common fields that are wrong', () => {
    const errors = errorsOf(parseSettingsForm({ ...common, ...badApidian, timezone: 'Mars/Olympus', triggerDelayMinutes: '-5' }, undefined));
    expect(errors.timezone).toMatch(/timezone such as America\/Bogota/);
    expect(errors.triggerDelayMinutes).toMatch(/negative/);
  });

  it("puts the target schema's own rules on the fields they are about", () => {
    const errors = errorsOf(parseSettingsForm({ ...common, ...badApidian }, undefined));
    expect(errors['apidian.baseUrl']).toMatch(/stop before \/ubl2\.1/);
    expect(errors['apidian.supplierNit']).toMatch(/5-15 digits/);
    expect(errors['apidian.invoiceTo']).toMatch(/must not be below/);
  });

  it('puts what the wire mapping reads into targetSettings: tuimprenta\'s series, FacturApi\'s establecimiento and punto', () => {
    const tuimprenta = parseSettingsForm({ ...common, targetType: 'tuimprenta', 'tuimprenta.baseUrl': 'http://x', 'tuimprenta.apiKey': 'sk_1', 'tuimprenta.series': 'B' }, undefined);
    expect(tuimprenta.ok && tuimprenta.settings.rest.targetSettings).toEqual({ series: 'B' });
    expect(tuimprenta.ok && tuimprenta.settings.block).not.toHaveProperty('series');
    const facturapi = parseSettingsForm(
      { ...common, targetType: 'facturapi', 'facturapi.baseUrl': 'http://x', 'facturapi.tenantId': 't', 'facturapi.apiKey': 'api_key_12345678', 'facturapi.ruc': '80123456-5', 'facturapi.tipoContribuyente': '2', 'facturapi.establecimiento': '2', 'facturapi.punto': '003' },
      undefined,
    );
    expect(facturapi.ok && facturapi.settings.rest.targetSettings).toEqual({ establecimiento: '002', punto: '003' });
  });

  it('keeps a saved secret when its field is left empty', () => {
    const saved = { type: 'tuimprenta' as const, block: { type: 'tuimprenta', baseUrl: 'http://x', apiKey: 'sk_saved' } };
    const result = parseSettingsForm({ ...common, targetType: 'tuimprenta', 'tuimprenta.baseUrl': 'http://x', 'tuimprenta.apiKey': '' }, saved);
    expect(result.ok && result.settings.block.apiKey).toBe('sk_saved');
  });
});
