/**
 * HTTP client for one Unidigital account (reference §2.2–2.7).
 *
 * - Auth: `user/login` with the SHA-512 hex digest of the password; the JWT lasts 8 h, so it is
 *   renewed after 7 h (before it can expire mid-batch), and a 401 logs in again once and repeats the
 *   request once.
 * - Every answer is checked for `hasErrors`, not only its HTTP status.
 * - Serialization: Unidigital answers 429 "tu petición anterior sigue en proceso" when a request
 *   arrives while another one of the same account and series is still running, so requests go
 *   through a bottleneck group keyed by series with maxConcurrent 1 (account-wide calls share one key).
 *   A 429 means the request was refused, not processed, so it is repeated after a short wait, a few
 *   times, before it surfaces as `rate_limited`.
 * - Network blips are retried (p-retry) only on idempotent reads. A write whose answer is lost is
 *   `unknown_outcome`; a 400 is a business rejection and is never repeated (it can burn a correlativo).
 */
import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { retryAfterMsFrom as readRetryAfter } from '../../src/target-kit/rate-gate.js';
import pRetry, { AbortError } from 'p-retry';
import { TargetError, type TargetErrorDetails } from '../../src/errors.js';
import {
  type BatchInfo,
  type CreateDocumentsResult,
  type DocumentFailure,
  type DocumentInfo,
  type Envelope,
  type SeriesCounter,
  type SeriesInfo,
  UnexpectedResponseError,
  batchIdOf,
  documentFailures,
  envelopeMessages,
  existingBatchOf,
  parseBatch,
  parseCounters,
  parseCreateDocuments,
  parseDocument,
  parseDocumentList,
  parseEnvelope,
  parseLogin,
  parseSeries,
} from './responses.js';

export interface UnidigitalLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** SHA-512 hex digest, the form Unidigital's login expects the password in (§2.2). */
export function sha512Hex(text: string): string {
  return createHash('sha512').update(text, 'utf8').digest('hex');
}

export interface UnidigitalClientOptions {
  /** `…/digitalinvoice-core`, without a trailing slash. */
  baseUrl: string;
  userName: string;
  /** SHA-512 hex digest of the password (use sha512Hex). The plain password never reaches the client. */
  passwordDigest: string;
  fetch?: typeof globalThis.fetch;
  logger?: UnidigitalLogger;
  /** Renew the token once it is this old (default 7 h; it lasts 8 h). */
  tokenRenewAfterMs?: number;
  timeouts?: Partial<Record<Effect, number>>;
  /** Backoff for network blips on reads (p-retry options). */
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number; maxRetryTime?: number };
  /** Repeats of a request refused with 429 "still processing" (default 4, 500 ms doubling, ≤ 5 s). */
  busy?: { retries?: number; minTimeout?: number; maxTimeout?: number };
  /** Clock, for tests of token renewal. */
  now?: () => number;
}

/** read: asks only. write: changes something at the imprenta (a lost answer means "maybe done"). */
export type Effect = 'read' | 'write';

/** The series has an open batch already (one open batch per series, §2.7). */
export class UnidigitalBatchExistsError extends TargetError {
  readonly existingBatchId: string | undefined;
  readonly openedAt: string | undefined;
  constructor(message: string, existing: { strongId: string; date: string | undefined } | undefined, details: TargetErrorDetails = {}) {
    super('retryable', message, details);
    this.name = 'UnidigitalBatchExistsError';
    this.existingBatchId = existing?.strongId;
    this.openedAt = existing?.date;
  }
}

/** `documents/create` refused with per-document errors (HTTP 400 or hasErrors). */
export class UnidigitalDocumentsRejectedError extends TargetError {
  readonly failures: DocumentFailure[];
  constructor(message: string, failures: DocumentFailure[], details: TargetErrorDetails = {}) {
    super('rejected', message, details);
    this.name = 'UnidigitalDocumentsRejectedError';
    this.failures = failures;
  }
}

const DEFAULT_TIMEOUTS: Record<Effect, number> = { read: 20_000, write: 60_000 };
const TOKEN_RENEW_AFTER_MS = 7 * 3_600_000;
const DEFAULT_BUSY_WAIT_MS = 5_000;
const MAX_MESSAGE_CHARS = 300;
const ACCOUNT_KEY = '(account)';
const NOT_FOUND = /no (existe|se encontr|fue encontrad)|not found|no encontrad/i;

interface Call {
  method: 'GET' | 'POST';
  route: string;
  body?: unknown;
  effect: Effect;
  /** Series the call belongs to, for serialization. */
  serie?: string | undefined;
  /** 404 is an answer ("no such thing"), not a wrong baseUrl. */
  notFoundIsAnswer?: boolean;
}

type Answer = { status: number; envelope: Envelope } | { status: 404; envelope: undefined };

export class UnidigitalClient {
  readonly #baseUrl: string;
  readonly #userName: string;
  readonly #passwordDigest: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #logger: UnidigitalLogger | undefined;
  readonly #timeouts: Record<Effect, number>;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number; maxRetryTime: number };
  readonly #busy: { retries: number; minTimeout: number; maxTimeout: number };
  readonly #renewAfterMs: number;
  readonly #now: () => number;
  readonly #limiters: Bottleneck.Group;
  /** Series of each batch this client has seen, so batch calls queue behind their series. */
  readonly #batchSeries = new Map<string, string>();
  #token: { value: string; obtainedAt: number } | undefined;
  #login: Promise<string> | undefined;
  #logins = 0;

  constructor(options: UnidigitalClientOptions) {
    if (!/^[0-9a-f]{128}$/i.test(options.passwordDigest)) throw new RangeError('passwordDigest must be the SHA-512 hex digest of the password');
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#userName = options.userName;
    this.#passwordDigest = options.passwordDigest.toLowerCase();
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#logger = options.logger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#retry = { retries: 3, minTimeout: 200, maxTimeout: 2_000, maxRetryTime: 20_000, ...options.retry };
    this.#busy = { retries: 4, minTimeout: 500, maxTimeout: 5_000, ...options.busy };
    this.#renewAfterMs = options.tokenRenewAfterMs ?? TOKEN_RENEW_AFTER_MS;
    this.#now = options.now ?? Date.now;
    // One request at a time per series: what Unidigital's 429 is about.
    this.#limiters = new Bottleneck.Group({ maxConcurrent: 1 });
  }

  /** The limiter of a series (or of account-wide calls), so tests can observe serialization. */
  limiterFor(serie?: string): Bottleneck {
    return this.#limiters.key(serie ?? ACCOUNT_KEY);
  }

  /** How many times this client has logged in (tests and metrics). */
  get logins(): number {
    return this.#logins;
  }

  async close(): Promise<void> {
    await Promise.all(this.#limiters.limiters().map(({ limiter }) => limiter.stop({ dropWaitingJobs: true })));
  }

  // ─── auth ──────────────────────────────────────────────────────────────────────────────────────

  /** Logs in now (coalescing concurrent callers) and returns the token. */
  async login(): Promise<string> {
    this.#login ??= this.#doLogin().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  async #doLogin(): Promise<string> {
    const response = await this.#send('POST', 'user/login', { UserName: this.#userName, Password: this.#passwordDigest }, 'read', undefined);
    this.#logins += 1;
    const login = parseLogin(response.json);
    if (response.status >= 200 && response.status < 300 && login) {
      this.#token = { value: login.accessToken, obtainedAt: this.#now() };
      this.#logger?.debug({ route: 'user/login', environment: login.environment }, 'unidigital: logged in');
      return login.accessToken;
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TargetError('retryable', `Unidigital user/login: ${response.status}`, { status: response.status });
    }
    const envelope = parseEnvelope(response.json);
    const messages = envelope ? envelopeMessages(envelope).map(clip) : [];
    throw new TargetError('auth', `Unidigital user/login refused the credentials (${response.status}); check userName and password`, {
      status: response.status,
      messages,
    });
  }

  async #currentToken(): Promise<string> {
    if (this.#token && this.#now() - this.#token.obtainedAt < this.#renewAfterMs) return this.#token.value;
    return this.login();
  }

  // ─── API calls ─────────────────────────────────────────────────────────────────────────────────

  /** `GET /series`: the account's series (the login answer's list is not to be trusted, §2.2). */
  async series(): Promise<SeriesInfo[]> {
    const { envelope } = await this.#call({ method: 'GET', route: 'series', effect: 'read' });
    return this.#parse(() => parseSeries(envelope!.result), 'read');
  }

  /** `GET /series/counters`: the last Number used per series and document type. */
  async counters(): Promise<SeriesCounter[]> {
    const { envelope } = await this.#call({ method: 'GET', route: 'series/counters', effect: 'read' });
    return this.#parse(() => parseCounters(envelope!.result), 'read');
  }

  /** `POST /batch/open`; throws UnidigitalBatchExistsError when the series has an open batch. */
  async openBatch(serieStrongId: string): Promise<string> {
    try {
      const { envelope } = await this.#call({ method: 'POST', route: 'batch/open', body: { SerieStrongId: serieStrongId }, effect: 'write', serie: serieStrongId });
      const id = this.#parse(() => batchIdOf(envelope!.result), 'write');
      this.#batchSeries.set(id, serieStrongId);
      return id;
    } catch (error) {
      if (error instanceof UnidigitalBatchExistsError && error.existingBatchId) this.#batchSeries.set(error.existingBatchId, serieStrongId);
      throw error;
    }
  }

  #serieOf(batchId: string, serie: string | undefined): string | undefined {
    return serie ?? this.#batchSeries.get(batchId);
  }

  /**
   * `POST /documents/create` into an open batch. A refusal with per-document errors throws
   * UnidigitalDocumentsRejectedError; per-document errors inside a successful answer are returned.
   */
  async createDocuments(batchId: string, docs: unknown[], serieStrongId?: string): Promise<CreateDocumentsResult> {
    const { envelope } = await this.#call({ method: 'POST', route: 'documents/create', body: { BatchStrongId: batchId, Docs: docs }, effect: 'write', serie: this.#serieOf(batchId, serieStrongId) });
    return this.#parse(() => parseCreateDocuments(envelope!.result), 'write');
  }

  async closeBatch(batchId: string, serieStrongId?: string): Promise<void> {
    await this.#call({ method: 'POST', route: 'batch/close', body: { Id: batchId }, effect: 'write', serie: this.#serieOf(batchId, serieStrongId) });
  }

  async approveBatch(batchId: string, serieStrongId?: string): Promise<void> {
    await this.#call({ method: 'POST', route: 'batch/approve', body: { Id: batchId }, effect: 'write', serie: this.#serieOf(batchId, serieStrongId) });
  }

  async cancelBatch(batchId: string, serieStrongId?: string): Promise<void> {
    await this.#call({ method: 'POST', route: 'batch/cancel', body: { Id: batchId }, effect: 'write', serie: this.#serieOf(batchId, serieStrongId) });
  }

  /** `GET /batch/{id}`; undefined when Unidigital does not know the batch (404). */
  async batch(batchId: string, serieStrongId?: string): Promise<BatchInfo | undefined> {
    const answer = await this.#call({ method: 'GET', route: `batch/${segment(batchId)}`, effect: 'read', notFoundIsAnswer: true, serie: this.#serieOf(batchId, serieStrongId) });
    if (!answer.envelope) return undefined;
    const envelope = answer.envelope;
    return this.#parse(() => parseBatch(envelope.result), 'read');
  }

  /** Every document of a batch with its control number, reading `?Number={page}&Size={n}` pages. */
  async batchDocuments(batchId: string, options: { pageSize?: number; serieStrongId?: string } = {}): Promise<DocumentInfo[]> {
    const pageSize = options.pageSize ?? 100;
    const serie = this.#serieOf(batchId, options.serieStrongId);
    const all: DocumentInfo[] = [];
    for (let page = 1; page <= 1000; page++) {
      const { envelope } = await this.#call({ method: 'GET', route: `batch/${segment(batchId)}/documents?Number=${page}&Size=${pageSize}`, effect: 'read', serie });
      const { documents, totalCount } = this.#parse(() => parseDocumentList(envelope!.result), 'read');
      all.push(...documents);
      if (documents.length < pageSize || (totalCount !== undefined && all.length >= totalCount)) break;
    }
    return all;
  }

  /** `POST /documents/searchbysystemreference`: the document Puente sent under this reference, or null. */
  async searchBySystemReference(systemReference: string): Promise<DocumentInfo | null> {
    const answer = await this.#call({
      method: 'POST',
      route: 'documents/searchbysystemreference',
      body: { SystemReference: systemReference },
      effect: 'read',
      notFoundIsAnswer: true,
    });
    if (!answer.envelope) return null;
    const result = answer.envelope.result;
    const first = Array.isArray(result) ? result[0] : result;
    if (first === null || first === undefined) return null;
    const document = parseDocument(first);
    if (!document) throw new TargetError('retryable', 'Unidigital documents/searchbysystemreference: the answer holds no document Puente can read', { status: answer.status });
    return document;
  }

  /** `GET /documents?strongId=`; null when unknown. */
  async document(strongId: string): Promise<DocumentInfo | null> {
    const answer = await this.#call({ method: 'GET', route: `documents?strongId=${encodeURIComponent(strongId)}`, effect: 'read', notFoundIsAnswer: true });
    if (!answer.envelope) return null;
    const result = answer.envelope.result;
    return parseDocument(Array.isArray(result) ? result[0] : result) ?? null;
  }

  /** `POST /documents/createandapprove`: one document outside a batch; returns its strongId. */
  async createAndApprove(doc: unknown, serieStrongId?: string): Promise<string> {
    const { envelope } = await this.#call({ method: 'POST', route: 'documents/createandapprove', body: doc, effect: 'write', serie: serieStrongId });
    return this.#parse(() => batchIdOf(envelope!.result), 'write');
  }

  /**
   * `POST /documents/anulled {Control}`: annuls a document by its control number (the integer, not
   * the formatted "00-00000002"). The document keeps its control number and gets `annulled: true`.
   */
  async annul(controlNumber: number): Promise<void> {
    if (!Number.isSafeInteger(controlNumber) || controlNumber <= 0) throw new RangeError('controlNumber must be the positive integer control number');
    await this.#call({ method: 'POST', route: 'documents/anulled', body: { Control: controlNumber }, effect: 'write' });
  }

  // ─── plumbing ──────────────────────────────────────────────────────────────────────────────────

  #parse<T>(parse: () => T, effect: Effect): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof UnexpectedResponseError)) throw error;
      throw new TargetError(effect === 'write' ? 'unknown_outcome' : 'retryable', error.message, { status: 200 });
    }
  }

  /** One API call: serialized per series, 429 repeated, blips retried on reads, 401 → login once. */
  async #call(call: Call): Promise<Answer> {
    const attempt = () => this.limiterFor(call.serie).schedule(() => this.#authorized(call));
    const busyAware = () =>
      pRetry(
        async () => {
          try {
            return await attempt();
          } catch (error) {
            // 429: the request was refused while another one ran; it was not processed.
            if (error instanceof TargetError && error.kind === 'rate_limited') throw error;
            throw new AbortError(error as Error);
          }
        },
        {
          retries: this.#busy.retries,
          minTimeout: this.#busy.minTimeout,
          maxTimeout: this.#busy.maxTimeout,
          onFailedAttempt: ({ attemptNumber, retriesLeft }) =>
            this.#logger?.debug({ route: routeName(call.route), attemptNumber, retriesLeft }, 'unidigital: previous request still processing, waiting'),
        },
      );
    if (call.effect === 'write') return busyAware();
    return pRetry(
      async () => {
        try {
          return await busyAware();
        } catch (error) {
          if (error instanceof NetworkBlip) throw error;
          throw new AbortError(error as Error);
        }
      },
      {
        retries: this.#retry.retries,
        minTimeout: this.#retry.minTimeout,
        maxTimeout: this.#retry.maxTimeout,
        maxRetryTime: this.#retry.maxRetryTime,
        randomize: true,
        onFailedAttempt: ({ attemptNumber, retriesLeft }) =>
          this.#logger?.debug({ route: routeName(call.route), attemptNumber, retriesLeft }, 'unidigital: request blip, retrying'),
      },
    );
  }

  async #authorized(call: Call): Promise<Answer> {
    const token = await this.#currentToken();
    let response = await this.#send(call.method, call.route, call.body, call.effect, token);
    if (response.status === 401) {
      // Expired (or revoked) token: log in again once and repeat once.
      this.#token = undefined;
      this.#logger?.debug({ route: routeName(call.route) }, 'unidigital: 401, logging in again');
      const fresh = await this.login();
      response = await this.#send(call.method, call.route, call.body, call.effect, fresh);
    }
    return this.#interpret(call, response);
  }

  async #send(method: 'GET' | 'POST', route: string, body: unknown, effect: Effect, token: string | undefined): Promise<{ status: number; headers: Headers; json: unknown }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeouts[effect]) };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      const response = await this.#fetch(`${this.#baseUrl}/${route}`, init);
      const text = await response.text();
      this.#logger?.debug({ route: routeName(route), status: response.status }, 'unidigital answered');
      return { status: response.status, headers: response.headers, json: parseJson(text) };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const what = timedOut ? `timed out after ${this.#timeouts[effect]} ms` : 'network error';
      this.#logger?.warn({ route: routeName(route), effect, timedOut }, 'unidigital request failed before an answer');
      if (effect === 'write') throw new TargetError('unknown_outcome', `Unidigital ${routeName(route)}: ${what}; the imprenta may have done it`);
      throw new NetworkBlip(`Unidigital ${routeName(route)}: ${what}`);
    }
  }

  #interpret(call: Call, response: { status: number; headers: Headers; json: unknown }): Answer {
    const { status, headers, json } = response;
    const route = routeName(call.route);
    const envelope = parseEnvelope(json);
    if (status >= 200 && status < 300) {
      if (!envelope) throw new TargetError(call.effect === 'write' ? 'unknown_outcome' : 'retryable', `Unidigital ${route}: answered ${status} without the {result, hasErrors} envelope`, { status });
      if (envelope.hasErrors) {
        // Some answers say "not found" as an error under 200; for a lookup that is an answer.
        if (call.notFoundIsAnswer && NOT_FOUND.test(envelopeMessages(envelope).join(' '))) return { status: 404, envelope: undefined };
        throw this.#failure(call, status, envelope);
      }
      return { status, envelope };
    }
    if (status === 404 && call.notFoundIsAnswer) return { status: 404, envelope: undefined };
    if (status === 429) {
      const retryAfterMs = retryAfterMsFrom(headers, Date.now());
      return throwing(new TargetError('rate_limited', `Unidigital ${route}: 429, the previous request of this account and series is still processing`, {
        status,
        retryAfterMs,
        messages: envelope ? envelopeMessages(envelope).map(clip) : [],
      }));
    }
    if (status === 401 || status === 403) {
      return throwing(new TargetError('auth', `Unidigital ${route}: ${status} even after logging in again; check the user's permissions`, { status }));
    }
    if (status === 404 || status === 405) {
      return throwing(new TargetError('auth', `Unidigital ${route}: ${status} (route or verb not found); check baseUrl (it must end in /digitalinvoice-core)`, { status }));
    }
    if (status === 400 || status === 409 || status === 422) {
      return throwing(this.#failure(call, status, envelope ?? { result: undefined, errors: [], information: [], warnings: [], hasErrors: true }));
    }
    if (status === 408 || status >= 500) {
      const messages = envelope ? envelopeMessages(envelope).map(clip) : [];
      // A read changes nothing, so any 5xx on it is worth a quick second try before the whole
      // submit (counters → open → create → close → approve) fails on it and backs off.
      if (call.effect === 'read' && status >= 500) throw new NetworkBlip(`Unidigital ${route}: ${status}`);
      return throwing(new TargetError('retryable', `Unidigital ${route}: ${status}`, { status, messages }));
    }
    return throwing(new TargetError('rejected', `Unidigital ${route}: ${status}`, { status, messages: envelope ? envelopeMessages(envelope).map(clip) : [] }));
  }

  /** A business failure (400, or hasErrors under 200), classified by what it is about. */
  #failure(call: Call, status: number, envelope: Envelope): TargetError {
    const route = routeName(call.route);
    const messages = envelopeMessages(envelope).map(clip);
    const details: TargetErrorDetails = { status, messages };
    const field = fieldOf(messages);
    if (field) details.field = field;
    if (route === 'batch/open' && (envelope.errors.some((e) => e.code === 'BATCH_EXISTS') || messages.some((m) => /lote abierto|batch.*(exist|open)/i.test(m)))) {
      return new UnidigitalBatchExistsError(`Unidigital batch/open: the series already has an open batch`, existingBatchOf(envelope.errors), details);
    }
    if (route === 'documents/create') {
      const failures = documentFailures(envelope.errors.map((e) => e.extra).filter(Boolean)).concat(
        documentFailures((envelope.result as { errors?: unknown } | undefined)?.errors),
      );
      return new UnidigitalDocumentsRejectedError(`Unidigital documents/create refused: ${messages[0] ?? 'validation failed'}`, failures, details);
    }
    if (call.effect === 'read') {
      // A read changes nothing: an error under 200 is worth asking again; a 400 means we asked wrongly.
      return new TargetError(status === 200 ? 'retryable' : 'rejected', `Unidigital ${route}: ${messages[0] ?? 'failed'}`, details);
    }
    return new TargetError('rejected', `Unidigital ${route}: ${messages[0] ?? 'refused'}`, details);
  }
}

function throwing(error: TargetError): never {
  throw error;
}

/** A network failure or gateway error on a read: retried by p-retry, then reported as retryable. */
class NetworkBlip extends TargetError {
  constructor(message: string) {
    super('retryable', message);
    this.name = 'TargetError';
  }
}

/**
 * Unidigital's FluentValidation messages name the field by its display name, quoted:
 * "'Email To' no debería estar vacío" → EmailTo.
 */
function fieldOf(messages: string[]): string | undefined {
  for (const message of messages) {
    const quoted = /'([A-Za-z][A-Za-z ]{1,40})'/.exec(message)?.[1];
    if (quoted) return quoted.replace(/ /g, '');
    if (/c[oó]digo de operaci[oó]n/i.test(message)) return 'Details.OperationCode';
  }
  return undefined;
}

/** Unidigital sends no Retry-After with its 429 ("still processing"), so the wait defaults short. */
export function retryAfterMsFrom(headers: Headers, now: number): number {
  return readRetryAfter(headers, now, DEFAULT_BUSY_WAIT_MS);
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

/** The route without ids or query, for logs and messages. */
function routeName(route: string): string {
  const path = route.split('?')[0]!;
  const parts = path.split('/');
  if (parts[0] === 'batch' && parts.length >= 2 && !['open', 'close', 'approve', 'cancel'].includes(parts[1]!)) {
    return parts.length > 2 ? 'batch/{id}/documents' : 'batch/{id}';
  }
  return path;
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}
