/**
 * HTTP client for one FacturApi tenant (routes.ts). Every request goes through one bottleneck
 * limiter; every failure becomes a TargetError whose `kind` the dispatcher acts on. Only reads
 * (lote consulta, de/estado, consulta RUC) are retried here, and only for short network blips:
 * creating a lote or registering an event may have happened even when the answer was lost.
 */
import type Bottleneck from 'bottleneck';
import { RateGate, retryAfterMsFrom } from '../../src/target-kit/rate-gate.js';
import pRetry, { AbortError } from 'p-retry';
import { rucCheckDigit } from '../../src/domain/identifiers.js';
import { TargetError, type TargetErrorDetails } from '../../src/errors.js';
import { SIFEN } from './codes.js';
import {
  UnexpectedResponseError,
  parseConsultaRuc,
  parseDeEstado,
  parseEvento,
  parseFailure,
  parseLoteConsulta,
  parseLoteCreate,
  scrubBuyerData,
  splitMessages,
} from './responses.js';
import { ROUTES, authorizationHeader, type DeEstado, type EventoResult, type FailureBody, type LoteConsultaResult, type LoteCreateResult } from './routes.js';

/** The subset of pino's API the client uses. */
export interface FacturapiLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * - read:   asks only; safe to repeat.
 * - submit: lote/create; FacturApi signs the DEs and sends them to SIFEN, so a lost answer is "maybe".
 * - event:  cancelación / inutilización; same: a lost answer is "maybe registered".
 */
type Effect = 'read' | 'submit' | 'event';

export interface FacturapiClientOptions {
  /** e.g. `https://api.facturapi.example` or the sandbox's origin. */
  baseUrl: string;
  tenantId: string;
  apiKey: string;
  requestsPerMinute?: number;
  fetch?: typeof globalThis.fetch;
  logger?: FacturapiLogger;
  timeouts?: Partial<Record<Effect, number>>;
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number; maxRetryTime?: number };
}

/** FacturApi refused a lote before generating it; `byIndex` holds the messages of each document it named. */
export class FacturapiLoteRefusedError extends TargetError {
  readonly byIndex: ReadonlyMap<number, string[]>;
  constructor(message: string, byIndex: Map<number, string[]>, details: TargetErrorDetails = {}) {
    super('rejected', message, details);
    this.name = 'FacturapiLoteRefusedError';
    this.byIndex = byIndex;
  }
}

export interface InutilizacionRequest {
  tipoDocumento: number;
  establecimiento: string;
  punto: string;
  desde: number;
  hasta: number;
  motivo: string;
}

export interface RucInfo {
  ruc: string;
  dv: string;
  razonSocial: string;
  /** ACT, SUS, CAN, BLQ */
  estado: string;
  estadoDescripcion: string;
  facturadorElectronico: boolean;
}

const DEFAULT_TIMEOUTS: Record<Effect, number> = { read: 15_000, submit: 90_000, event: 90_000 };
const MAX_MESSAGE_CHARS = 300;

export class FacturapiClient {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #logger: FacturapiLogger | undefined;
  readonly #timeouts: Record<Effect, number>;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number; maxRetryTime: number };
  readonly #gate: RateGate;

  constructor(options: FacturapiClientOptions) {
    this.#base = `${options.baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.tenantId)}`;
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#logger = options.logger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#retry = { retries: 3, minTimeout: 200, maxTimeout: 2_000, maxRetryTime: 20_000, ...options.retry };
    const requestsPerMinute = options.requestsPerMinute ?? 60;
    this.#gate = new RateGate({ apiName: 'FacturApi', requestsPerMinute });
  }

  /** The limiter, exposed so tests and metrics can observe its schedule. */
  get limiter(): Bottleneck {
    return this.#gate.limiter;
  }

  get pausedUntil(): number {
    return this.#gate.pausedUntil;
  }

  async close(): Promise<void> {
    await this.#gate.close();
  }

  // ─── API calls ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Sends a lote (1–50 DE of one tipoDocumento). Returns SIFEN's recibe-lote answer: 0300 with the
   * lote number, or 0301 (not queued). A lote FacturApi refused before generating anything throws
   * FacturapiLoteRefusedError (`rejected`) naming the documents at fault.
   */
  async createLote(documents: readonly unknown[], options: { tax?: boolean } = {}): Promise<LoteCreateResult> {
    const body = await this.#call('POST', `${ROUTES.loteCreate}${options.tax ? '?tax=true' : ''}`, documents, 'submit');
    return this.#parse(() => parseLoteCreate(body), 'submit');
  }

  /** SIFEN's consulta-lote: 0360 unknown, 0361 in process, 0362 done (with results), 0364 too old. */
  async consultaLote(loteId: string): Promise<LoteConsultaResult> {
    const body = await this.#call('GET', ROUTES.loteConsulta(loteId), undefined, 'read');
    return this.#parse(() => parseLoteConsulta(body), 'read');
  }

  /** FacturApi's record of each CDC (one entry per CDC asked, `estado: null` when unknown). */
  async estadoDe(cdcs: readonly string[]): Promise<DeEstado[]> {
    const body = await this.#call('POST', ROUTES.deEstado, { cdcList: cdcs.map((cdc) => ({ cdc })) }, 'read');
    return this.#parse(() => parseDeEstado(body), 'read');
  }

  /** Cancelación event (only within 48 h of approval; FacturApi/SIFEN refuse later ones: `rejected`). */
  async cancelar(cdc: string, motivo: string): Promise<EventoResult> {
    const body = await this.#call('POST', ROUTES.eventoCancelacion, { cdc, motivo }, 'event');
    return this.#parse(() => parseEvento(body), 'event');
  }

  /** Inutilización event: declares numbers desde..hasta of one tipoDocumento, establecimiento and punto unused. */
  async inutilizar(request: InutilizacionRequest): Promise<EventoResult> {
    const body = await this.#call('POST', ROUTES.eventoInutilizacion, request, 'event');
    return this.#parse(() => parseEvento(body), 'event');
  }

  /**
   * Looks a RUC up at SIFEN ("80069563-1", or "80069563" and its DV apart). The check digit is
   * verified first (SET's modulo 11): a wrong one is `rejected` without a request. null when SIFEN
   * does not know the RUC.
   */
  async consultaRuc(ruc: string, dv?: string): Promise<RucInfo | null> {
    const typed = ruc.trim().replace(/\./g, '');
    const match = dv === undefined ? /^([0-9A-Za-z]{1,8})-(\d)$/.exec(typed) : (/^[0-9A-Za-z]{1,8}$/.test(typed) ? [typed, typed, dv.trim()] : null);
    if (!match || !/^\d$/.test(match[2]!)) {
      throw new TargetError('rejected', 'a RUC is 1 to 8 characters and its check digit, written "80069563-1"', { field: 'ruc' });
    }
    const number = match[1]!;
    const expected = rucCheckDigit(number, 'ruc');
    if (expected !== match[2]) {
      throw new TargetError('rejected', `the RUC ending in ${number.slice(-3)} has check digit ${expected}, not ${match[2]}: check the RUC`, { field: 'ruc' });
    }
    const body = await this.#call('GET', ROUTES.consultaRuc(number), undefined, 'read');
    const result = this.#parse(() => parseConsultaRuc(body), 'read');
    if (result.dCodRes !== SIFEN.RUC_ENCONTRADO.code || !result.xContRUC) return null;
    return {
      ruc: number,
      dv: expected,
      razonSocial: result.xContRUC.dRazCons,
      estado: result.xContRUC.dCodEstCons,
      estadoDescripcion: result.xContRUC.dDesEstCons,
      facturadorElectronico: result.xContRUC.dRUCFactElec === 'S',
    };
  }

  // ─── plumbing ──────────────────────────────────────────────────────────────────────────────────

  #parse<T>(parse: () => T, effect: Effect): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof UnexpectedResponseError)) throw error;
      throw new TargetError(effect === 'read' ? 'retryable' : 'unknown_outcome', error.message, { status: 200 });
    }
  }

  async #call(method: 'GET' | 'POST', route: string, body: unknown, effect: Effect): Promise<unknown> {
    const once = () => this.#gate.schedule(() => this.#request(method, route, body, effect));
    if (effect !== 'read') return once();
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
          this.#logger?.debug({ route: routeName(route), attemptNumber, retriesLeft }, 'facturapi request blip, retrying'),
      },
    );
  }

  async #request(method: 'GET' | 'POST', route: string, body: unknown, effect: Effect): Promise<unknown> {
    const init: RequestInit = {
      method,
      headers: { Authorization: authorizationHeader(this.#apiKey), Accept: 'application/json', 'Content-Type': 'application/json' },
      signal: AbortSignal.timeout(this.#timeouts[effect]),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const name = routeName(route);

    let status: number;
    let headers: Headers;
    let text: string;
    try {
      const response = await this.#fetch(`${this.#base}${route}`, init);
      status = response.status;
      headers = response.headers;
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const what = timedOut ? `timed out after ${this.#timeouts[effect]} ms` : 'network error';
      this.#logger?.warn({ route: name, effect, timedOut }, 'facturapi request failed before an answer');
      if (effect !== 'read') throw new TargetError('unknown_outcome', `FacturApi ${name}: ${what}; it may have been accepted`);
      throw new NetworkBlip(`FacturApi ${name}: ${what}`);
    }

    this.#logger?.debug({ route: name, status }, 'facturapi answered');
    const json = parseJson(text);
    if (status >= 200 && status < 300) {
      if (json === undefined) throw new TargetError(effect === 'read' ? 'retryable' : 'unknown_outcome', `FacturApi ${name}: answered ${status} without JSON`, { status });
      const failure = parseFailure(json);
      // A refusal inside a 200 is still a refusal of this request (FacturaSend answers some that way).
      if (failure) throw refusal(failure, status, name);
      return json;
    }
    throw this.#classifyStatus(status, headers, json, effect, name);
  }

  #classifyStatus(status: number, headers: Headers, json: unknown, effect: Effect, route: string): TargetError {
    const failure = parseFailure(json);
    const messages = failure ? splitMessages(failure.error).map(clean) : [];
    // A 503 is a request to wait only when it says how long; a bare 503 is an outage, retried like
    // any 5xx (pausing the account a default minute for it would stall every document behind it).
    if (status === 429 || (status === 503 && (headers.has('retry-after') || headers.has('x-ratelimit-reset')))) {
      const retryAfterMs = retryAfterMsFrom(headers, Date.now());
      this.#gate.pause(retryAfterMs);
      this.#logger?.warn({ route, status, retryAfterMs }, 'facturapi rate limited; limiter paused');
      return new TargetError('rate_limited', `FacturApi ${route}: ${status}, retry after ${retryAfterMs} ms`, { status, retryAfterMs, messages });
    }
    if (status === 401 || status === 403) return new TargetError('auth', `FacturApi ${route}: ${status} ${messages[0] ?? 'unauthorized'}; check apiKey and tenantId`, { status, messages });
    // Every route exists for every tenant: a 404 means baseUrl or tenantId is wrong, which no retry fixes.
    if (status === 404) return new TargetError('auth', `FacturApi ${route}: 404 not found; check baseUrl and tenantId`, { status, messages });
    if (status >= 400 && status < 500 && status !== 408) {
      if (failure) return refusal(failure, status, route);
      return new TargetError('rejected', `FacturApi ${route}: ${status}`, { status });
    }
    // 408 and 5xx: for a read, a blip or a retry later; for a submit or an event, FacturApi may
    // have done it before failing (a gateway timeout says nothing about the work behind it).
    if (effect !== 'read') return new TargetError('unknown_outcome', `FacturApi ${route}: ${status}; it may have been accepted`, { status, messages });
    return new TargetError('retryable', `FacturApi ${route}: ${status}`, { status, messages });
  }
}

function refusal(failure: FailureBody, status: number, route: string): TargetError {
  const messages = splitMessages(failure.error).map(clean);
  const byIndex = new Map<number, string[]>();
  for (const entry of failure.errores ?? []) byIndex.set(entry.indice, splitMessages(entry.error).map(clean));
  const field = fieldOf(messages[0] ?? '');
  const details = { status, messages, ...(field ? { field } : {}) };
  if (route === 'lote/create') return new FacturapiLoteRefusedError(messages[0] ?? `FacturApi ${route}: refused`, byIndex, details);
  return new TargetError('rejected', messages[0] ?? `FacturApi ${route}: refused`, details);
}

/** xmlgen names the field as `data.items[0].iva`; Puente's paths drop the `data.`. */
export function fieldOf(message: string): string | undefined {
  return /\bdata\.([A-Za-z][\w.[\]]*[\w\]])/.exec(message)?.[1];
}

class NetworkBlip extends TargetError {
  constructor(message: string) {
    super('retryable', message);
    this.name = 'TargetError';
  }
}

function isBlip(error: unknown): boolean {
  if (error instanceof NetworkBlip) return true;
  return error instanceof TargetError && error.kind === 'retryable' && (error.status === 502 || error.status === 504);
}


function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The route without ids or query, for logs and messages (`lote/create`, `lote`, `ruc`). */
function routeName(route: string): string {
  const parts = route.replace(/\?.*$/, '').split('/').filter(Boolean);
  if (parts[0] === 'lote' && parts[1] === 'create') return 'lote/create';
  if (parts[0] === 'lote' || parts[0] === 'ruc') return parts[0];
  return parts.slice(0, 2).join('/');
}

function clean(message: string): string {
  const scrubbed = scrubBuyerData(message);
  return scrubbed.length > MAX_MESSAGE_CHARS ? `${scrubbed.slice(0, MAX_MESSAGE_CHARS)}…` : scrubbed;
}
export { retryAfterMsFrom } from '../../src/target-kit/rate-gate.js';
