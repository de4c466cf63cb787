/**
 * The app's install settings in the configuration: off by default (the shipped file runs without
 * them), and a public URL that is not https (outside localhost) is refused with the key named.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config.js';

const base = (shopify: string) => `
shopify: { apiSecret: s${shopify} }
targets: {}
`;

describe('shopify.appUrl and shopify.scopes', () => {
  it('default to OAuth off and the scopes Puente needs', () => {
    const { config } = parseConfig(base(''), 'puente.config.yaml', {});
    expect(config.shopify.appUrl).toBe('');
    expect(config.shopify.scopes).toEqual(['read_orders', 'write_orders']);
  });

  it('take an https origin (trailing slash dropped) and a comma-separated scope list', () => {
    const { config } = parseConfig(base(', appUrl: "https://puente.example.com/", scopes: "read_orders, write_orders,read_all_orders"'), 'f', {});
    expect(config.shopify.appUrl).toBe('https://puente.example.com');
    expect(config.shopify.scopes).toEqual(['read_orders', 'write_orders', 'read_all_orders']);
    expect(parseConfig(base(', appUrl: "http://localhost:3000"'), 'f', {}).config.shopify.appUrl).toBe('http://localhost:3000');
  });

  it.each(['http://puente.example.com', 'https://puente.example.com/app', 'puente.example.com'])('refuse %s, naming the key', (url) => {
    expect(() => parseConfig(base(`, appUrl: "${url}"`), 'f', {})).toThrow(ConfigError);
    expect(() => parseConfig(base(`, appUrl: "${url}"`), 'f', {})).toThrow(/shopify\.appUrl: must be the app's public origin/);
  });
});
