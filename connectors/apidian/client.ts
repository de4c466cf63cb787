/**
 * HTTP client for one APIDIAN account (reference §1). Every request goes through one bottleneck
 * limiter sized to APIDIAN's `throttle:60,1`, and every failure becomes a TargetError whose `kind`
 * the dispatcher acts on. Only idempotent calls are retried here, and only for short network blips.
 */
import type Bottleneck from 'bottleneck';
import { RateGate, retryAfterMsFrom } from '../../src/target-kit/rate-gate.js';
import pRetry, { AbortError } from 'p-retry';
import type { DocumentKind } from '../../src/domain/fiscal-document.js';
import { TargetError, type TargetErrorDetails } from '../../src/errors.js';
import {
  type AddToBatchResult,
  type DianStatus,
  type FailureBody,
  type SendBatchResult,
  type SyncSendResult,
  UnexpectedResponseError,
  dianVerdict,
  isAlreadyProcessed,
  parseAddToBatch,
  parseFailureBody,
  parseSendBatch,
  parseStatusDocument,
  parseStatusZip,
  parseSyncSend,
  parseValidationBody,
  rejectionMessages,
  textOf,
} from './responses.js';

/** The subset of pino's API the client uses; pass a pino logger or anything shaped like it. */
export interface ApidianLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** The path segment APIDIAN uses for each document kind (add-to-batch and sync send). */
export const KIND_ROUTE: Record<DocumentKind, string> = {
  invoice: 'invoice',
  credit_note: 'credit-note',
  debit_note: 'debit-note',
  export_invoice: 'invoice-export',
};

/**
 * What a call does to the world, which decides how its failures are classified:
 * - read:   asks only (status, current number); safe to repeat.
 * - stage:  add-to-batch; signs and stores a zip entry, sends nothing to DIAN; re-adding replaces it.
 * - submit: sends to DIAN (send-batch, sync send); a lost answer means "maybe accepted".
 */
type Effect = 'read' | 'stage' | 'submit';

export interface ApidianClientOptions {
  /** Prefix before `/ubl2.1`, e.g. `http://127.0.0.1:3001/api`. */
  baseUrl: string;
  token: string;
  /** APIDIAN's throttle is 60/min per token. */
  requestsPerMinute?: number;
  fetch?: typeof globalThis.fetch;
  logger?: ApidianLogger;
  /** Per-request timeouts in ms. Submits wait on DIAN's SOAP service, so they get more time. */
  timeouts?: Partial<Record<Effect, number>>;
  /** Backoff for network blips on idempotent calls (p-retry options). */
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number; maxRetryTime?: number };
}

/** Raised for APIDIAN's duplicate guard and DIAN's rule 90: the document may already be issued. */
export class ApidianAlreadySentError extends TargetError {
  /** CUFE/CUDE when APIDIAN or DIAN named it. */
  readonly documentKey: string | undefined;
  constructor(message: string, documentKey: string | undefined, details: TargetErrorDetails = {}) {
    super('unknown_outcome', message, details);
    this.name = 'ApidianAlreadySentError';
    this.documentKey = documentKey;
  }
}

export interface CurrentNumber {
  number: number;
  prefix: string | undefined;
}

/** Outcome of a sync send that DIAN did not reject (rejections throw). */
export interface SyncSendOutcome extends SyncSendResult {
  verdict: 'valid' | 'pending';
}

const DEFAULT_TIMEOUTS: Record<Effect, number> = { read: 15_000, stage: 30_000, submit: 90_000 };
const DEFAULT_RETRY_AFTER_MS = 60_000;
const MAX_MESSAGE_CHARS = 300;

// success:false texts (reference §1.8 A). Matched loosely: accents and wording vary between versions.
const DIAN_UNAVAILABLE = /no (est[aá]|se encuentra) disponible|int[eé]ntelo m[aá]s tarde|reintente/i;
const ALREADY_SENT = /ya fue enviado anteriormente/i;
const ACCOUNT_BLOCKED = /inactiva|plan\b|paquete|cantidad de documentos|documentos disponibles|l[ií]mite de documentos|suscripci[oó]n|vencid/i;
// The account in APIDIAN lacks a resolution, technical key, software or certificate: an admin must configure it.
const ACCOUNT_UNCONFIGURED = /no (est[aá]|se encuentra) configurad|no tiene .{0,40}configurad/i;
// PHP errors thrown by APIDIAN's own code on a document shape it does not handle; repeating won't help.
const PHP_ERROR = /undefined (array key|index|offset|property|variable)|call to a member function|must be of type|argument #\d/i;
const VALIDATION_TEXT = /given data was invalid|field is required|es obligatorio|es inv[aá]lido|no es v[aá]lido|debe ser|must be|validation|validaci[oó]n/i;

export class ApidianClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #logger: ApidianLogger | undefined;
  readonly #timeouts: Record<Effect, number>;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number; maxRetryTime: number };
  readonly #gate: RateGate;

  constructor(options: ApidianClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#logger = options.logger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    // Blips only: a few quick tries, bounded in total so a dispatcher lease never runs out here.
    this.#retry = { retries: 3, minTimeout: 200, maxTimeout: 2_000, maxRetryTime: 20_000, ...options.retry };
    const requestsPerMinute = options.requestsPerMinute ?? 60;
    // Spacing is 61 s / rpm: Laravel's throttle window is kept in whole seconds, so it can last up to
    // 61 s, and bottleneck measures minTime from when a job is scheduled, so starts jitter by a few ms.
    const minTimeMs = Math.ceil(61_000 / requestsPerMinute);
    this.#gate = new RateGate({ apiName: 'APIDIAN', requestsPerMinute, minTimeMs });
  }

  /** The limiter, exposed so tests and metrics can observe its schedule. */
  get limiter(): Bottleneck {
    return this.#gate.limiter;
  }

  /** Epoch ms until which APIDIAN asked us to stay away (0 when not paused). */
  get pausedUntil(): number {
    return this.#gate.pausedUntil;
  }

  /** Stops the limiter's refresh timer; queued calls are dropped. */
  async close(): Promise<void> {
    await this.#gate.close();
  }

  // ─── API calls ─────────────────────────────────────────────────────────────────────────────────

  /** Signs one document and adds it to `{batchName}.zip`. Nothing reaches DIAN yet. */
  async addToBatch(kind: DocumentKind, batchName: string, wire: unknown): Promise<AddToBatchResult> {
    const body = await this.#call('POST', `add-to-batch/${KIND_ROUTE[kind]}/${segment(batchName)}`, wire, 'stage');
    return this.#parse(() => parseAddToBatch(body), 'stage');
  }

  /**
   * Sends the accumulated zip to DIAN (SendBillAsync). Returns the ZipKey to poll.
   * A zip DIAN refused outright (no ZipKey, errors listed) is a rejection of the whole batch.
   */
  async sendBatch(batchName: string): Promise<SendBatchResult & { zipKey: string }> {
    const body = await this.#call('POST', `send-batch/${segment(batchName)}`, {}, 'submit');
    const result = this.#parse(() => parseSendBatch(body), 'submit');
    if (result.zipKey) return { ...result, zipKey: result.zipKey };
    if (result.errors.length) {
      throw new TargetError('rejected', `DIAN refused the batch zip: ${clip(result.errors[0] ?? '')}`, {
        status: 200,
        messages: result.errors.map(clip),
      });
    }
    throw new TargetError('unknown_outcome', 'send-batch answered without a ZipKey; look the documents up', {
      status: 200,
    });
  }

  /** DIAN's answers for a zip, one per document it has processed (possibly none yet). */
  async statusZip(zipKey: string): Promise<DianStatus[]> {
    const body = await this.#call('POST', `status/zip/${segment(zipKey)}`, {}, 'read');
    return this.#parse(() => parseStatusZip(body), 'read');
  }

  /** DIAN's answer for one CUFE/CUDE; undefined when the answer is empty. */
  async statusDocument(documentKey: string): Promise<DianStatus | undefined> {
    const body = await this.#call('POST', `status/document/${segment(documentKey)}`, {}, 'read');
    return this.#parse(() => parseStatusDocument(body), 'read');
  }

  /** The number APIDIAN would use next for this document type and prefix. */
  async currentNumber(typeDocumentId: number, prefix?: string): Promise<CurrentNumber> {
    const route = `invoice/current_number/${typeDocumentId}${prefix ? `/${segment(prefix)}` : ''}`;
    const body = await this.#call('GET', route, undefined, 'read');
    return this.#parse(() => {
      const obj = (body ?? {}) as Record<string, unknown>;
      const number = Number(textOf(obj.number));
      if (!Number.isInteger(number)) throw new UnexpectedResponseError('current_number answer has no integer number');
      return { number, prefix: textOf(obj.prefix) };
    }, 'read');
  }

  /**
   * Sync send (SendBillSync). HTTP 200 is not success: DIAN's verdict is inside ResponseDian, and a
   * document with IsValid "false" is thrown as `rejected` (or as ApidianAlreadySentError for rule 90).
   */
  async sendDocument(kind: DocumentKind, wire: unknown): Promise<SyncSendOutcome> {
    const body = await this.#call('POST', KIND_ROUTE[kind], wire, 'submit');
    const result = this.#parse(() => parseSyncSend(body), 'submit');
    const verdict = dianVerdict(result.dian);
    if (verdict !== 'invalid') return { ...result, verdict };
    if (isAlreadyProcessed(result.dian)) {
      throw new ApidianAlreadySentError('DIAN says the document was processed before (rule 90)', result.documentKey, {
        status: 200,
        messages: result.dian.errorMessages.map(clip),
      });
    }
    const messages = rejectionMessages(result.dian).map(clip);
    throw new TargetError('rejected', messages[0] ?? 'DIAN rejected the document', { status: 200, messages });
  }

  // ─── plumbing ──────────────────────────────────────────────────────────────────────────────────

  #parse<T>(parse: () => T, effect: Effect): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof UnexpectedResponseError)) throw error;
      // A 2xx we cannot read: for a submit, DIAN may have the documents.
      throw new TargetError(effect === 'submit' ? 'unknown_outcome' : 'retryable', error.message, { status: 200 });
    }
  }

  async #call(method: 'GET' | 'POST', route: string, body: unknown, effect: Effect): Promise<unknown> {
    const once = () => this.#gate.schedule(() => this.#request(method, route, body, effect));
    if (effect === 'submit') return once();
    return pRetry(
      async () => {
        try {
          return await once();
        } catch (error) {
          if (isBlip(error)) throw error;
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
          this.#logger?.debug({ route: routeName(route), attemptNumber, retriesLeft }, 'apidian request blip, retrying'),
      },
    );
  }

  async #request(method: 'GET' | 'POST', route: string, body: unknown, effect: Effect): Promise<unknown> {
    const url = `${this.#baseUrl}/ubl2.1/${route}`;
    const init: RequestInit = {
      method,
      headers: {
        Authorization: `Bearer ${this.#token}`,
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
      signal: AbortSignal.timeout(this.#timeouts[effect]),
    };
    if (body !== undefined) init.body = JSON.stringify(body);

    let status: number;
    let headers: Headers;
    let text: string;
    try {
      const response = await this.#fetch(url, init);
      status = response.status;
      headers = response.headers;
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const what = timedOut ? `timed out after ${this.#timeouts[effect]} ms` : 'network error';
      this.#logger?.warn({ route: routeName(route), effect, timedOut }, 'apidian request failed before an answer');
      if (effect === 'submit') {
        throw new TargetError('unknown_outcome', `APIDIAN ${routeName(route)}: ${what}; DIAN may have received it`);
      }
      throw new NetworkBlip(`APIDIAN ${routeName(route)}: ${what}`);
    }

    this.#logger?.debug({ route: routeName(route), status }, 'apidian answered');
    const json = parseJson(text);
    if (status >= 200 && status < 300) {
      if (json === undefined) {
        throw new TargetError(effect === 'submit' ? 'unknown_outcome' : 'retryable', `APIDIAN ${routeName(route)}: answered ${status} without JSON`, { status });
      }
      const failure = parseFailureBody(json);
      if (failure) throw classifyFailure(failure, status, effect, routeName(route));
      return json;
    }
    throw this.#classifyStatus(status, headers, json, effect, routeName(route));
  }

  #classifyStatus(status: number, headers: Headers, json: unknown, effect: Effect, route: string): TargetError {
    // A 503 is a request to wait only when it says how long; a bare 503 is an outage, retried like
    // any 5xx (pausing the account a default minute for it would stall every document behind it).
    if (status === 429 || (status === 503 && (headers.has('retry-after') || headers.has('x-ratelimit-reset')))) {
      const retryAfterMs = retryAfterMsFrom(headers, Date.now());
      this.#gate.pause(retryAfterMs);
      this.#logger?.warn({ route, status, retryAfterMs }, 'apidian rate limited; limiter paused');
      return new TargetError('rate_limited', `APIDIAN ${route}: ${status}, retry after ${retryAfterMs} ms`, { status, retryAfterMs });
    }
    if (status === 401 || status === 403) {
      const message = textOf((json as Record<string, unknown> | undefined)?.message);
      return new TargetError('auth', `APIDIAN ${route}: ${status} ${clip(message ?? 'unauthorized')}; check the token`, { status });
    }
    if (status === 404) {
      // A missing route is a configuration problem (baseUrl), not something a retry or a fix to the document solves.
      return new TargetError('auth', `APIDIAN ${route}: 404 route not found; check baseUrl (it must end before /ubl2.1)`, { status });
    }
    if (status === 422) {
      const validation = parseValidationBody(json);
      const messages = validation.messages.map(clip);
      return new TargetError('rejected', messages[0] ?? `APIDIAN ${route}: 422 validation failed`, {
        status,
        messages,
        ...(validation.firstField ? { field: validation.firstField } : {}),
      });
    }
    const failure = parseFailureBody(json);
    if (status === 500 && failure) return classifyForkException(failure, status, effect, route);
    if (status === 408 || status >= 500) {
      return new TargetError('retryable', `APIDIAN ${route}: ${status}`, { status, messages: failure ? failureMessages(failure) : [] });
    }
    const messages = failure ? failureMessages(failure) : parseValidationBody(json).messages.map(clip);
    return new TargetError('rejected', `APIDIAN ${route}: ${status} ${messages[0] ?? ''}`.trim(), { status, messages });
  }
}

/** A network failure or timeout on an idempotent call: retried by p-retry, then reported as retryable. */
class NetworkBlip extends TargetError {
  constructor(message: string) {
    super('retryable', message);
    this.name = 'TargetError';
  }
}

function isBlip(error: unknown): boolean {
  if (error instanceof NetworkBlip) return true;
  // Gateways in front of APIDIAN drop connections during restarts; these are as short-lived.
  return error instanceof TargetError && error.kind === 'retryable' && (error.status === 502 || error.status === 504);
}

/**
 * `{success:false, message}` with HTTP 200 — an exception APIDIAN caught (§1.8 A):
 * - DIAN unavailable → retryable.
 * - "ya fue enviado anteriormente" (VALIDATE_BEFORE_SENDING) → ApidianAlreadySentError, to be looked up.
 * - company inactive, plan or document quota exhausted, resolution/software not configured → auth:
 *   nothing about the document is wrong and retrying cannot help until an admin fixes the account,
 *   which is what `auth` means to the dispatcher (stop sending for this connection).
 * - anything else: for a read, retryable; for add-to-batch (nothing sent), rejected so a person sees
 *   the message; for a submit, unknown_outcome because the exception may have come after DIAN answered.
 */
function classifyFailure(failure: FailureBody, status: number, effect: Effect, route: string): TargetError {
  const text = `${failure.message} ${failure.error ?? ''}`;
  const messages = failureMessages(failure);
  if (DIAN_UNAVAILABLE.test(text)) {
    return new TargetError('retryable', `APIDIAN ${route}: DIAN is unavailable`, { status, messages });
  }
  if (ALREADY_SENT.test(text)) {
    return new ApidianAlreadySentError(`APIDIAN ${route}: document was sent before`, failure.documentKey, { status, messages });
  }
  if (ACCOUNT_BLOCKED.test(text) || ACCOUNT_UNCONFIGURED.test(text)) {
    return new TargetError('auth', `APIDIAN ${route}: account cannot send documents: ${messages[0] ?? ''}`, { status, messages });
  }
  const kind = effect === 'read' ? 'retryable' : effect === 'stage' ? 'rejected' : 'unknown_outcome';
  return new TargetError(kind, `APIDIAN ${route}: ${messages[0] ?? 'failed'}`, { status, messages });
}

/**
 * The Laravel 10 fork renders every exception as 500 `{success:false, message:"Error interno del servidor", error}`
 * (§1.8 G), so validation and auth failures arrive as 500 too; the `error` text tells them apart.
 */
function classifyForkException(failure: FailureBody, status: number, effect: Effect, route: string): TargetError {
  const error = failure.error ?? '';
  const messages = failureMessages(failure);
  if (/unauthenticated/i.test(error)) {
    return new TargetError('auth', `APIDIAN ${route}: unauthenticated; check the token`, { status, messages });
  }
  if (/too many attempts/i.test(error)) {
    return new TargetError('rate_limited', `APIDIAN ${route}: too many attempts`, { status, messages, retryAfterMs: DEFAULT_RETRY_AFTER_MS });
  }
  if (VALIDATION_TEXT.test(error)) {
    const field = fieldFromMessage(error);
    return new TargetError('rejected', clip(error), { status, messages, ...(field ? { field } : {}) });
  }
  if (DIAN_UNAVAILABLE.test(error) || ALREADY_SENT.test(error) || ACCOUNT_BLOCKED.test(error) || ACCOUNT_UNCONFIGURED.test(error) || PHP_ERROR.test(error)) {
    return classifyFailure({ ...failure, message: error }, status, effect, route);
  }
  return new TargetError('retryable', `APIDIAN ${route}: 500 ${messages[0] ?? ''}`.trim(), { status, messages });
}

function failureMessages(failure: { message: string; error: string | undefined }): string[] {
  return [failure.message, failure.error].filter((m): m is string => !!m && m.trim() !== '').map(clip);
}

/**
 * Laravel summaries name the field the way Laravel displays attributes (underscores as spaces):
 * "El campo invoice lines.0.code es obligatorio.", "legal monetary totals.payable amount debe ser
 * numérico.", "The customer.name field is required." — turned back into a dotted path.
 */
function fieldFromMessage(message: string): string | undefined {
  const candidates = [
    /\bcampo\s+(.+?)\s+(?:es|debe|no|tiene|s[oó]lo)\b/i.exec(message)?.[1],
    /\bthe\s+(.+?)\s+field\b/i.exec(message)?.[1],
    // ":attribute debe ser …" has no "campo": only trust it when the attribute is a dotted path.
    /^(.+?\..+?)\s+(?:debe|es|no|tiene|s[oó]lo)\b/i.exec(message)?.[1],
  ];
  for (const candidate of candidates) {
    if (candidate && /^[a-z][a-z0-9_ ]*(\.[a-z0-9_ *]+)*$/i.test(candidate)) return candidate.trim().replace(/ /g, '_');
  }
  return undefined;
}


function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Ids go into a path segment; anything else would let a batch name escape its route. */
function segment(value: string): string {
  return encodeURIComponent(value);
}

/** The route without ids, for logs and messages (`status/zip`, `add-to-batch/invoice`). */
function routeName(route: string): string {
  const parts = route.split('/');
  if (parts[0] === 'add-to-batch') return parts.slice(0, 2).join('/');
  if (parts[0] === 'status') return parts.slice(0, 2).join('/');
  if (parts[0] === 'invoice' && parts[1] === 'current_number') return 'invoice/current_number';
  return parts[0] ?? route;
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}
export { retryAfterMsFrom } from '../../src/target-kit/rate-gate.js';
