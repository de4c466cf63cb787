import { describe, expect, it } from 'vitest';
import { parseApidianTargetConfig } from '../../connectors/apidian/config.js';

const TOKEN = 'secret-token-value-0123456789abcdef';

const valid = {
  type: 'apidian',
  baseUrl: 'http://127.0.0.1:3001/api/',
  token: TOKEN,
  supplierNit: '900123456',
  resolutions: {
    invoice: { prefix: 'SETP', technicalKey: 'tk', from: 990000000, to: 995000000 },
    credit_note: { prefix: 'NC', from: 1, to: 99999999 },
    debit_note: { prefix: 'ND', from: 1, to: 99999999 },
  },
};

function problems(input: unknown): string {
  try {
    parseApidianTargetConfig(input);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('ApidianTargetConfig', () => {
  it('fills the documented defaults and trims the trailing slash of baseUrl', () => {
    const config = parseApidianTargetConfig(valid);
    expect(config.baseUrl).toBe('http://127.0.0.1:3001/api');
    expect(config.environment).toBe(2);
    expect(config.requestsPerMinute).toBe(60);
    expect(config.batch).toEqual({ maxDocuments: 50, lingerMs: 2000, maxBytes: 10 * 1024 * 1024 });
    expect(config.softwarePin).toBeUndefined();
  });

  it('is idempotent: a parsed config parses to itself', () => {
    const once = parseApidianTargetConfig(valid);
    expect(parseApidianTargetConfig(once)).toEqual(once);
  });

  it.each([
    ['a missing technical key', { resolutions: { ...valid.resolutions, invoice: { prefix: 'SETP', from: 1, to: 2 } } }, 'resolutions.invoice.technicalKey'],
    ['a range that runs backwards', { resolutions: { ...valid.resolutions, credit_note: { prefix: 'NC', from: 10, to: 2 } } }, 'resolutions.credit_note.to'],
    ['a NIT with its check digit', { supplierNit: '900123456-7' }, 'supplierNit'],
    ['an environment other than 1 or 2', { environment: 3 }, 'environment'],
    ['a baseUrl that includes /ubl2.1', { baseUrl: 'http://h/api/ubl2.1' }, 'baseUrl'],
    ['a 4-digit software PIN', { softwarePin: '1234' }, 'softwarePin'],
    ['a zero rate', { requestsPerMinute: 0 }, 'requestsPerMinute'],
    ['an unknown key', { tokken: 'x' }, 'tokken'],
    ['a missing debit note resolution', { resolutions: { invoice: valid.resolutions.invoice, credit_note: valid.resolutions.credit_note } }, 'resolutions.debit_note'],
  ])('names the key for %s', (_label, patch, key) => {
    expect(problems({ ...valid, ...patch })).toContain(key);
  });

  it('never echoes the token in its errors', () => {
    const message = problems({ ...valid, token: `${TOKEN} with spaces` });
    expect(message).toContain('token');
    expect(message).not.toContain(TOKEN);
  });
});
