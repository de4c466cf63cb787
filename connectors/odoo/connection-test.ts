/**
 * "Test connection" for an Odoo source: is the URL an Odoo, does the database exist, do the user and
 * API key log in, does this Odoo have every model and field Puente reads, and may the user read
 * posted moves. Answers with the first thing that fails, in words that say what to change.
 */
import { OdooClient, type OdooClientOptions } from './client.js';
import { OdooSourceSettings, type OdooSourceSettingsInput } from './config.js';
import { OdooError, type OdooErrorKind } from './errors.js';
import { OdooMoveReader } from './moves.js';

export type OdooConnectionTestResult =
  | {
      ok: true;
      serverVersion: string;
      uid: number;
      /** Posted customer invoices and credit notes the connection would see (journals/company applied). */
      postedMoves: number;
      /** Optional modules found: debit notes (account_debit_note), identification types (l10n_latam_base). */
      features: { debitNotes: boolean; identificationTypes: boolean };
    }
  | {
      ok: false;
      /** Which step failed. */
      step: 'settings' | 'reach' | 'login' | 'fields' | 'read';
      kind: OdooErrorKind;
      error: string;
    };

export async function testOdooConnection(
  settings: OdooSourceSettingsInput | Record<string, unknown>,
  options: Pick<OdooClientOptions, 'fetch' | 'retry'> = {},
): Promise<OdooConnectionTestResult> {
  const parsed = OdooSourceSettings.safeParse({ ...settings, type: 'odoo' });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, step: 'settings', kind: 'config', error: `${issue.path.join('.') || 'source'}: ${issue.message}` };
  }
  const config = parsed.data;
  const client = new OdooClient({
    url: config.url,
    database: config.database,
    username: config.username,
    apiKey: config.apiKey,
    timeoutMs: Math.min(config.timeoutMs, 15_000),
    retry: { retries: 1, minTimeout: 200, ...options.retry },
    ...(config.company !== undefined ? { context: { allowed_company_ids: [config.company] } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let step: 'reach' | 'login' | 'fields' | 'read' = 'reach';
  try {
    const { serverVersion } = await client.version();
    step = 'login';
    const uid = await client.authenticate();
    step = 'fields';
    const reader = new OdooMoveReader(client, { ...(config.journals ? { journals: config.journals } : {}), ...(config.company ? { company: config.company } : {}) });
    const fields = await reader.fields();
    step = 'read';
    const postedMoves = await reader.count(reader.baseDomain());
    return {
      ok: true,
      serverVersion,
      uid,
      postedMoves,
      features: {
        debitNotes: fields['account.move']!.includes('debit_origin_id'),
        identificationTypes: fields['res.partner']!.includes('l10n_latam_identification_type_id'),
      },
    };
  } catch (error) {
    if (error instanceof OdooError) return { ok: false, step, kind: error.kind, error: error.message };
    return { ok: false, step, kind: 'unexpected', error: (error as Error).message };
  }
}
