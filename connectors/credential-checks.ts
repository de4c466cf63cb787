/**
 * Part of the connector registry (like index.ts, it may name every target). Before a store owner's
 * invoicing credentials are saved: one cheap, authenticated, read-only call to
 * the invoicing API through its connector's own client, so a wrong token, password, URL or series is
 * reported on the form field it belongs to (`<type>.<config key>`) — and nothing is saved — instead of surfacing as failed
 * invoices later.
 *
 * - APIDIAN: `GET invoice/current_number/1/<invoice prefix>` (token, baseUrl, and that the invoice
 *   resolution exists for the company);
 * - Unidigital: `POST user/login`, then `GET /series` (the series' strongId belongs to the account);
 * - tuimprenta: `GET /v1/ping`;
 * - FacturApi: `GET /<tenant>/ruc/<issuer RUC>` (tenant, API key, and that SIFEN knows the RUC).
 */
import { ApidianClient } from './apidian/client.js';
import type { ApidianTargetConfig } from './apidian/config.js';
import { FacturapiClient } from './facturapi/client.js';
import type { FacturapiTargetConfig } from './facturapi/config.js';
import { TuimprentaClient } from './tuimprenta/client.js';
import type { TuimprentaTargetConfig } from './tuimprenta/config.js';
import { UnidigitalClient, sha512Hex } from './unidigital/client.js';
import type { UnidigitalTargetConfig } from './unidigital/config.js';
import { TargetError } from '../src/errors.js';

export type CredentialCheck = { ok: true; detail: string } | { ok: false; field: string; message: string };

const READ_TIMEOUT_MS = 10_000;
const NO_RETRY = { retries: 0, minTimeout: 100, maxTimeout: 100, maxRetryTime: 100 };

/** A failure the owner can act on: which field, and the API's own words (never our secrets). */
function explain(error: unknown, byStatus: (status: number | undefined, kind: string) => string, api: string): CredentialCheck {
  if (!(error instanceof TargetError)) throw error;
  const field = byStatus(error.status, error.kind);
  if (error.status === undefined && (error.kind === 'retryable' || error.kind === 'unknown_outcome')) {
    return { ok: false, field, message: `${api} could not be reached at this address (${error.message}). Check the URL.` };
  }
  if (error.kind === 'rate_limited') return { ok: false, field, message: `${api} asks to wait before trying again (rate limited). Try again in a minute.` };
  return { ok: false, field, message: `${api} refused: ${error.message}` };
}

async function apidian(config: ApidianTargetConfig): Promise<CredentialCheck> {
  const client = new ApidianClient({ baseUrl: config.baseUrl, token: config.token, retry: NO_RETRY, timeouts: { read: READ_TIMEOUT_MS } });
  const prefix = config.resolutions.invoice.prefix;
  try {
    const current = await client.currentNumber(1, prefix);
    return { ok: true, detail: `APIDIAN answered: the next invoice of resolution ${prefix} is number ${current.number}.` };
  } catch (error) {
    if (error instanceof TargetError && error.kind === 'auth' && error.status !== undefined && error.status < 300) {
      return { ok: false, field: 'apidian.invoicePrefix', message: `APIDIAN accepted the token, but this company has no invoice resolution with prefix ${prefix}: ${error.messages[0] ?? error.message}` };
    }
    return explain(error, (status) => (status === 401 || status === 403 ? 'apidian.token' : 'apidian.baseUrl'), 'APIDIAN');
  } finally {
    await client.close();
  }
}

async function unidigital(config: UnidigitalTargetConfig): Promise<CredentialCheck> {
  const client = new UnidigitalClient({
    baseUrl: config.baseUrl,
    userName: config.userName,
    passwordDigest: config.passwordSha512 ?? sha512Hex(config.password!),
    retry: NO_RETRY,
    busy: { retries: 0 },
    timeouts: { read: READ_TIMEOUT_MS },
  });
  try {
    try {
      await client.login();
    } catch (error) {
      if (error instanceof TargetError && error.kind === 'auth') {
        return { ok: false, field: 'unidigital.password', message: 'Unidigital refused this user name and password. Check both (the password is case-sensitive).' };
      }
      return explain(error, () => 'unidigital.baseUrl', 'Unidigital');
    }
    const series = await client.series();
    if (!series.some((s) => s.strongId.toLowerCase() === config.series.strongId.toLowerCase())) {
      return {
        ok: false,
        field: 'unidigital.seriesStrongId',
        message: `The user signed in, but the account has no series ${config.series.strongId}. Its series: ${series.map((s) => `${s.name ?? '?'} (${s.strongId})`).join(', ') || 'none'}.`,
      };
    }
    return { ok: true, detail: 'Unidigital accepted the user and knows the series.' };
  } catch (error) {
    return explain(error, () => 'unidigital.baseUrl', 'Unidigital');
  } finally {
    await client.close();
  }
}

async function tuimprenta(config: TuimprentaTargetConfig): Promise<CredentialCheck> {
  const client = new TuimprentaClient({ baseUrl: config.baseUrl, apiKey: config.apiKey, retry: NO_RETRY, timeouts: { read: READ_TIMEOUT_MS } });
  try {
    await client.ping();
    return { ok: true, detail: 'tuimprenta.digital accepted the API key.' };
  } catch (error) {
    return explain(error, (status) => (status === 401 || status === 403 ? 'tuimprenta.apiKey' : 'tuimprenta.baseUrl'), 'tuimprenta.digital');
  } finally {
    await client.close();
  }
}

async function facturapi(config: FacturapiTargetConfig): Promise<CredentialCheck> {
  const client = new FacturapiClient({ baseUrl: config.baseUrl, tenantId: config.tenantId, apiKey: config.apiKey, retry: NO_RETRY, timeouts: { read: READ_TIMEOUT_MS } });
  try {
    const info = await client.consultaRuc(config.ruc);
    if (!info) return { ok: false, field: 'facturapi.ruc', message: `FacturApi accepted the key, but SIFEN does not know the RUC ${config.ruc}.` };
    return { ok: true, detail: 'FacturApi accepted the key and SIFEN knows the issuer RUC.' };
  } catch (error) {
    return explain(
      error,
      (status) => (status === 401 || status === 403 ? 'facturapi.apiKey' : status === 404 ? 'facturapi.tenantId' : 'facturapi.baseUrl'),
      'FacturApi',
    );
  } finally {
    await client.close();
  }
}

/** The target types a store owner can pick on the settings page. */
export type CheckableTargetType = 'apidian' | 'unidigital' | 'tuimprenta' | 'facturapi';

export type CredentialChecker = (type: CheckableTargetType, config: Record<string, unknown>) => Promise<CredentialCheck>;

/** `config` is the account block as its target type parsed it. */
export const checkCredentials: CredentialChecker = (type, config) => {
  switch (type) {
    case 'apidian':
      return apidian(config as ApidianTargetConfig);
    case 'unidigital':
      return unidigital(config as UnidigitalTargetConfig);
    case 'tuimprenta':
      return tuimprenta(config as TuimprentaTargetConfig);
    case 'facturapi':
      return facturapi(config as FacturapiTargetConfig);
  }
};
