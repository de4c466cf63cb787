/**
 * Who a request is: the admin token, a signed session cookie, or a Shopify session token (JWT signed
 * with the app's secret). Forged, expired or foreign credentials are nobody; CSRF tokens are bound to
 * one sign-in.
 */
import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { AppAuth } from '../../../src/http/app-auth.js';

const API_KEY = 'client-id-1';
const API_SECRET = 'app-secret-1';
const NOW = Date.parse('2026-03-14T15:00:00Z');
const auth = new AppAuth({
  cookieKey: Buffer.alloc(32, 3),
  adminToken: 'admin-token-xyz',
  secureCookies: true,
  shopify: { apiKey: API_KEY, apiSecret: API_SECRET },
  clock: () => NOW,
});

function request(headers: Record<string, string>): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { headers: lower, get: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

/** Captures Set-Cookie lines, returning the Cookie header a browser would send back. */
function signIn(act: (res: Response) => void): { cookie: string; setCookie: string } {
  const lines: string[] = [];
  act({ append: (_name: string, value: string) => lines.push(value) } as unknown as Response);
  return { cookie: lines[0]!.split(';')[0]!, setCookie: lines[0]! };
}

function jwt(claims: Record<string, unknown>, secret = API_SECRET, alg = 'HS256'): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

const seconds = Math.floor(NOW / 1000);
const GOOD_CLAIMS = { iss: 'https://acme.myshopify.com/admin', dest: 'https://acme.myshopify.com', aud: API_KEY, sub: '42', exp: seconds + 60, nbf: seconds - 5, iat: seconds - 5 };

describe('AppAuth', () => {
  it('knows the admin by bearer token or by the cookie the login sets', () => {
    expect(auth.viewerOf(request({ authorization: 'Bearer admin-token-xyz' }))).toEqual({ kind: 'admin', via: 'bearer' });
    expect(auth.viewerOf(request({ authorization: 'Bearer admin-token-xy' }))).toBeUndefined();
    const { cookie, setCookie } = signIn((res) => auth.signInAdmin(res));
    expect(setCookie).toMatch(/HttpOnly; SameSite=Lax; Max-Age=\d+; Secure/);
    expect(auth.viewerOf(request({ cookie }))).toEqual({ kind: 'admin', via: 'cookie' });
  });

  it('knows a store owner by their shop cookie, for that shop only', () => {
    const { cookie } = signIn((res) => auth.signInShop(res, 'acme.myshopify.com'));
    const viewer = auth.viewerOf(request({ cookie: `other=1; ${cookie}` }))!;
    expect(viewer).toEqual({ kind: 'shop', shop: 'acme.myshopify.com', via: 'cookie' });
    expect(auth.canSee(viewer, 'acme.myshopify.com')).toBe(true);
    expect(auth.canSee(viewer, 'other.myshopify.com')).toBe(false);
  });

  it('refuses a cookie whose payload was changed, or that expired', () => {
    const { cookie } = signIn((res) => auth.signInShop(res, 'acme.myshopify.com'));
    const [name, value] = cookie.split('=') as [string, string];
    const [, signature] = value.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ sub: 'admin', exp: NOW + 1000, n: 'x' })).toString('base64url');
    expect(auth.viewerOf(request({ cookie: `${name}=${forgedBody}.${signature}` }))).toBeUndefined();
    const later = new AppAuth({ cookieKey: Buffer.alloc(32, 3), adminToken: 'a', secureCookies: true, clock: () => NOW + 13 * 3600 * 1000 });
    expect(later.viewerOf(request({ cookie }))).toBeUndefined();
    const otherKey = new AppAuth({ cookieKey: Buffer.alloc(32, 4), adminToken: 'a', secureCookies: true, clock: () => NOW });
    expect(otherKey.viewerOf(request({ cookie }))).toBeUndefined();
  });

  it('accepts a Shopify session token signed with the app secret, for its shop', () => {
    expect(auth.viewerOf(request({ authorization: `Bearer ${jwt(GOOD_CLAIMS)}` }))).toEqual({ kind: 'shop', shop: 'acme.myshopify.com', via: 'session-token' });
    expect(auth.shopFromIdToken(jwt(GOOD_CLAIMS))).toBe('acme.myshopify.com');
  });

  it.each([
    ['signed with another secret', jwt(GOOD_CLAIMS, 'other-secret')],
    ['expired', jwt({ ...GOOD_CLAIMS, exp: seconds - 60 })],
    ['not yet valid', jwt({ ...GOOD_CLAIMS, nbf: seconds + 120 })],
    ['for another app', jwt({ ...GOOD_CLAIMS, aud: 'other-app' })],
    ['for a host that is not a shop', jwt({ ...GOOD_CLAIMS, dest: 'https://evil.example.com' })],
    ['with another algorithm', jwt(GOOD_CLAIMS, API_SECRET, 'none')],
    ['malformed', 'abc.def'],
  ])('refuses a session token %s', (_why, token) => {
    expect(auth.viewerOf(request({ authorization: `Bearer ${token}` }))).toBeUndefined();
  });

  it('binds CSRF tokens to one sign-in', () => {
    const first = signIn((res) => auth.signInAdmin(res)).cookie;
    const second = signIn((res) => auth.signInAdmin(res)).cookie;
    const req1 = request({ cookie: first });
    const req2 = request({ cookie: second });
    const viewer = auth.viewerOf(req1)!;
    expect(auth.checkCsrf(req1, viewer, auth.csrfToken(req1))).toBe(true);
    expect(auth.checkCsrf(req1, viewer, auth.csrfToken(req2))).toBe(false);
    expect(auth.checkCsrf(req1, viewer, undefined)).toBe(false);
    expect(auth.checkCsrf(req1, viewer, '')).toBe(false);
  });
});
