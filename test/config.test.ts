import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

const minimal = (extra = '') => `
shopify: { apiSecret: s }
targets:
  co: { type: apidian }
connections:
  - { id: shop, source: { type: shopify, shop: acme.myshopify.com }, target: co }
${extra}`;

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'puente.config.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('the shipped file runs with no environment at all', () => {
    const { config } = parseConfig(readFileSync('puente.config.yaml', 'utf8'), 'puente.config.yaml', {});
    expect(config.server.port).toBe(3000);
    expect(config.targets['sandbox-apidian']).toMatchObject({ type: 'apidian', baseUrl: 'embedded' });
    expect(config.connections[0]).toMatchObject({ id: 'demo-shopify', country: 'CO', timezone: 'America/Bogota' });
  });

  it('takes values from the environment, with defaults', () => {
    const text = minimal('server:\n  port: ${PORT:-4000}\nadminToken: ${ADMIN}');
    expect(parseConfig(text, 'f', { ADMIN: 'secret' }).config).toMatchObject({ server: { port: 4000 }, adminToken: 'secret' });
    expect(parseConfig(text, 'f', { ADMIN: 'x', PORT: '5000' }).config.server.port).toBe(5000);
  });

  it('names the key and says what to do', () => {
    expect(problems(minimal('adminToken: ${ADMIN}'))).toEqual([
      'adminToken: the environment variable ADMIN is not set; set it or give a default as ${ADMIN:-value}',
    ]);
    expect(problems(minimal().replace('acme.myshopify.com', 'acme.com'))).toEqual([
      'connections[0].source.shop: must be a shop domain such as acme.myshopify.com',
    ]);
    expect(problems(minimal().replace('target: co', 'target: cx'))[0]).toMatch(/^connections\[0\]\.target: there is no target named "cx"; .*use one of: co$/);
    expect(problems(minimal('colour: red'))[0]).toMatch(/colour/);
  });

  it('refuses two connections with one id', () => {
    const text = minimal().replace(
      'connections:\n',
      'connections:\n  - { id: shop, source: { type: shopify, shop: other.myshopify.com }, target: co }\n',
    );
    expect(problems(text)).toEqual(['connections[1].id: "shop" is used twice; ids must be unique']);
  });
});
