/**
 * `puente replay`, in-process, against a real admin API on loopback over a real store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER } from '../../connectors/shopify/samples/index.js';
import { runReplayCommand } from '../../src/cli/replay.js';
import { Replayer } from '../../src/pipeline/replay.js';
import type { Loopback } from '../loopback.js';
import { serveAdminApp } from '../http/admin-app.js';
import { paidEvent, pipeline, silentLog, type Pipeline } from '../pipeline/harness.js';
import { captureIo } from './helpers.js';

const TOKEN = 'cli-replay-admin-token-0123456789';

let p: Pipeline;
let server: Loopback;
let url: string;

beforeEach(async () => {
  p = await pipeline();
  server = await serveAdminApp(p, TOKEN, { replayer: new Replayer(p.store, silentLog) });
  url = server.url;
});

afterEach(async () => {
  await server.close();
  await p.close();
});

/** An invoice the shipped mapping cannot map (a 16 % tax rate is not in its lookup). */
async function parkedInvoice(): Promise<string> {
  const order = { ...SAMPLE_PAID_ORDER, lines: SAMPLE_PAID_ORDER.lines.map((line, i) => (i === 0 ? { ...line, taxRate: '0.16' } : line)) };
  await p.receive(paidEvent(order));
  const [document] = await p.documents();
  expect(document).toMatchObject({ status: 'needs_attention', attention: { kind: 'mapping' } });
  return document!.id;
}

async function replay(args: string[], env: NodeJS.ProcessEnv = {}) {
  const captured = captureIo(process.cwd(), env);
  // The folder has a puente.config.yaml; --url and --token (or the environment) win over it.
  const code = await runReplayCommand(args, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

describe('puente replay', () => {
  it('--status needs_attention --kind mapping replays the parked documents and says what parked them', async () => {
    const id = await parkedInvoice();
    const { code, out } = await replay(['--status', 'needs_attention', '--kind', 'mapping', '--url', url, '--token', TOKEN]);
    expect(code).toBe(0);
    expect(out).toContain('replayed 1 document');
    expect(out).toContain(id);
    expect(out).toMatch(/was parked for mapping at lines\[0\]\.taxes\[0\]\.code: .*0\.16 has no entry in lookup taxByRate/);
    expect(await p.document(id)).toMatchObject({ status: 'pending' });
  });

  it('--kind filters, --json answers for scripts, and the token may come from the environment', async () => {
    const id = await parkedInvoice();
    const none = await replay(['--status', 'needs_attention', '--kind', 'auth', '--url', url, '--token', TOKEN]);
    expect(none).toMatchObject({ code: 0 });
    expect(none.out).toContain('nothing to replay');
    expect(await p.document(id)).toMatchObject({ status: 'needs_attention' });

    const json = await replay(['--document', id, '--json'], { PUENTE_URL: url, PUENTE_ADMIN_TOKEN: TOKEN });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, document: { documentId: id, status: 'pending', attention: { kind: 'mapping' } } });
  });

  it('--event replays the parked documents of one event', async () => {
    const id = await parkedInvoice();
    const { eventId } = await p.document(id);
    const { code, out } = await replay(['--event', eventId, '--url', url, '--token', TOKEN]);
    expect(code).toBe(0);
    expect(out).toContain(`event ${eventId} stays processed`);
    expect(out).toContain(id);
  });

  it('exits 1 with the server\'s reason when it refuses: a wrong token, an issued document, no server', async () => {
    const id = await parkedInvoice();
    const unauthorized = await replay(['--document', id, '--url', url, '--token', 'wrong']);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.err).toMatch(/answered 401/);

    await p.store.updateDocument(id, { status: 'issued', result: { fiscalNumber: 'SETP990000000', issuedAt: new Date().toISOString() } });
    const issued = await replay(['--document', id, '--url', url, '--token', TOKEN]);
    expect(issued.code).toBe(1);
    expect(issued.err).toMatch(/answered 409: document .* is already issued as SETP990000000/);

    const closed = await replay(['--status', 'needs_attention', '--url', 'http://127.0.0.1:9', '--token', TOKEN]);
    expect(closed.code).toBe(1);
    expect(closed.err).toMatch(/cannot reach Puente at http:\/\/127\.0\.0\.1:9/);
  });

  it('exits 2 on a wrong command line', async () => {
    for (const args of [
      [],
      ['--status', 'issued', '--url', url, '--token', TOKEN],
      ['--status', 'needs_attention', '--kind', 'typo', '--url', url, '--token', TOKEN],
      ['--document', 'doc_1', '--event', 'evt_1', '--url', url, '--token', TOKEN],
      ['--document', 'doc_1', '--kind', 'mapping', '--url', url, '--token', TOKEN],
      ['--status', 'needs_attention', '--limit', '0', '--url', url, '--token', TOKEN],
    ]) {
      const result = await replay(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain('Usage:');
    }
  });
});
