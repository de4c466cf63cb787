/**
 * The log's second line of defence: secrets and buyer fields that slip into a logged object are
 * replaced, at the top level and one level down, in log calls and in child bindings; nothing else is
 * changed, and the caller's object is left as it was.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactTwoLevels } from '../src/log.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('log redaction', () => {
  it('replaces listed keys at the top level and one level down, in calls and child bindings', () => {
    const out = capture();
    const log = createLogger('info', out.stream).child({ token: 'child-secret', target: 'co' });
    const logged = { documentId: 'doc_1', email: 'ana@example.com', request: { authorization: 'Bearer abc', path: '/x' }, deep: { a: { phone: '+57 1' } } };
    log.info(logged, 'document issued');
    const [line] = out.lines();
    expect(line).toMatchObject({
      msg: 'document issued',
      documentId: 'doc_1',
      email: '[redacted]',
      request: { authorization: '[redacted]', path: '/x' },
      token: '[redacted]',
      target: 'co',
    });
    // Two levels, as pino's `key` and `*.key` paths did.
    expect(line!.deep).toEqual({ a: { phone: '+57 1' } });
    expect(logged.email).toBe('ana@example.com');
    expect(logged.request.authorization).toBe('Bearer abc');
  });

  it('returns the same object when there is nothing to redact', () => {
    const clean = { documentId: 'doc_1', status: 'issued' };
    expect(redactTwoLevels(clean)).toBe(clean);
  });
});
