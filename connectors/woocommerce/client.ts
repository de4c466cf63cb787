/**
 * The WooCommerce REST API (wp-json/wc/v3), read-only: the orders list the sweep walks and one refund.
 * Over https it authenticates with HTTP Basic (consumer key and secret); over plain http WooCommerce
 * refuses Basic and wants OAuth 1.0a one-legged signatures in the query string (local stores, the
 * sandbox). Failures become TargetErrors whose `kind` says what to do: `auth` (401/403: fix the key),
 * `rate_limited` (429, with Retry-After), `retryable` (network, 408, 5xx, an unreadable answer),
 * `rejected` (404 and other 4xx: asking again will not help). Network blips, 5xx and 429 are retried
 * a few times here, quickly; anything longer is the caller's to reschedule.
 */
import pRetry, { AbortError } from 'p-retry';
import { TargetError } from '../../src/errors.js';
import { retryAfterMsFrom } from '../../src/target-kit/rate-gate.js';
import { oauthSignedUrl } from './signing.js';

export interface WooCommerceClientOptions {
  /** The store's home URL, e.g. https://shop.example (with WordPress's sub-folder if any). */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number };
  logger?: { debug(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

export interface OrdersPage {
  orders: Record<string, unknown>[];
  /** X-WP-Total: how many orders match the query. */
  total?: number;
  /** X-WP-TotalPages */
  totalPages?: number;
}

export interface ListOrdersQuery {
  /** GMT, `YYYY-MM-DDTHH:MM:SS`: orders modified after this instant. */
  modifiedAfter: string;
  page: number;
  perPage: number;
  signal?: AbortSignal;
}

const MAX_MESSAGE = 200;

export class WooCommerceClient {
  readonly #base: string;
  readonly #options: WooCommerceClientOptions;
  readonly #fetch: typeof globalThis.fetch;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number };

  constructor(options: WooCommerceClientOptions) {
    this.#options = options;
    this.#base = `${options.url.replace(/\/+$/, '')}/wp-json/wc/v3`;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#retry = { retries: 3, minTimeout: 200, maxTimeout: 2_000, ...options.retry };
  }

  /** Orders modified after an instant, oldest change first, of every status. */
  async listOrders(query: ListOrdersQuery): Promise<OrdersPage> {
    const params = new URLSearchParams({
      modified_after: query.modifiedAfter,
      dates_are_gmt: 'true',
      orderby: 'modified',
      order: 'asc',
      status: 'any',
      page: String(query.page),
      per_page: String(query.perPage),
    });
    const { json, headers } = await this.#get(`/orders?${params}`, 'orders', query.signal);
    if (!Array.isArray(json)) throw new TargetError('retryable', 'WooCommerce orders: the answer is not a list of orders');
    const total = Number(headers.get('x-wp-total'));
    const totalPages = Number(headers.get('x-wp-totalpages'));
    return {
      orders: json.filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o)),
      ...(headers.get('x-wp-total') !== null && Number.isFinite(total) ? { total } : {}),
      ...(headers.get('x-wp-totalpages') !== null && Number.isFinite(totalPages) ? { totalPages } : {}),
    };
  }

  /** One refund with its lines, as `/orders/{id}/refunds/{refund_id}` gives it. */
  async getRefund(orderId: string, refundId: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const { json } = await this.#get(`/orders/${encodeURIComponent(orderId)}/refunds/${encodeURIComponent(refundId)}`, 'refund', signal);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TargetError('retryable', `WooCommerce refund ${refundId}: the answer is not a refund object`);
    }
    return json as Record<string, unknown>;
  }

  async #get(path: string, what: string, signal?: AbortSignal): Promise<{ json: unknown; headers: Headers }> {
    return pRetry(
      async () => {
        try {
          return await this.#request(path, what, signal);
        } catch (error) {
          const kind = error instanceof TargetError ? error.kind : 'retryable';
          if (signal?.aborted || (kind !== 'retryable' && kind !== 'rate_limited')) throw new AbortError(error as Error);
          // A long Retry-After is the caller's to wait out, not ours.
          if (error instanceof TargetError && (error.retryAfterMs ?? 0) > this.#retry.maxTimeout) throw new AbortError(error);
          throw error;
        }
      },
      {
        retries: this.#retry.retries,
        minTimeout: this.#retry.minTimeout,
        maxTimeout: this.#retry.maxTimeout,
        randomize: true,
        ...(signal ? { signal } : {}),
        onFailedAttempt: ({ attemptNumber, retriesLeft }) =>
          this.#options.logger?.debug({ what, attemptNumber, retriesLeft }, 'woocommerce request failed, retrying'),
      },
    );
  }

  async #request(path: string, what: string, signal?: AbortSignal): Promise<{ json: unknown; headers: Headers }> {
    const url = `${this.#base}${path}`;
    const overHttps = url.startsWith('https:');
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'Puente (WooCommerce source)' };
    if (overHttps) {
      headers.Authorization = `Basic ${Buffer.from(`${this.#options.consumerKey}:${this.#options.consumerSecret}`).toString('base64')}`;
    }
    const target = overHttps
      ? url
      : oauthSignedUrl('GET', url, { consumerKey: this.#options.consumerKey, consumerSecret: this.#options.consumerSecret });
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 30_000);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(target, { method: 'GET', headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      this.#options.logger?.warn({ what, timedOut }, 'woocommerce request failed before an answer');
      throw new TargetError('retryable', `WooCommerce ${what}: ${timedOut ? 'timed out' : 'network error'} (${this.#host()})`);
    }
    const json = parseJson(text);
    if (response.status >= 200 && response.status < 300) {
      if (json === undefined) {
        throw new TargetError('retryable', `WooCommerce ${what}: answered ${response.status} without JSON (is ${this.#host()} a WordPress site with pretty permalinks?)`, { status: response.status });
      }
      return { json, headers: response.headers };
    }
    const message = wooMessage(json);
    const status = response.status;
    if (status === 401 || status === 403) {
      throw new TargetError(
        'auth',
        `WooCommerce ${what}: ${status} ${message ?? 'unauthorized'}; check the connection's consumerKey/consumerSecret (a key with Read access)`,
        { status },
      );
    }
    if (status === 429) {
      const retryAfterMs = retryAfterMsFrom(response.headers, Date.now(), 30_000);
      throw new TargetError('rate_limited', `WooCommerce ${what}: 429, retry after ${retryAfterMs} ms`, { status, retryAfterMs });
    }
    if (status === 408 || status >= 500) throw new TargetError('retryable', `WooCommerce ${what}: ${status}${message ? ` ${message}` : ''}`, { status });
    throw new TargetError('rejected', `WooCommerce ${what}: ${status}${message ? ` ${message}` : ''}`, { status, ...(message ? { messages: [message] } : {}) });
  }

  #host(): string {
    return new URL(this.#options.url).host;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** WordPress REST errors: {"code":"woocommerce_rest_…","message":"…","data":{"status":…}}. */
function wooMessage(json: unknown): string | undefined {
  const record = json as { code?: unknown; message?: unknown } | undefined;
  const message = typeof record?.message === 'string' ? record.message : undefined;
  const code = typeof record?.code === 'string' ? record.code : undefined;
  const text = [code, message].filter(Boolean).join(': ');
  return text ? text.slice(0, MAX_MESSAGE) : undefined;
}
