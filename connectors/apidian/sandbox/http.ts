/**
 * The HTTP behaviour around APIDIAN's routes: Laravel's token guard, `throttle:60,1`, the error
 * bodies of stock Laravel and of the co-apidian2026 fork, and the faults a test can inject.
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { applyLatency, takeError, chaosFaultsShape, noChaosFaults, takeRateLimit, type ChaosFaults } from '../../../src/target-kit/sandbox-routes.js';
import type { LaravelErrors } from '../wire.js';
import type { SandboxCompany, SandboxStore } from './state.js';

/**
 * - `laravel`: stock Laravel (soenac, facturalatam until 2022): 422 `{message, errors}`, 401 `{message}`.
 * - `fork500`: co-apidian2026's Handler: every exception becomes `{success:false, message:"Error
 *   interno del servidor", error}` with the exception's HTTP status, which validation and auth
 *   exceptions lack — so they arrive as 500.
 */
export type ErrorStyle = 'laravel' | 'fork500';

export function sendValidationError(res: Response, style: ErrorStyle, errors: LaravelErrors): void {
  if (style === 'fork500') {
    // Laravel 10's ValidationException message: the first error plus "(and N more errors)".
    const all = Object.values(errors).flat();
    const rest = all.length - 1;
    const summary = rest > 0 ? `${all[0]} (and ${rest} more ${rest === 1 ? 'error' : 'errors'})` : (all[0] ?? 'The given data was invalid.');
    res.status(500).json({ success: false, message: 'Error interno del servidor', error: summary });
    return;
  }
  res.status(422).json({ message: 'The given data was invalid.', errors });
}

export function sendUnauthenticated(res: Response, style: ErrorStyle): void {
  if (style === 'fork500') {
    res.status(500).json({ success: false, message: 'Error interno del servidor', error: 'Unauthenticated.' });
    return;
  }
  res.status(401).json({ message: 'Unauthenticated.' });
}

export function sendTooManyAttempts(res: Response, style: ErrorStyle, retryAfterSeconds: number, limit: number): void {
  res.setHeader('Retry-After', String(retryAfterSeconds));
  res.setHeader('X-RateLimit-Limit', String(limit));
  res.setHeader('X-RateLimit-Remaining', '0');
  res.setHeader('X-RateLimit-Reset', String(Math.floor(Date.now() / 1000) + retryAfterSeconds));
  // ThrottleRequestsException is an HttpException: the fork keeps its 429.
  if (style === 'fork500') {
    res.status(429).json({ success: false, message: 'Error interno del servidor', error: 'Too Many Attempts.' });
    return;
  }
  res.status(429).json({ message: 'Too Many Attempts.' });
}

/** An exception inside a controller, as APIDIAN would render it. */
export function sendServerError(res: Response, style: ErrorStyle, exceptionMessage: string): void {
  if (style === 'fork500') {
    res.status(500).json({ success: false, message: 'Error interno del servidor', error: exceptionMessage });
    return;
  }
  res.status(500).json({ message: 'Server Error' });
}

/**
 * Laravel's TokenGuard input: `?api_token=`, body `api_token`, `Authorization: Bearer`, or the
 * password of basic auth.
 */
export function tokenOf(req: Request): string | undefined {
  const query = req.query.api_token;
  if (typeof query === 'string' && query) return query;
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && typeof body.api_token === 'string' && body.api_token) return body.api_token;
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim() || undefined;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return password || undefined;
  }
  return undefined;
}

export interface AuthenticatedLocals {
  company: SandboxCompany;
}

export function authenticate(store: SandboxStore, style: ErrorStyle) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = tokenOf(req);
    const company = token ? store.companyByToken(token) : undefined;
    if (!company) return sendUnauthenticated(res, style);
    (res.locals as AuthenticatedLocals).company = company;
    next();
  };
}

/**
 * `throttle:60,1`: a fixed one-minute window per signature — the company of a valid token, else
 * the client address (Laravel resolves the user lazily, so anonymous calls count per IP).
 */
export class RateLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly limit: number,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one request; returns the remaining allowance, or the seconds to wait when exhausted. */
  hit(signature: string): { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number } {
    const now = this.now();
    let window = this.#windows.get(signature);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.#windows.set(signature, window);
    }
    if (window.count >= this.limit) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
    }
    window.count += 1;
    return { allowed: true, remaining: this.limit - window.count };
  }

  clear(): void {
    this.#windows.clear();
  }
}

export function throttle(limiter: RateLimiter, store: SandboxStore, style: ErrorStyle) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = tokenOf(req);
    const company = token ? store.companyByToken(token) : undefined;
    const signature = company ? `company:${company.nit}` : `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
    const result = limiter.hit(signature);
    if (!result.allowed) return sendTooManyAttempts(res, style, result.retryAfterSeconds, limiter.limit);
    res.setHeader('X-RateLimit-Limit', String(limiter.limit));
    res.setHeader('X-RateLimit-Remaining', String(result.remaining));
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

/** Latency, forced 429s and random 5xx, applied before anything else on the API routes. */
export function injectFaults(faults: SandboxFaults, style: ErrorStyle, limit: () => number, random: () => number) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    await applyLatency(faults, random);
    if (takeRateLimit(faults, random)) {
      return sendTooManyAttempts(res, style, faults.retryAfterSeconds, limit());
    }
    if (takeError(faults, random)) {
      if (random() < 0.5) {
        res.status(503).json({ message: 'Service Unavailable' });
      } else {
        sendServerError(res, style, 'Simulated failure (sandbox fault injection)');
      }
      return;
    }
    next();
  };
}
