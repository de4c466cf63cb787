/**
 * What can go wrong talking to Odoo, in words an ERP admin can act on, with a `kind` the caller
 * acts on:
 * - auth:       the user or API key is wrong (or revoked) — stop polling this connection until fixed
 * - config:     the database, a model or a field this Odoo lacks, a missing access right, a wrong URL —
 *               retrying changes nothing until the configuration or the Odoo modules change
 * - retryable:  network failure, timeout, 5xx, a database busy with a concurrent update — try again
 * - unexpected: Odoo answered something we cannot read, or an error we do not recognise
 *
 * Odoo's JSON-RPC answers HTTP 200 even for errors, with an `error` member:
 *   {"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error",
 *    "data":{"name":"odoo.exceptions.AccessDenied","message":"Access Denied","arguments":[…],"debug":"Traceback…"}}}
 * `data.debug` is a server traceback: never copied into our messages or logs.
 */
export type OdooErrorKind = 'auth' | 'config' | 'retryable' | 'unexpected';

export interface OdooErrorDetails {
  /** Odoo's exception class (`odoo.exceptions.AccessDenied`, `builtins.ValueError`, …). */
  odooName?: string;
  /** HTTP status, when the failure was at the HTTP level. */
  status?: number;
  /** The model or field the error is about, when known (`account.move`, `account.move.debit_origin_id`). */
  field?: string;
}

export class OdooError extends Error {
  readonly kind: OdooErrorKind;
  readonly odooName: string | undefined;
  readonly status: number | undefined;
  readonly field: string | undefined;

  constructor(kind: OdooErrorKind, message: string, details: OdooErrorDetails = {}) {
    super(message);
    this.name = 'OdooError';
    this.kind = kind;
    this.odooName = details.odooName;
    this.status = details.status;
    this.field = details.field;
  }
}

/** The `error` member of a JSON-RPC answer, as Odoo's serialize_exception writes it. */
export interface OdooRpcError {
  code?: number;
  message?: string;
  data?: { name?: string; message?: string; arguments?: unknown[]; debug?: string };
}

/** What was being done, so the message can say it: `authenticate`, `account.move.search_read`, … */
export interface RpcContext {
  database: string;
  username: string;
  call: string;
}

const MAX_ODOO_MESSAGE = 200;

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_ODOO_MESSAGE ? `${oneLine.slice(0, MAX_ODOO_MESSAGE)}…` : oneLine;
}

/** Turns Odoo's `error` member into an OdooError with a message that says what to fix. */
export function classifyRpcError(error: OdooRpcError, context: RpcContext): OdooError {
  const name = error.data?.name ?? '';
  const said = clip(error.data?.message ?? error.message ?? 'no message');
  const details = { odooName: name || undefined };
  const where = `Odoo ${context.call}`;

  if (error.code === 100 || /SessionExpired/.test(name)) {
    return new OdooError('auth', `${where}: the session expired (${said}); Puente logs in again on the next call`, details);
  }
  if (name === 'odoo.exceptions.AccessDenied') {
    return new OdooError(
      'auth',
      `${where}: Odoo refused user "${context.username}" with this API key on database "${context.database}" (AccessDenied): ` +
        'check `username` (the login, usually an e-mail) and `apiKey` (Preferences → Account Security → New API Key); the key may have been revoked',
      details,
    );
  }
  if (name === 'odoo.exceptions.AccessError') {
    return new OdooError(
      'config',
      `${where}: user "${context.username}" may not read this (${said}): give the user read access to Invoicing (Accounting / Billing) in Odoo`,
      details,
    );
  }
  // A database that does not exist fails when Odoo opens it: psycopg2 (or Odoo's own wrapper) says so.
  if (/database ".*" does not exist|database .* does not exist|no such database/i.test(said) || /psycopg2\.OperationalError/.test(name) && /does not exist/i.test(said)) {
    return new OdooError(
      'config',
      `${where}: database "${context.database}" does not exist on this Odoo: check \`database\` (the name on Odoo's database selector, or ?db= in its address)`,
      details,
    );
  }
  const missingModel = /Object (\S+) doesn't exist/i.exec(said) ?? (name === 'builtins.KeyError' ? /'([a-z0-9_.]+)'/.exec(said) : null);
  if (missingModel) {
    const model = missingModel[1]!.replace(/^'|'$/g, '');
    return new OdooError(
      'config',
      `${where}: this Odoo has no model ${model}: install the app that provides it (account.move: Invoicing) or check the Odoo version`,
      { ...details, field: model },
    );
  }
  const invalidField = /Invalid field '?([A-Za-z0-9_.]+)'? (?:on model '?([a-z0-9_.]+)'?|in leaf)/i.exec(said);
  if (invalidField) {
    const field = invalidField[2] ? `${invalidField[2]}.${invalidField[1]}` : invalidField[1]!;
    return new OdooError(
      'config',
      `${where}: this Odoo version has no field ${field}: the module that adds it is not installed, or the field was renamed in this version`,
      { ...details, field },
    );
  }
  if (/psycopg2\.(errors\.)?(SerializationFailure|OperationalError|InterfaceError)|could not serialize|deadlock|lock not available/i.test(name + ' ' + said)) {
    return new OdooError('retryable', `${where}: the Odoo database was busy (${said}); trying again later`, details);
  }
  if (name === 'odoo.exceptions.MissingError') {
    return new OdooError('config', `${where}: the record does not exist or was deleted (${said})`, details);
  }
  return new OdooError('unexpected', `${where} failed: ${name ? `${name}: ` : ''}${said}`, details);
}
