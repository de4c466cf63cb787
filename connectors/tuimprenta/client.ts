/**
 * HTTP client for one tuimprenta.digital API key. Every request goes through one bottleneck limiter
 * that follows the API's own `X-RateLimit-*` headers (60 requests/min per key), so steady traffic
 * never meets a 429; every failure becomes a TargetError whose `kind` the dispatcher acts on.
 * Network blips are retried (p-retry) only where repeating cannot issue twice: reads, and
 * `POST /v1/invoices`, whose Idempotency-Key makes a repeat return the stored answer.
 */
import Bottleneck from 'bottleneck';
import { retryAfterMsFrom } from '../../src/target-kit/rate-gate.js';
import pRetry, { AbortError } from 'p-retry';
import { TargetError, type TargetErrorDetails, type TargetErrorKind } from '../../src/errors.js';
import {
  BatchResource,
  BatchResult,
  InvoiceList,
  InvoiceResource,
  PingResource,
  UnexpectedResponseError,
  parseErrorBody,
  parseWith,
  type ApiError,
} from './responses.js';
import type { TuimprentaInvoiceRequest } from './wire.js';

/** The subset of pino's API the client uses. */
export interface TuimprentaLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * What a call does to the world, which decides retries and how a lost answer is read:
 * - read:  GET; safe to repeat.
 * - keyed: POST /v1/invoices with an Idempotency-Key; a repeat returns the stored answer.
 * - write: batches and cancel; a lost answer means "maybe done".
 */
type Effect = 'read' | 'keyed' | 'write';

export interface TuimprentaClientOptions {
  /** Before `/v1`, e.g. `https://api.tuimprenta.digital`. */
  baseUrl: string;
  apiKey: string;
  /** Used until the API's headers say otherwise. */
  requestsPerMinute?: number;
  fetch?: typeof globalThis.fetch;
  logger?: TuimprentaLogger;
  timeouts?: Partial<Record<Effect, number>>;
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number; maxRetryTime?: number };
  /** Wait after X-RateLimit-Reset before sending again, for clock skew (default 250 ms). */
  resetMarginMs?: number;
  now?: () => number;
}

/** An error the API answered with its envelope `{error:{type,message,field,code}}`. */
export class TuimprentaError extends TargetError {
  readonly type: string | undefined;
  readonly code: string | undefined;
  constructor(kind: TargetErrorKind, message: string, details: TargetErrorDetails & { type?: string; code?: string } = {}) {
    super(kind, message, details);
    this.name = 'TuimprentaError';
    this.type = details.type;
    this.code = details.code;
  }
}

export interface CreatedInvoice {
  invoice: InvoiceResource;
  /** The API answered from its idempotency store (`Idempotent-Replayed: true`). */
  replayed: boolean;
}

export interface ListInvoicesParams {
  limit?: number;
  startingAfter?: string;
  status?: 'processing' | 'issued' | 'cancelled';
  series?: string;
  /** ISO date or date-time: invoices created at or after it. */
  createdFrom?: string;
}

/** One entry of a JSON batch: an invoice body plus the key that makes it findable later. */
export type BatchInvoice = TuimprentaInvoiceRequest & { idempotency_key?: string };

const DEFAULT_TIMEOUTS: Record<Effect, number> = { read: 15_000, keyed: 30_000, write: 60_000 };
const MAX_MESSAGE_CHARS = 300;
/** Codes of 409 answers that clear up by themselves (another request still running). */
const TRANSIENT_CONFLICTS = new Set(['idempotency_key_in_use', 'batch_not_finished', 'invoice_processing']);

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  raw: ArrayBuffer;
}

export class TuimprentaClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #logger: TuimprentaLogger | undefined;
  readonly #timeouts: Record<Effect, number>;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number; maxRetryTime: number };
  readonly #now: () => number;
  readonly #resetMarginMs: number;
  readonly #limiter: Bottleneck;
  #limit: number;
  #pausedUntil = 0;
  #refillTimer: ReturnType<typeof setTimeout> | undefined;
  #refillAt = 0;
  #closing: Promise<void> | undefined;

  constructor(options: TuimprentaClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#logger = options.logger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#retry = { retries: 3, minTimeout: 200, maxTimeout: 2_000, maxRetryTime: 20_000, ...options.retry };
    this.#now = options.now ?? Date.now;
    this.#resetMarginMs = options.resetMarginMs ?? 250;
    const rpm = options.requestsPerMinute ?? 60;
    if (!Number.isInteger(rpm) || rpm < 1) throw new RangeError('requestsPerMinute must be a whole number ≥ 1');
    this.#limit = rpm;
    // The reservoir is the allowance left in the API's current window, corrected from every answer's
    // X-RateLimit-Remaining and refilled at X-RateLimit-Reset. minTime spreads a backlog over the
    // minute instead of spending the allowance in one burst and then waiting.
    this.#limiter = new Bottleneck({ maxConcurrent: 1, minTime: Math.floor(60_000 / rpm), reservoir: rpm });
  }

  get limiter(): Bottleneck {
    return this.#limiter;
  }

  /** Epoch ms until which a 429 told us to stay away (0 when not paused). */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  async close(): Promise<void> {
    if (this.#refillTimer) clearTimeout(this.#refillTimer);
    this.#closing ??= this.#limiter.stop({ dropWaitingJobs: true });
    await this.#closing;
  }

  // ─── API calls ─────────────────────────────────────────────────────────────────────────────────

  async ping(): Promise<{ ok: true }> {
    const answer = await this.#call('GET', '/v1/ping', { effect: 'read' });
    return this.#parse(() => parseWith(PingResource, answer.body, 'ping'), 'read') as { ok: true };
  }

  /**
   * Creates (or, with a key seen before and the same body, replays) a document. A 409 for a key
   * used with another body is `rejected`; one for a key whose first request is still running is
   * `retryable`.
   */
  async createInvoice(body: unknown, idempotencyKey: string): Promise<CreatedInvoice> {
    const answer = await this.#call('POST', '/v1/invoices', { effect: 'keyed', body, idempotencyKey });
    const invoice = this.#parse(() => parseWith(InvoiceResource, answer.body, 'POST /v1/invoices'), 'keyed');
    return { invoice, replayed: answer.headers.get('idempotent-replayed') === 'true' };
  }

  /** The document as the API holds it now; throws TuimprentaError with status 404 when unknown. */
  async getInvoice(id: string): Promise<InvoiceResource> {
    const answer = await this.#call('GET', `/v1/invoices/${segment(id)}`, { effect: 'read' });
    return this.#parse(() => parseWith(InvoiceResource, answer.body, 'GET /v1/invoices/{id}'), 'read');
  }

  /** Annuls the invoice, or has the imprenta issue the credit note regulation requires. */
  async cancelInvoice(id: string, reason?: string): Promise<InvoiceResource> {
    const answer = await this.#call('POST', `/v1/invoices/${segment(id)}/cancel`, { effect: 'write', body: reason ? { reason } : {} });
    return this.#parse(() => parseWith(InvoiceResource, answer.body, 'POST /v1/invoices/{id}/cancel'), 'write');
  }

  async invoicePdf(id: string): Promise<Buffer> {
    const answer = await this.#call('GET', `/v1/invoices/${segment(id)}/pdf`, { effect: 'read', accept: 'application/pdf' });
    return Buffer.from(answer.raw);
  }

  async invoiceXml(id: string): Promise<string> {
    const answer = await this.#call('GET', `/v1/invoices/${segment(id)}/xml`, { effect: 'read', accept: 'application/xml' });
    return Buffer.from(answer.raw).toString('utf8');
  }

  async listInvoices(params: ListInvoicesParams = {}): Promise<InvoiceList> {
    const query = new URLSearchParams();
    if (params.limit !== undefined) query.set('limit', String(params.limit));
    if (params.startingAfter) query.set('starting_after', params.startingAfter);
    if (params.status) query.set('status', params.status);
    if (params.series) query.set('series', params.series);
    if (params.createdFrom) query.set('created_from', params.createdFrom);
    const suffix = query.size ? `?${query.toString()}` : '';
    const answer = await this.#call('GET', `/v1/invoices${suffix}`, { effect: 'read' });
    return this.#parse(() => parseWith(InvoiceList, answer.body, 'GET /v1/invoices'), 'read');
  }

  /** Every page from the start (or `startingAfter`), following next_cursor; stops after `maxPages`. */
  async *invoicePages(params: ListInvoicesParams = {}, maxPages = Number.POSITIVE_INFINITY): AsyncGenerator<InvoiceList> {
    let cursor = params.startingAfter;
    for (let page = 0; page < maxPages; page++) {
      const list = await this.listInvoices({ ...params, ...(cursor ? { startingAfter: cursor } : {}) });
      yield list;
      if (!list.next_cursor) return;
      cursor = list.next_cursor;
    }
  }

  async createBatch(invoices: readonly BatchInvoice[], callbackUrl?: string): Promise<BatchResource> {
    const body = { invoices, ...(callbackUrl ? { callback_url: callbackUrl } : {}) };
    const answer = await this.#call('POST', '/v1/batches', { effect: 'write', body });
    return this.#parse(() => parseWith(BatchResource, answer.body, 'POST /v1/batches'), 'write');
  }

  /** The multipart form of a batch: the CSV in field `file` (columns: csv.ts), `callback_url` optional. */
  async createBatchFromCsv(csv: string, callbackUrl?: string): Promise<BatchResource> {
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'invoices.csv');
    if (callbackUrl) form.append('callback_url', callbackUrl);
    const answer = await this.#call('POST', '/v1/batches', { effect: 'write', form });
    return this.#parse(() => parseWith(BatchResource, answer.body, 'POST /v1/batches'), 'write');
  }

  async getBatch(id: string): Promise<BatchResource> {
    const answer = await this.#call('GET', `/v1/batches/${segment(id)}`, { effect: 'read' });
    return this.#parse(() => parseWith(BatchResource, answer.body, 'GET /v1/batches/{id}'), 'read');
  }

  /** Per-row outcome of a finished batch; a 409 `batch_not_finished` (retryable) before that. */
  async batchResult(id: string): Promise<BatchResult> {
    const answer = await this.#call('GET', `/v1/batches/${segment(id)}/result`, { effect: 'read', accept: 'application/json' });
    return this.#parse(() => parseWith(BatchResult, answer.body, 'GET /v1/batches/{id}/result'), 'read');
  }

  async batchResultCsv(id: string): Promise<string> {
    const answer = await this.#call('GET', `/v1/batches/${segment(id)}/result`, { effect: 'read', accept: 'text/csv' });
    return Buffer.from(answer.raw).toString('utf8');
  }

  // ─── plumbing ──────────────────────────────────────────────────────────────────────────────────

  #parse<T>(parse: () => T, effect: Effect): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof UnexpectedResponseError)) throw error;
      throw new TuimprentaError(effect === 'read' ? 'retryable' : 'unknown_outcome', error.message, { status: 200 });
    }
  }

  async #call(
    method: 'GET' | 'POST',
    path: string,
    request: { effect: Effect; body?: unknown; form?: FormData; idempotencyKey?: string; accept?: string },
  ): Promise<Answer> {
    const once = () => this.#limited(() => this.#request(method, path, request));
    if (request.effect === 'write') return once();
    try {
      return await pRetry(
        async () => {
          try {
            return await once();
          } catch (error) {
            if (isBlip(error) || (request.effect === 'read' && isServerError(error))) throw error;
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
            this.#logger?.debug({ route: routeName(method, path), attemptNumber, retriesLeft }, 'tuimprenta request blip, retrying'),
        },
      );
    } catch (error) {
      // Out of retries on a keyed create: the API may hold the document; a replay of the key tells.
      if (request.effect === 'keyed' && isBlip(error)) {
        const blip = error as TargetError;
        throw new TuimprentaError('unknown_outcome', `${blip.message}; the document may have been created (replay the Idempotency-Key to know)`, {
          ...(blip.status !== undefined ? { status: blip.status } : {}),
        });
      }
      throw error;
    }
  }

  async #limited<T>(job: () => Promise<T>): Promise<T> {
    this.#throwIfPaused();
    return this.#limiter.schedule(async () => {
      this.#throwIfPaused();
      return job();
    });
  }

  #throwIfPaused(): void {
    const left = this.#pausedUntil - this.#now();
    if (left > 0) {
      throw new TuimprentaError('rate_limited', `tuimprenta rate limit: paused for another ${left} ms`, { retryAfterMs: left });
    }
  }

  /** After a 429: nothing goes out until `ms` from now, then the allowance is whole again. */
  #pause(ms: number): void {
    const until = this.#now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#limiter.updateSettings({ reservoir: 0 });
    this.#scheduleRefill(ms, true);
  }

  /**
   * Follows the API's window: the allowance left is what X-RateLimit-Remaining says, and it comes
   * back whole at X-RateLimit-Reset (epoch seconds). An answer without the headers still counts
   * against our own estimate, refilled a minute later.
   */
  #observeRateLimit(headers: Headers): void {
    const limit = Number(headers.get('x-ratelimit-limit'));
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    const now = this.#now();
    if (headers.has('x-ratelimit-limit') && Number.isInteger(limit) && limit > 0) this.#limit = limit;
    if (headers.has('x-ratelimit-remaining') && Number.isInteger(remaining) && remaining >= 0) {
      this.#limiter.updateSettings({ reservoir: remaining });
      const waitMs = headers.has('x-ratelimit-reset') && Number.isFinite(reset) ? reset * 1000 - now : 60_000;
      // A reset further away than a window (a skewed clock) is capped; one in the past refills soon.
      this.#scheduleRefill(Math.min(Math.max(waitMs, 0), 61_000) + this.#resetMarginMs);
      return;
    }
    if (!this.#refillTimer) this.#scheduleRefill(60_000 + this.#resetMarginMs);
  }

  #scheduleRefill(inMs: number, force = false): void {
    const at = this.#now() + inMs;
    // One pending refill, at the latest reset announced: an earlier one would release requests the
    // API still counts in the current window.
    if (this.#refillTimer && !force && at <= this.#refillAt) return;
    if (this.#refillTimer) clearTimeout(this.#refillTimer);
    this.#refillAt = at;
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined;
      this.#limiter.updateSettings({ reservoir: this.#limit });
    }, inMs);
    this.#refillTimer.unref?.();
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    request: { effect: Effect; body?: unknown; form?: FormData; idempotencyKey?: string; accept?: string },
  ): Promise<Answer> {
    const { effect } = request;
    const route = routeName(method, path);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: request.accept ?? 'application/json',
    };
    if (request.idempotencyKey) headers['Idempotency-Key'] = request.idempotencyKey;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeouts[effect]) };
    if (request.form) {
      init.body = request.form;
    } else if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(request.body);
    }

    let response: Response;
    let raw: ArrayBuffer;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, init);
      raw = await response.arrayBuffer();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const what = timedOut ? `timed out after ${this.#timeouts[effect]} ms` : 'network error';
      this.#logger?.warn({ route, effect, timedOut }, 'tuimprenta request failed before an answer');
      if (effect === 'write') throw new TuimprentaError('unknown_outcome', `tuimprenta ${route}: ${what}; it may have been done`);
      throw new NetworkBlip(`tuimprenta ${route}: ${what}`);
    }
    const status = response.status;
    this.#observeRateLimit(response.headers);
    this.#logger?.debug({ route, status }, 'tuimprenta answered');
    const isJson = /json/i.test(response.headers.get('content-type') ?? '');
    const body = isJson ? parseJson(raw) : undefined;
    if (status >= 200 && status < 300) {
      if (isJson && body === undefined) {
        throw new TuimprentaError(effect === 'read' ? 'retryable' : 'unknown_outcome', `tuimprenta ${route}: answered ${status} with malformed JSON`, { status });
      }
      return { status, headers: response.headers, body, raw };
    }
    throw this.#classify(status, response.headers, body, route);
  }

  #classify(status: number, headers: Headers, body: unknown, route: string): TuimprentaError {
    const error = parseErrorBody(body);
    const make = (kind: TargetErrorKind, message: string, extra: TargetErrorDetails = {}) =>
      new TuimprentaError(kind, message, { status, ...detailsOf(error), ...extra });
    const say = (fallback: string) => `tuimprenta ${route}: ${status} ${clip(error?.message ?? fallback)}`;

    if (status === 429 || (status === 503 && headers.has('retry-after'))) {
      const retryAfterMs = retryAfterMsFrom(headers, this.#now());
      this.#pause(retryAfterMs);
      this.#logger?.warn({ route, status, retryAfterMs }, 'tuimprenta rate limited; limiter paused');
      return make('rate_limited', say('too many requests'), { retryAfterMs });
    }
    if (status === 401 || status === 403) return make('auth', `${say('unauthorized')}; check the apiKey`);
    if (status === 404 && error?.code !== 'resource_missing') {
      // Not a known resource that is missing: the route itself is, so baseUrl points somewhere else.
      return make('auth', `tuimprenta ${route}: 404 route not found; check baseUrl (it must stop before /v1)`);
    }
    if (status === 409) {
      const transient = error?.code ? TRANSIENT_CONFLICTS.has(error.code) : false;
      return make(transient ? 'retryable' : 'rejected', say('conflict'));
    }
    if (status === 408 || status >= 500) return make('retryable', say('server error'));
    // 402 fiscal rejection, 404 unknown resource, 422 validation, other 4xx: the request itself is wrong.
    return make('rejected', say('request refused'));
  }
}

function detailsOf(error: ApiError | undefined): TargetErrorDetails & { type?: string; code?: string } {
  if (!error) return {};
  return {
    messages: [clip(error.message)],
    ...(error.field ? { field: error.field } : {}),
    ...(error.type ? { type: error.type } : {}),
    ...(error.code ? { code: error.code } : {}),
  };
}

/** A network failure or timeout on a call that may be repeated. */
class NetworkBlip extends TuimprentaError {
  constructor(message: string) {
    super('retryable', message);
  }
}

/**
 * A read changes nothing, so any 5xx on it is worth a quick second try: an annulment first pages
 * through `GET /v1/invoices` for the invoice it cites, and one failed page used to fail (and back off)
 * the whole annulment — with enough invoices, nearly every time.
 */
function isServerError(error: unknown): boolean {
  return error instanceof TargetError && error.kind === 'retryable' && error.status !== undefined && error.status >= 500;
}

function isBlip(error: unknown): boolean {
  if (error instanceof NetworkBlip) return true;
  // Gateways answer 502/504 while the API restarts; as short-lived as a dropped connection.
  return error instanceof TargetError && error.kind === 'retryable' && (error.status === 502 || error.status === 504);
}

function parseJson(raw: ArrayBuffer): unknown {
  const text = Buffer.from(raw).toString('utf8');
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

/** The route without ids or query, for logs and messages (`GET /v1/invoices/{id}`). */
function routeName(method: string, path: string): string {
  const bare = path.split('?')[0]!;
  const named = bare
    .replace(/^\/v1\/invoices\/[^/]+/, '/v1/invoices/{id}')
    .replace(/^\/v1\/batches\/[^/]+/, '/v1/batches/{id}');
  return `${method} ${named}`;
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}
export { retryAfterMsFrom } from '../../src/target-kit/rate-gate.js';
