/**
 * WooCommerce's two signatures:
 * - webhooks: `X-WC-Webhook-Signature` = base64 of the binary HMAC-SHA256 of the raw body, keyed with
 *   the webhook secret (reference stores-and-erps §2.2);
 * - REST calls over plain http: OAuth 1.0a one-legged (consumer key and secret only, no token), with
 *   the oauth_* parameters in the query string, as WC_REST_Authentication::check_oauth_signature
 *   verifies them: parameters sorted by name, each name and value RFC 3986-encoded, `name=value`
 *   encoded again and joined with %26; key = consumer secret + "&".
 * The sandbox signs and verifies with the same functions, so both sides agree by construction and
 * the unit tests pin them to worked examples.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function signWooCommerceWebhook(rawBody: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64');
}

/** Constant-time check of a presented webhook signature. */
export function isValidWooCommerceSignature(rawBody: string, presented: string, secret: string): boolean {
  const expected = Buffer.from(signWooCommerceWebhook(rawBody, secret));
  const given = Buffer.from(presented.trim());
  // timingSafeEqual throws on different lengths; a different length is simply a mismatch.
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** PHP's rawurlencode (RFC 3986): everything but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type OAuthMethod = 'HMAC-SHA1' | 'HMAC-SHA256';

/** The string WooCommerce signs: METHOD&enc(url without query)&enc-joined sorted parameters. */
export function oauthBaseString(method: string, baseUrl: string, params: Record<string, string>): string {
  const names = Object.keys(params)
    .filter((name) => name !== 'oauth_signature')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const joined = names.map((name) => rfc3986(`${rfc3986(name)}=${rfc3986(params[name]!)}`)).join('%26');
  return `${method.toUpperCase()}&${rfc3986(baseUrl)}&${joined}`;
}

export function oauthSignature(method: string, baseUrl: string, params: Record<string, string>, consumerSecret: string, algorithm: OAuthMethod): string {
  const hash = algorithm === 'HMAC-SHA1' ? 'sha1' : 'sha256';
  return createHmac(hash, `${consumerSecret}&`).update(oauthBaseString(method, baseUrl, params)).digest('base64');
}

export interface OAuthSigningOptions {
  consumerKey: string;
  consumerSecret: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  nonce?: string;
  algorithm?: OAuthMethod;
}

/**
 * The URL to call over plain http: `url` with its query plus the oauth_* parameters and signature.
 * The signed base URL is the URL without its query, as WordPress rebuilds it from home_url.
 */
export function oauthSignedUrl(method: string, url: string, options: OAuthSigningOptions): string {
  const parsed = new URL(url);
  const params: Record<string, string> = {};
  for (const [name, value] of parsed.searchParams) params[name] = value;
  params.oauth_consumer_key = options.consumerKey;
  params.oauth_timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  params.oauth_nonce = options.nonce ?? randomBytes(16).toString('hex');
  params.oauth_signature_method = options.algorithm ?? 'HMAC-SHA256';
  const baseUrl = `${parsed.origin}${parsed.pathname}`;
  params.oauth_signature = oauthSignature(method, baseUrl, params, options.consumerSecret, options.algorithm ?? 'HMAC-SHA256');
  const query = Object.entries(params)
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
    .join('&');
  return `${baseUrl}?${query}`;
}
