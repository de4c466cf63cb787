/**
 * JSON-RPC client for one Odoo database (reference stores-and-erps §3.1): `POST <url>/jsonrpc` with
 * `{"jsonrpc":"2.0","method":"call","params":{"service","method","args"}}`. It logs in once with
 * `common.authenticate(db, login, apiKey, {})` and then calls
 * `object.execute_kw(db, uid, apiKey, model, method, args, kwargs)`. Every call only reads, so short
 * network blips are retried here (p-retry); everything else becomes an OdooError whose kind the
 * caller acts on.
 */
import pRetry, { AbortError } from 'p-retry';
import { OdooError, classifyRpcError, type OdooRpcError } from './errors.js';

export interface OdooClientOptions {
  url: string;
  database: string;
  username: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Backoff for blips (p-retry options). */
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number };
  logger?: { debug(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /**
   * Context sent with every read (`allowed_company_ids` for a multi-company database, so Odoo's
   * company rules let the user see the configured company's moves).
   */
  context?: Record<string, unknown>;
}

export type Domain = unknown[];

export class OdooClient {
  readonly #endpoint: string;
  readonly #options: OdooClientOptions;
  readonly #fetch: typeof globalThis.fetch;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number };
  #uid: Promise<number> | undefined;
  readonly #fields = new Map<string, Promise<Set<string>>>();
  #nextId = 1;

  constructor(options: OdooClientOptions) {
    this.#options = options;
    this.#endpoint = `${options.url.replace(/\/+$/, '')}/jsonrpc`;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#retry = { retries: 3, minTimeout: 250, maxTimeout: 2_000, ...options.retry };
  }

  get database(): string {
    return this.#options.database;
  }

  /** `common.version`: answers without logging in; tells whether the URL is an Odoo at all. */
  async version(): Promise<{ serverVersion: string; major: number | undefined }> {
    const answer = (await this.#call('common', 'version', [], 'version')) as { server_version?: unknown; server_version_info?: unknown };
    const serverVersion = typeof answer?.server_version === 'string' ? answer.server_version : 'unknown';
    const info = Array.isArray(answer?.server_version_info) ? answer.server_version_info : [];
    const major = typeof info[0] === 'number' ? info[0] : Number.parseInt(serverVersion.replace(/^saas~/, ''), 10) || undefined;
    return { serverVersion, major };
  }

  /** Logs in once (the uid is kept); a wrong login or key is an `auth` OdooError. */
  authenticate(): Promise<number> {
    this.#uid ??= this.#login().catch((error: unknown) => {
      this.#uid = undefined;
      throw error;
    });
    return this.#uid;
  }

  async #login(): Promise<number> {
    const { database, username, apiKey } = this.#options;
    const uid = await this.#call('common', 'authenticate', [database, username, apiKey, {}], 'authenticate');
    if (typeof uid === 'number' && Number.isInteger(uid) && uid > 0) return uid;
    // Odoo answers `false`, not an error, for an unknown login or a wrong key.
    throw new OdooError(
      'auth',
      `Odoo authenticate: user "${username}" could not log in to database "${database}" with this API key: ` +
        'check `username` (the login, usually an e-mail) and `apiKey` (Preferences → Account Security → New API Key)',
    );
  }

  /** `object.execute_kw(db, uid, key, model, method, args, kwargs)`. */
  async executeKw<T = unknown>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<T> {
    const uid = await this.authenticate();
    const { database, apiKey } = this.#options;
    try {
      return (await this.#call('object', 'execute_kw', [database, uid, apiKey, model, method, args, kwargs], `${model}.${method}`)) as T;
    } catch (error) {
      // A key revoked meanwhile: log in again next time rather than keep a uid Odoo no longer honours.
      if (error instanceof OdooError && error.kind === 'auth') this.#uid = undefined;
      throw error;
    }
  }

  searchRead<T>(model: string, domain: Domain, kwargs: { fields: string[]; order?: string; limit?: number; offset?: number }): Promise<T[]> {
    return this.executeKw<T[]>(model, 'search_read', [domain], { ...kwargs, context: this.#context() });
  }

  read<T>(model: string, ids: number[], fields: string[]): Promise<T[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.executeKw<T[]>(model, 'read', [ids, fields], { context: this.#context() });
  }

  searchCount(model: string, domain: Domain): Promise<number> {
    return this.executeKw<number>(model, 'search_count', [domain], { context: this.#context() });
  }

  /** Archived partners, products and taxes still belong to the moves that used them. */
  #context(): Record<string, unknown> {
    return { ...this.#options.context, active_test: false };
  }

  /** The field names a model has in this Odoo (fields_get, kept per model). */
  fieldsOf(model: string): Promise<Set<string>> {
    let fields = this.#fields.get(model);
    if (!fields) {
      fields = this.executeKw<Record<string, unknown>>(model, 'fields_get', [], { attributes: ['type'] }).then((answer) => {
        if (!answer || typeof answer !== 'object') throw new OdooError('unexpected', `Odoo ${model}.fields_get answered something that is not a field list`);
        return new Set(Object.keys(answer));
      });
      fields.catch(() => this.#fields.delete(model));
      this.#fields.set(model, fields);
    }
    return fields;
  }

  /**
   * Fails with a `config` error naming every required field this Odoo's model lacks (a module not
   * installed, or a version that renamed it); returns the model's fields otherwise.
   */
  async requireFields(model: string, required: readonly string[], why: string): Promise<Set<string>> {
    const fields = await this.fieldsOf(model);
    const missing = required.filter((field) => !fields.has(field));
    if (missing.length) {
      throw new OdooError(
        'config',
        `this Odoo's ${model} has no field ${missing.join(', ')}, which Puente needs ${why}: install the module that provides it or check the Odoo version`,
        { field: `${model}.${missing[0]}` },
      );
    }
    return fields;
  }

  // ─── plumbing ──────────────────────────────────────────────────────────────────────────────────

  async #call(service: string, method: string, args: unknown[], call: string): Promise<unknown> {
    return pRetry(
      async () => {
        try {
          return await this.#post(service, method, args, call);
        } catch (error) {
          if (error instanceof OdooError && error.kind === 'retryable') throw error;
          throw new AbortError(error as Error);
        }
      },
      {
        ...this.#retry,
        randomize: true,
        onFailedAttempt: ({ attemptNumber, retriesLeft }) =>
          this.#options.logger?.debug({ call, attemptNumber, retriesLeft }, 'odoo request blip, retrying'),
      },
    );
  }

  async #post(service: string, method: string, args: unknown[], call: string): Promise<unknown> {
    const timeoutMs = this.#options.timeoutMs ?? 30_000;
    const id = this.#nextId++;
    let status: number;
    let text: string;
    let location: string | null = null;
    try {
      const response = await this.#fetch(this.#endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id }),
        signal: AbortSignal.timeout(timeoutMs),
        // A redirect would turn the POST into a GET (http → https, a www. host): say so instead.
        redirect: 'manual',
      });
      status = response.status;
      location = response.headers.get('location');
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      // undici puts the system error (ECONNREFUSED, ENOTFOUND…) in `cause`; other fetches on the error itself.
      const failure = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
      const code = failure?.cause?.code ?? failure?.code;
      const cause = typeof code === 'string' ? code : undefined;
      const what = timedOut ? `no answer in ${timeoutMs} ms` : `cannot reach ${new URL(this.#endpoint).origin}${cause ? ` (${cause})` : ''}`;
      this.#options.logger?.warn({ call, timedOut }, 'odoo request failed before an answer');
      throw new OdooError('retryable', `Odoo ${call}: ${what}; check \`url\` and that Odoo is up`);
    }
    if (status >= 300 && status < 400) {
      const to = location ? ` to ${location.replace(/\/jsonrpc$/, '')}` : '';
      throw new OdooError('config', `Odoo ${call}: ${this.#endpoint} redirects${to}: set \`url\` to the address Odoo redirects to`, { status });
    }
    if (status === 404) {
      throw new OdooError('config', `Odoo ${call}: ${this.#endpoint} answered 404: check \`url\` (the address of Odoo itself, without /web or /odoo)`, { status });
    }
    if (status === 429 || status >= 500) {
      throw new OdooError('retryable', `Odoo ${call}: answered HTTP ${status}; trying again later`, { status });
    }
    if (status === 401 || status === 403) {
      throw new OdooError('auth', `Odoo ${call}: answered HTTP ${status} before Odoo saw the request (a proxy or IP filter in front of Odoo?)`, { status });
    }
    let body: { result?: unknown; error?: OdooRpcError } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    if (!body || typeof body !== 'object' || (!('result' in body) && !('error' in body))) {
      throw new OdooError(
        'config',
        `Odoo ${call}: ${this.#endpoint} answered HTTP ${status} with something that is not JSON-RPC: check \`url\` (is it Odoo, and does this Odoo still offer /jsonrpc?)`,
        { status },
      );
    }
    if (body.error) {
      throw classifyRpcError(body.error, { database: this.#options.database, username: this.#options.username, call });
    }
    return body.result;
  }
}
