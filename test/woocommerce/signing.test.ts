import { describe, expect, it } from 'vitest';
import {
  isValidWooCommerceSignature,
  oauthBaseString,
  oauthSignature,
  oauthSignedUrl,
  rfc3986,
  signWooCommerceWebhook,
} from '../../connectors/woocommerce/signing.js';

describe('webhook signatures', () => {
  // Worked out with `printf '{"id":1}' | openssl dgst -sha256 -hmac shh -binary | base64`.
  it('is the base64 HMAC-SHA256 of the raw body with the webhook secret', () => {
    expect(signWooCommerceWebhook('{"id":1}', 'shh')).toBe('VBsiv0zEF5/SIJgbBFSAQlBfOm7bFetE2JDgXuujPXw=');
    expect(isValidWooCommerceSignature('{"id":1}', 'VBsiv0zEF5/SIJgbBFSAQlBfOm7bFetE2JDgXuujPXw=', 'shh')).toBe(true);
  });

  it('refuses another body, another secret, or a signature of another length', () => {
    const signature = signWooCommerceWebhook('{"id":1}', 'shh');
    expect(isValidWooCommerceSignature('{"id": 1}', signature, 'shh')).toBe(false);
    expect(isValidWooCommerceSignature('{"id":1}', signature, 'other')).toBe(false);
    expect(isValidWooCommerceSignature('{"id":1}', signature.slice(0, -2), 'shh')).toBe(false);
    expect(isValidWooCommerceSignature('{"id":1}', '', 'shh')).toBe(false);
  });
});

describe('OAuth 1.0a one-legged signatures (REST over plain http)', () => {
  const params = {
    page: '2',
    modified_after: '2026-11-20T19:03:15',
    oauth_consumer_key: 'ck_abc',
    oauth_timestamp: '1763665395',
    oauth_nonce: 'n0nce',
    oauth_signature_method: 'HMAC-SHA256',
  };
  const url = 'http://127.0.0.1:8080/wp-json/wc/v3/orders';
  // Written out by hand from WC_REST_Authentication::check_oauth_signature: names sorted, names and
  // values RFC 3986-encoded, each name=value encoded again, joined with %26.
  const base =
    'GET&http%3A%2F%2F127.0.0.1%3A8080%2Fwp-json%2Fwc%2Fv3%2Forders&' +
    'modified_after%3D2026-11-20T19%253A03%253A15%26oauth_consumer_key%3Dck_abc%26oauth_nonce%3Dn0nce%26' +
    'oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1763665395%26page%3D2';

  it('builds the base string WooCommerce rebuilds', () => {
    expect(oauthBaseString('get', url, params)).toBe(base);
    expect(oauthBaseString('GET', url, { ...params, oauth_signature: 'ignored' })).toBe(base);
  });

  it('signs it with the consumer secret followed by "&"', () => {
    // printf '<base>' | openssl dgst -sha256 -hmac 'cs_def&' -binary | base64
    expect(oauthSignature('GET', url, params, 'cs_def', 'HMAC-SHA256')).toBe('yYxCMSi3X6jjn2WBaRxkohCvNZ5Qm6Pjc3E4YqPQPlw=');
  });

  it('puts the oauth parameters and the signature in the query string', () => {
    const signed = new URL(
      oauthSignedUrl('GET', `${url}?modified_after=2026-11-20T19%3A03%3A15&page=2`, {
        consumerKey: 'ck_abc',
        consumerSecret: 'cs_def',
        timestamp: 1763665395,
        nonce: 'n0nce',
      }),
    );
    expect(signed.origin + signed.pathname).toBe(url);
    expect(signed.searchParams.get('oauth_signature')).toBe('yYxCMSi3X6jjn2WBaRxkohCvNZ5Qm6Pjc3E4YqPQPlw=');
    expect(signed.searchParams.get('modified_after')).toBe('2026-11-20T19:03:15');
    expect(signed.searchParams.get('oauth_consumer_key')).toBe('ck_abc');
  });

  it('encodes like PHP rawurlencode', () => {
    expect(rfc3986("a b!*'()~-_.")).toBe('a%20b%21%2A%27%28%29~-_.');
  });
});
