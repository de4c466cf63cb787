/**
 * The HTTP behaviour around tuimprenta's routes: the error envelope, bearer-key auth, the
 * 60-requests-per-minute window with its `X-RateLimit-*` headers, multipart bodies, and the faults a
 * test can inject.
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { applyLatency, takeError, chaosFaultsShape, noChaosFaults, takeRateLimit, type ChaosFaults } from '../../../src/target-kit/sandbox-routes.js';
import type { ApiFailure } from './fiscal.js';
import type { ApiErrorShape, SandboxAccount, SandboxStore } from './state.js';

export function sendError(res: Response, status: number, error: ApiErrorShape): void {
  res.status(status).json({ error });
}

export function sendFailure(res: Response, failure: ApiFailure): void {
  sendError(res, failure.status, failure.error);
}

export interface AuthenticatedLocals {
  account: SandboxAccount;
}

export function accountOf(res: Response): SandboxAccount {
  return (res.locals as AuthenticatedLocals).account;
}

/** `Authorization: Bearer <api key>`; anything else is 401 before the request counts against a limit. */
export function authenticate(store: SandboxStore) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization ?? '';
    const key = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const account = key ? store.accountByKey(key) : undefined;
    if (!account) {
      sendError(res, 401, {
        type: 'authentication_error',
        message: key ? 'the API key is not valid' : 'send the API key as Authorization: Bearer <key>',
        field: null,
        code: key ? 'invalid_api_key' : 'missing_api_key',
      });
      return;
    }
    (res.locals as AuthenticatedLocals).account = account;
    next();
  };
}

/**
 * 60 requests per minute per key, as a fixed window that opens with the first request. Every answer
 * says how much is left: X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (epoch
 * seconds, rounded up, when the window closes); the 429 adds Retry-After (seconds).
 */
export class RateLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly limit: number,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  hit(key: string): { allowed: boolean; remaining: number; resetAt: number } {
    const now = this.now();
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.#windows.set(key, window);
    }
    if (window.count >= this.limit) return { allowed: false, remaining: 0, resetAt: window.resetAt };
    window.count += 1;
    return { allowed: true, remaining: this.limit - window.count, resetAt: window.resetAt };
  }

  clear(): void {
    this.#windows.clear();
  }
}

export function sendRateLimited(res: Response, limit: number, resetAt: number, now: number): void {
  const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
  res.setHeader('X-RateLimit-Limit', String(limit));
  res.setHeader('X-RateLimit-Remaining', '0');
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(resetAt / 1000)));
  res.setHeader('Retry-After', String(retryAfter));
  sendError(res, 429, {
    type: 'rate_limit_error',
    message: `too many requests: ${limit} per minute per API key; retry after ${retryAfter} s`,
    field: null,
    code: 'rate_limit_exceeded',
  });
}

export function throttle(limiter: RateLimiter, now: () => number) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const account = accountOf(res);
    const result = limiter.hit(account.apiKey);
    if (!result.allowed) return sendRateLimited(res, limiter.limit, result.resetAt, now());
    res.setHeader('X-RateLimit-Limit', String(limiter.limit));
    res.setHeader('X-RateLimit-Remaining', String(result.remaining));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(result.resetAt / 1000)));
    next();
  };
}

// ─── Faults ────────────────────────────────────────────────────────────────────────────────────

export const FaultsInput = z.strictObject({
  errorRate: z.number().min(0).max(1, { error: 'errorRate must be between 0 and 1' }).optional(),
  latencyMs: z.number().int().min(0).max(120_000, { error: 'latencyMs must be 0..120000' }).optional(),
  force429: z.number().int().min(0).optional(),
  /** Retry-After of the forced 429s, in seconds (default 1). */
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /** The next N creating requests (invoice, batch, cancel) are carried out, then the connection is dropped. */
  dropAfterAccept: z.number().int().min(0).optional(),
  ...chaosFaultsShape,
});

export interface SandboxFaults extends ChaosFaults {
  errorRate: number;
  latencyMs: number;
  force429: number;
  retryAfterSeconds: number;
  dropAfterAccept: number;
}

export function noFaults(): SandboxFaults {
  return { errorRate: 0, latencyMs: 0, force429: 0, retryAfterSeconds: 1, dropAfterAccept: 0, ...noChaosFaults() };
}

/** Latency, forced 429s and random 500/503s, before anything else on /v1. */
export function injectFaults(faults: SandboxFaults, limit: () => number, now: () => number, random: () => number) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    await applyLatency(faults, random);
    if (takeRateLimit(faults, random)) {
      return sendRateLimited(res, limit(), now() + faults.retryAfterSeconds * 1000, now());
    }
    if (takeError(faults, random)) {
      const unavailable = random() < 0.5;
      sendError(res, unavailable ? 503 : 500, {
        type: 'api_error',
        message: unavailable ? 'the service is temporarily unavailable (sandbox fault)' : 'internal error (sandbox fault)',
        field: null,
        code: unavailable ? 'service_unavailable' : 'internal_error',
      });
      return;
    }
    next();
  };
}

// ─── multipart/form-data ──────────────────────────────────────────────────────────────────────

export interface FormPart {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

/** Parts of a multipart/form-data body (RFC 7578); undefined when the body is not well-formed. */
export function parseMultipart(body: Buffer, contentType: string): FormPart[] | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const mark = boundary?.[1] ?? boundary?.[2];
  if (!mark) return undefined;
  const delimiter = Buffer.from(`--${mark}`);
  const parts: FormPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) return undefined;
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') return parts;
    if (body.subarray(position, position + 2).toString() !== '\r\n') return undefined;
    position += 2;
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) return undefined;
    const headers = body.subarray(position, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return undefined;
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const type = headers.find((h) => /^content-type:/i.test(h))?.split(':')[1]?.trim();
    parts.push({ name, filename, contentType: type, data: body.subarray(headerEnd + 4, next) });
    position = next + 2;
  }
}
