/**
 * Who is looking at the admin pages. Two kinds of viewer:
 * - the Puente admin: presents the admin token (Authorization: Bearer, or once on the login form,
 *   which then sets a session cookie);
 * - a store owner: signed in by installing through Shopify OAuth (a session cookie naming the shop),
 *   or presenting a Shopify session token (a JWT signed with the app's secret, as App Bridge sends
 *   it), which proves they are a user of that shop's admin.
 *
 * The cookie is `<payload>.<signature>`: HMAC-SHA256 with a key derived from PUENTE's secret key (not
 * the Shopify secret, so a cookie can never pass as a webhook signature), HttpOnly, SameSite=Lax,
 * Secure when the app is served over https. Forms carry a CSRF token bound to the cookie.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

export type Viewer = { kind: 'admin'; via: 'cookie' | 'bearer' } | { kind: 'shop'; shop: string; via: 'cookie' | 'session-token' };

const APP_COOKIE = 'puente_app';
const COOKIE_TTL_MS = 12 * 60 * 60 * 1000;

export interface AppAuthOptions {
  /** 32 bytes, derived from the secret key for this use only. */
  cookieKey: Buffer;
  adminToken: string;
  /** Set Secure on cookies (the app is served over https). */
  secureCookies: boolean;
  /** For Shopify session tokens: the app's key (JWT audience) and secret (JWT HS256 key). */
  shopify?: { apiKey: string; apiSecret: string };
  clock?: () => number;
}

interface CookiePayload {
  /** `admin` or `shop:<domain>` */
  sub: string;
  /** Expiry, epoch ms. */
  exp: number;
  /** Random: two sign-ins never share a CSRF token. */
  n: string;
}

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

export class AppAuth {
  readonly #options: AppAuthOptions;
  readonly #csrfKey: Buffer;
  readonly #clock: () => number;

  constructor(options: AppAuthOptions) {
    this.#options = options;
    this.#csrfKey = createHmac('sha256', options.cookieKey).update('csrf').digest();
    this.#clock = options.clock ?? Date.now;
  }

  /** True when `presented` is the admin token (constant time, whatever the lengths). */
  isAdminToken(presented: string): boolean {
    const expected = createHash('sha256').update(this.#options.adminToken).digest();
    return this.#options.adminToken.length > 0 && sameBytes(createHash('sha256').update(presented).digest(), expected);
  }

  signInAdmin(res: Response): void {
    this.#setCookie(res, 'admin');
  }

  signInShop(res: Response, shop: string): void {
    this.#setCookie(res, `shop:${shop}`);
  }

  signOut(res: Response): void {
    res.append('Set-Cookie', `${APP_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${this.#options.secureCookies ? '; Secure' : ''}`);
  }

  viewerOf(req: Request): Viewer | undefined {
    const authorization = req.get('authorization') ?? '';
    if (authorization.startsWith('Bearer ')) {
      const presented = authorization.slice(7).trim();
      if (this.isAdminToken(presented)) return { kind: 'admin', via: 'bearer' };
      const shop = this.#verifySessionToken(presented);
      if (shop) return { kind: 'shop', shop, via: 'session-token' };
      return undefined;
    }
    const payload = this.#readCookie(req);
    if (!payload) return undefined;
    if (payload.sub === 'admin') return { kind: 'admin', via: 'cookie' };
    const shop = payload.sub.slice('shop:'.length);
    return payload.sub.startsWith('shop:') && SHOP_DOMAIN.test(shop) ? { kind: 'shop', shop, via: 'cookie' } : undefined;
  }

  /** Shopify session token in `?id_token=` (an embedded app's first load): the shop it proves, if valid. */
  shopFromIdToken(token: unknown): string | undefined {
    return typeof token === 'string' ? this.#verifySessionToken(token) : undefined;
  }

  canSee(viewer: Viewer, shop: string): boolean {
    return viewer.kind === 'admin' || viewer.shop === shop;
  }

  /** The CSRF token forms must send back: bound to this sign-in's cookie. Empty for header-authenticated viewers. */
  csrfToken(req: Request): string {
    const cookie = readCookie(req, APP_COOKIE);
    return cookie ? createHmac('sha256', this.#csrfKey).update(cookie).digest('base64url') : '';
  }

  /**
   * A state-changing request is genuine when it was authenticated by a header (browsers never attach
   * those across sites) or carries the CSRF token of its cookie.
   */
  checkCsrf(req: Request, viewer: Viewer, presented: unknown): boolean {
    if (viewer.via === 'bearer' || viewer.via === 'session-token') return true;
    const expected = this.csrfToken(req);
    return typeof presented === 'string' && expected.length > 0 && sameBytes(Buffer.from(presented), Buffer.from(expected));
  }

  #setCookie(res: Response, sub: string): void {
    const payload: CookiePayload = { sub, exp: this.#clock() + COOKIE_TTL_MS, n: randomBytes(9).toString('base64url') };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const value = `${body}.${this.#sign(body)}`;
    const attributes = [`Path=/`, 'HttpOnly', 'SameSite=Lax', `Max-Age=${COOKIE_TTL_MS / 1000}`];
    if (this.#options.secureCookies) attributes.push('Secure');
    res.append('Set-Cookie', `${APP_COOKIE}=${value}; ${attributes.join('; ')}`);
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#options.cookieKey).update(body).digest('base64url');
  }

  #readCookie(req: Request): CookiePayload | undefined {
    const value = readCookie(req, APP_COOKIE);
    if (!value) return undefined;
    const [body, signature, extra] = value.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    if (!sameBytes(Buffer.from(signature), Buffer.from(this.#sign(body)))) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CookiePayload;
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number' || payload.exp < this.#clock()) return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }

  /**
   * A Shopify session token (HS256 JWT signed with the app's secret; aud = the app's key; dest = the
   * shop's URL). Returns the shop when every check passes; a few seconds of clock skew are allowed.
   */
  #verifySessionToken(token: string): string | undefined {
    const shopify = this.#options.shopify;
    if (!shopify?.apiSecret || !shopify.apiKey) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, body, signature] = parts as [string, string, string];
    const expected = createHmac('sha256', shopify.apiSecret).update(`${header}.${body}`).digest('base64url');
    if (!sameBytes(Buffer.from(signature), Buffer.from(expected))) return undefined;
    try {
      const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
      if (head.alg !== 'HS256') return undefined;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { aud?: unknown; dest?: unknown; exp?: unknown; nbf?: unknown };
      const now = Math.floor(this.#clock() / 1000);
      const skew = 10;
      if (typeof claims.exp !== 'number' || claims.exp + skew < now) return undefined;
      if (typeof claims.nbf === 'number' && claims.nbf - skew > now) return undefined;
      if (claims.aud !== shopify.apiKey) return undefined;
      if (typeof claims.dest !== 'string') return undefined;
      const host = new URL(claims.dest).hostname.toLowerCase();
      return SHOP_DOMAIN.test(host) ? host : undefined;
    } catch {
      return undefined;
    }
  }
}
