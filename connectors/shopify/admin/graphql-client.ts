/**
 * A GraphQL Admin API client for many shops, pinned to one API version: `POST
 * <origin>/admin/api/<version>/graphql.json` with the shop's offline token in
 * `X-Shopify-Access-Token`.
 *
 * Shopify's cost bucket (reference §1.11) is respected rather than fought: requests to one shop go
 * one at a time, each waits until the bucket (as last reported, plus what has flowed back since)
 * holds the query's expected cost, and a THROTTLED answer waits for the refill and tries again —
 * running out of points is a reason to wait, never to fail. Network errors, 429 and 5xx are retried
 * a few times (p-retry); what remains becomes a TargetError the caller acts on by `kind`.
 */
import pRetry, { AbortError } from 'p-retry';
import { TargetError } from '../../../src/errors.js';
import { CostBucket, costOf, type QueryCost } from './cost-bucket.js';

export interface AdminLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface ShopifyGraphqlClientOptions {
  /** `2026-01`. Admin API versions are quarterly (`YYYY-01/04/07/10`); `unstable` is refused. */
  apiVersion: string;
  /** The shop's Admin API access token (offline OAuth token or custom-app token); undefined = not installed. */
  accessTokenFor(shop: string): Promise<string | undefined>;
  /** `https://<shop>` by default; a simulator's `http://127.0.0.1:PORT` in tests and demos. */
  adminOrigin?: string | ((shop: string) => string);
  fetch?: typeof globalThis.fetch;
  /** Waits for the cost bucket; injectable so tests need not wait in real time. */
  sleep?: Sleep;
  /** Milliseconds since the epoch; injectable with `sleep`. */
  now?: () => number;
  logger?: AdminLogger;
  /** Short retries for network blips, 429 and 5xx (p-retry options). */
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number };
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** How many THROTTLED answers in a row one request waits out before giving up as rate_limited. Default 20. */
  maxThrottledRetries?: number;
  /** Cost assumed for a query never run before (its requested cost is remembered afterwards). Default 100. */
  defaultQueryCost?: number;
}

export interface GraphqlRequest {
  /** The operation, e.g. `query PuenteOrdersPage(...) {...}`; its name labels logs and metrics. */
  query: string;
  variables?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface ShopifyGraphqlClient {
  readonly apiVersion: string;
  /** The `data` of a successful answer; a TargetError otherwise. */
  request<T>(shop: string, request: GraphqlRequest): Promise<T>;
  /** The cost of the last answer from this shop (for logs and tests). */
  lastCost(shop: string): QueryCost | undefined;
}

interface GraphqlError {
  message?: unknown;
  extensions?: { code?: unknown } & Record<string, unknown>;
}

const API_VERSION = /^\d{4}-(01|04|07|10)$/;
/** `uri` on webhook subscriptions (the only field this connector reads for the address) arrived in 2025-10. */
const OLDEST_SUPPORTED_VERSION = '2025-10';

export function validateAdminApiVersion(version: string): string {
  if (!API_VERSION.test(version)) {
    throw new Error(`shopify.apiVersion "${version}" is not a Shopify Admin API version; use a quarterly version such as 2026-01`);
  }
  if (version < OLDEST_SUPPORTED_VERSION) {
    throw new Error(`shopify.apiVersion "${version}" is older than ${OLDEST_SUPPORTED_VERSION}, the oldest version Puente's Admin API queries are written for`);
  }
  return version;
}

const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The operation's name (`PuenteOrdersPage`), for logs: never the variables, which may hold buyer data. */
export function operationName(query: string): string {
  return /^\s*(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(query)?.[1] ?? 'anonymous';
}

/** Seconds (or an HTTP date) of `Retry-After`, as ms. */
function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A failure worth repeating after a short pause (network, 429, 5xx). */
class Blip extends Error {
  constructor(
    message: string,
    readonly final: TargetError,
  ) {
    super(message);
    this.name = 'Blip';
  }
}

/** THROTTLED: wait this long, then ask again. */
class Throttled extends Error {
  constructor(readonly waitMs: number) {
    super('Throttled');
    this.name = 'Throttled';
  }
}

function errorCodes(errors: GraphqlError[]): string[] {
  return errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : '')).filter(Boolean);
}

function errorMessages(errors: GraphqlError[]): string[] {
  return errors.map((e) => (typeof e.message === 'string' ? e.message : JSON.stringify(e.message ?? e)).slice(0, 500));
}

export function createShopifyGraphqlClient(options: ShopifyGraphqlClientOptions): ShopifyGraphqlClient {
  const apiVersion = validateAdminApiVersion(options.apiVersion);
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const log = options.logger;
  const retry = { retries: 3, minTimeout: 250, maxTimeout: 2_000, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxThrottled = options.maxThrottledRetries ?? 20;
  const defaultCost = options.defaultQueryCost ?? 100;

  const buckets = new Map<string, CostBucket>();
  const lastCosts = new Map<string, QueryCost>();
  /** Requested cost per operation text, as Shopify last estimated it. */
  const knownCosts = new Map<string, number>();
  /** Per shop, the tail of the queue: one request at a time, so two never spend the same points. */
  const queues = new Map<string, Promise<unknown>>();

  const originFor = (shop: string): string => {
    const origin = typeof options.adminOrigin === 'function' ? options.adminOrigin(shop) : (options.adminOrigin ?? `https://${shop}`);
    return origin.replace(/\/+$/, '');
  };

  const bucketFor = (shop: string): CostBucket => {
    let bucket = buckets.get(shop);
    if (!bucket) buckets.set(shop, (bucket = new CostBucket()));
    return bucket;
  };

  function observe(shop: string, query: string, cost: QueryCost | undefined): void {
    if (!cost) return;
    lastCosts.set(shop, cost);
    if (cost.throttleStatus) bucketFor(shop).observe(cost.throttleStatus, now());
    if (cost.requestedQueryCost !== undefined) knownCosts.set(query, cost.requestedQueryCost);
  }

  /** One HTTP exchange: the `data`, or Blip / Throttled / TargetError. */
  async function exchange<T>(shop: string, token: string, request: GraphqlRequest): Promise<T> {
    const name = operationName(request.query);
    const url = `${originFor(shop)}/admin/api/${apiVersion}/graphql.json`;
    const signals = [AbortSignal.timeout(timeoutMs), ...(request.signal ? [request.signal] : [])];
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Shopify-Access-Token': token },
        body: JSON.stringify({ query: request.query, variables: request.variables ?? {} }),
        signal: AbortSignal.any(signals),
      });
      text = await response.text();
    } catch (error) {
      if (request.signal?.aborted) throw new AbortError(request.signal.reason instanceof Error ? request.signal.reason : new Error('aborted'));
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const what = timedOut ? `timed out after ${timeoutMs} ms` : `network error (${error instanceof Error ? error.message : String(error)})`;
      throw new Blip(`Shopify Admin API ${name} for ${shop}: ${what}`, new TargetError('retryable', `Shopify Admin API ${name} for ${shop}: ${what}`));
    }

    const status = response.status;
    let body: { data?: unknown; errors?: unknown; extensions?: unknown } | undefined;
    try {
      body = text ? (JSON.parse(text) as typeof body) : undefined;
    } catch {
      body = undefined;
    }
    const cost = costOf(body?.extensions);
    observe(shop, request.query, cost);
    log?.debug({ shop, operation: name, status, cost: cost?.actualQueryCost, available: cost?.throttleStatus?.currentlyAvailable }, 'shopify admin answered');

    if (status === 401 || status === 403) {
      throw new TargetError(
        'auth',
        `Shopify Admin API ${name} for ${shop}: ${status} — the access token was refused (app uninstalled, token revoked, or a scope missing); reinstall the app or update the token`,
        { status },
      );
    }
    if (status === 429) {
      const wait = retryAfterMs(response.headers, now()) ?? 1_000;
      throw new Blip(
        `Shopify Admin API ${name} for ${shop}: 429`,
        new TargetError('rate_limited', `Shopify Admin API ${name} for ${shop}: 429 Too Many Requests`, { status, retryAfterMs: wait }),
      );
    }
    if (status >= 500 || status === 408) {
      throw new Blip(
        `Shopify Admin API ${name} for ${shop}: ${status}`,
        new TargetError('retryable', `Shopify Admin API ${name} for ${shop}: answered ${status}`, { status }),
      );
    }
    if (status < 200 || status >= 300) {
      const messages = Array.isArray(body?.errors) ? errorMessages(body.errors as GraphqlError[]) : typeof body?.errors === 'string' ? [body.errors] : [];
      throw new TargetError('rejected', `Shopify Admin API ${name} for ${shop}: answered ${status}${messages.length ? `: ${messages.join('; ')}` : ''}`, {
        status,
        messages,
      });
    }
    if (!body) {
      throw new Blip(
        `Shopify Admin API ${name} for ${shop}: answered ${status} without JSON`,
        new TargetError('retryable', `Shopify Admin API ${name} for ${shop}: answered ${status} without JSON`, { status }),
      );
    }

    const errors = Array.isArray(body.errors) ? (body.errors as GraphqlError[]) : [];
    if (errors.length > 0) {
      const codes = errorCodes(errors);
      const messages = errorMessages(errors);
      if (codes.includes('THROTTLED') || messages.some((m) => m === 'Throttled')) {
        const needed = cost?.requestedQueryCost ?? knownCosts.get(request.query) ?? defaultCost;
        const wait = bucketFor(shop).waitFor(needed, now());
        // Without a status to compute from, a second restores at least a little.
        throw new Throttled(bucketFor(shop).known ? Math.max(wait, 1) : 1_000);
      }
      if (codes.includes('ACCESS_DENIED')) {
        throw new TargetError('auth', `Shopify Admin API ${name} for ${shop}: access denied (${messages.join('; ')}); the app lacks a scope this needs`, {
          status,
          messages,
        });
      }
      if (codes.includes('INTERNAL_SERVER_ERROR')) {
        throw new Blip(
          `Shopify Admin API ${name} for ${shop}: internal error`,
          new TargetError('retryable', `Shopify Admin API ${name} for ${shop}: ${messages.join('; ')}`, { status, messages }),
        );
      }
      throw new TargetError('rejected', `Shopify Admin API ${name} for ${shop}: ${messages.join('; ')}`, { status, messages });
    }
    if (body.data === undefined || body.data === null) {
      throw new TargetError('rejected', `Shopify Admin API ${name} for ${shop}: answered without data`, { status });
    }
    return body.data as T;
  }

  async function run<T>(shop: string, request: GraphqlRequest): Promise<T> {
    const token = await options.accessTokenFor(shop);
    if (!token) {
      throw new TargetError('auth', `Shopify Admin API: no access token for ${shop}; install the app on the shop (OAuth) or set the connection's source.accessToken`);
    }
    const name = operationName(request.query);
    const bucket = bucketFor(shop);
    let throttled = 0;
    for (;;) {
      const expected = knownCosts.get(request.query) ?? defaultCost;
      const wait = bucket.waitFor(expected, now());
      if (wait > 0) {
        log?.debug({ shop, operation: name, waitMs: wait, expected }, 'shopify admin: waiting for the cost bucket');
        await sleep(wait, request.signal);
      }
      try {
        return await pRetry(
          async () => {
            try {
              return await exchange<T>(shop, token, request);
            } catch (error) {
              if (error instanceof Blip) throw error;
              throw new AbortError(error as Error);
            }
          },
          {
            retries: retry.retries,
            minTimeout: retry.minTimeout,
            maxTimeout: retry.maxTimeout,
            randomize: true,
            ...(request.signal ? { signal: request.signal } : {}),
            onFailedAttempt: ({ attemptNumber, retriesLeft }) =>
              log?.debug({ shop, operation: name, attemptNumber, retriesLeft }, 'shopify admin request failed, retrying'),
          },
        );
      } catch (error) {
        if (error instanceof Throttled) {
          throttled++;
          if (throttled > maxThrottled) {
            throw new TargetError('rate_limited', `Shopify Admin API ${name} for ${shop}: still throttled after ${maxThrottled} waits`, {
              retryAfterMs: error.waitMs,
            });
          }
          log?.info({ shop, operation: name, waitMs: error.waitMs }, 'shopify admin throttled; waiting for the bucket to refill');
          await sleep(error.waitMs, request.signal);
          continue;
        }
        if (error instanceof Blip) throw error.final;
        throw error;
      }
    }
  }

  return {
    apiVersion,
    request<T>(shop: string, request: GraphqlRequest): Promise<T> {
      const previous = queues.get(shop) ?? Promise.resolve();
      const result = previous.then(
        () => run<T>(shop, request),
        () => run<T>(shop, request),
      );
      const tail = result.catch(() => undefined);
      queues.set(shop, tail);
      void tail.then(() => {
        if (queues.get(shop) === tail) queues.delete(shop);
      });
      return result;
    },
    lastCost: (shop) => lastCosts.get(shop),
  };
}
