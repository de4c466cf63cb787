import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { targetTypes } from '../../connectors/index.js';
import { parseTuimprentaTargetConfig } from '../../connectors/tuimprenta/config.js';
import { TUIMPRENTA_SANDBOX_TARGET_DEFAULTS } from '../../connectors/tuimprenta/sandbox/index.js';
import { apiOf } from './helpers.js';

describe('tuimprenta target config', () => {
  it('fills the documented defaults', () => {
    const config = parseTuimprentaTargetConfig({ type: 'tuimprenta', baseUrl: 'https://api.tuimprenta.digital/', apiKey: 'sk_live_x' });
    expect(config).toEqual({
      type: 'tuimprenta',
      baseUrl: 'https://api.tuimprenta.digital',
      apiKey: 'sk_live_x',
      requestsPerMinute: 60,
      idempotencyRetentionHours: 24,
      batch: { maxDocuments: 100, lingerMs: 2000, maxBytes: 4 * 1024 * 1024, batchFrom: 3 },
    });
  });

  it('names every wrong key and never echoes the secrets', () => {
    let message = '';
    try {
      parseTuimprentaTargetConfig({ type: 'tuimprenta', baseUrl: 'https://api.tuimprenta.digital/v1', apiKey: 'sk live secret', webhookSecret: '', batch: { maxDocuments: 500 }, colour: 'red' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/baseUrl must stop before \/v1/);
    expect(message).toMatch(/apiKey must be a non-empty string without spaces/);
    expect(message).toMatch(/webhookSecret must not be empty/);
    expect(message).toMatch(/batch.maxDocuments must be at most 100/);
    expect(message).toMatch(/unknown key\(s\) colour/);
    expect(message).not.toContain('sk live secret');
  });
});

describe('tuimprenta in the connector table', () => {
  it('starts its sandbox and builds a target that talks to it', async () => {
    const type = targetTypes.tuimprenta!;
    const running = await type.startSandbox({ port: 0 });
    try {
      expect(running.notes.join('\n')).toContain(TUIMPRENTA_SANDBOX_TARGET_DEFAULTS.apiKey);
      expect((await apiOf(running.origin)('/_sandbox/documents', { key: null })).json).toEqual({ documents: [] });
      const target = type.create({ ...TUIMPRENTA_SANDBOX_TARGET_DEFAULTS, baseUrl: running.baseUrl }, { logger: pino({ level: 'silent' }) });
      expect(target.name).toBe('tuimprenta');
      expect(target.numbering).toBe('server');
      await (target as unknown as { client: { ping(): Promise<unknown> } }).client.ping();
      await (target as unknown as { close(): Promise<void> }).close();
    } finally {
      await running.close();
    }
  });

  it('refuses a bad block with the key at fault', () => {
    expect(() => targetTypes.tuimprenta!.create({ type: 'tuimprenta', baseUrl: 'ftp://x' }, { logger: pino({ level: 'silent' }) })).toThrow(/apiKey is required/);
  });
});
