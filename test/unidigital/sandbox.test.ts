/**
 * The Unidigital sandbox over real HTTP (127.0.0.1, port 0): the imprenta's envelope, auth, batch
 * lifecycle, validation errors, quirks, the test endpoints and persistence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnidigitalClient, sha512Hex } from '../../connectors/unidigital/client.js';
import {
  UNIDIGITAL_SANDBOX_DEMO_PASSWORD,
  UNIDIGITAL_SANDBOX_DEMO_USER,
  UNIDIGITAL_SANDBOX_SERIES_ID,
  startUnidigitalSandbox,
  type RunningUnidigitalSandbox,
} from '../../connectors/unidigital/sandbox/index.js';
import { wireFixture } from './helpers.js';

let sandbox: RunningUnidigitalSandbox;
let clock = Date.parse('2026-11-20T14:00:00Z');

async function call(path: string, options: { method?: string; body?: unknown; token?: string | null } = {}): Promise<{ status: number; body: any }> {
  const token = options.token === undefined ? await login() : options.token;
  const response = await fetch(`${sandbox.baseUrl}/${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function login(): Promise<string> {
  const { body } = await call('user/login', { body: { UserName: UNIDIGITAL_SANDBOX_DEMO_USER, Password: sha512Hex(UNIDIGITAL_SANDBOX_DEMO_PASSWORD) }, token: null });
  return body.accessToken;
}

const invoice = (number: number, changes: Record<string, unknown> = {}): Record<string, any> => ({
  ...wireFixture('invoice-ves-rif'),
  Number: number,
  SystemReference: `puente:test|${number}`,
  ...changes,
});

async function openBatch(): Promise<string> {
  const { body } = await call('batch/open', { body: { SerieStrongId: UNIDIGITAL_SANDBOX_SERIES_ID } });
  return body.result.StrongId;
}

beforeAll(async () => {
  sandbox = await startUnidigitalSandbox({ port: 0, now: () => new Date(clock), controlNumberDelayMs: 60_000 });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
});

describe('Unidigital sandbox: auth', () => {
  it('logs in with the SHA-512 digest only, answering a direct object whose series list is (wrongly) empty', async () => {
    const plain = await call('user/login', { body: { UserName: UNIDIGITAL_SANDBOX_DEMO_USER, Password: UNIDIGITAL_SANDBOX_DEMO_PASSWORD }, token: null });
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ hasErrors: true, errors: [{ code: 'InvalidCredentials' }] });

    const ok = await call('user/login', { body: { UserName: UNIDIGITAL_SANDBOX_DEMO_USER, Password: sha512Hex(UNIDIGITAL_SANDBOX_DEMO_PASSWORD) }, token: null });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ userName: UNIDIGITAL_SANDBOX_DEMO_USER, series: [], information: ['La compañía no tiene series configuradas'] });
    expect(ok.body.accessToken).toMatch(/\S{20,}/);
    expect('hasErrors' in ok.body).toBe(false);

    const series = await call('series', { token: ok.body.accessToken });
    expect(series.body.result).toEqual([expect.objectContaining({ strongId: UNIDIGITAL_SANDBOX_SERIES_ID, name: 'A', useSystemReferenceAsKey: true })]);
  });

  it('answers 401 without a token and once the 8-hour token has expired', async () => {
    expect((await call('series/counters', { token: null })).status).toBe(401);
    const token = await login();
    expect((await call('series/counters', { token })).status).toBe(200);
    clock += 8 * 3_600_000;
    expect((await call('series/counters', { token })).status).toBe(401);
  });
});

describe('Unidigital sandbox: batches and control numbers', () => {
  it('runs open → create → close → approve, assigns control numbers after the delay, and counts Numbers', async () => {
    const batch = await openBatch();
    const created = await call('documents/create', { body: { BatchStrongId: batch, Docs: [invoice(1), invoice(2, { SystemReference: 'puente:test|2' })] } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ hasErrors: false, result: [{ Number: 1, SystemReference: 'puente:test|1' }, { Number: 2 }] });
    expect((await call('series/counters')).body.result).toContainEqual({ strongId: UNIDIGITAL_SANDBOX_SERIES_ID, serie: 'A', documentType: 'FA', counter: 2 });

    // Approve before close is refused; one open batch per series.
    expect((await call('batch/approve', { body: { Id: batch } })).status).toBe(400);
    const second = await call('batch/open', { body: { SerieStrongId: UNIDIGITAL_SANDBOX_SERIES_ID } });
    expect(second.status).toBe(400);
    expect(second.body.errors[0]).toMatchObject({ code: 'BATCH_EXISTS', extra: { strongId: batch, serieStrongId: UNIDIGITAL_SANDBOX_SERIES_ID } });

    await call('batch/close', { body: { Id: batch } });
    await call('batch/approve', { body: { Id: batch } });
    expect((await call(`batch/${batch}`)).body.result).toMatchObject({ currentStatus: 3 });

    const before = await call(`batch/${batch}/documents?Number=1&Size=10`);
    expect(before.body.result.map((d: any) => [d.status, d.controlNumber, d.controlNumberFormatted])).toEqual([
      ['Approved', 0, '-1'],
      ['Approved', 0, '-1'],
    ]);
    expect(before.body.result[0].information).toEqual(['El documento aún no ha sido convertido a documento fiscal']);

    clock += 60_000;
    const after = await call(`batch/${batch}/documents?Number=1&Size=1`);
    expect(after.body.totalCount).toBe(2);
    expect(after.body.result.map((d: any) => [d.number, d.status, d.controlNumberFormatted])).toEqual([[1, 'Assigned', '00-00000001']]);
    const found = await call('documents/searchbysystemreference', { body: { SystemReference: 'puente:test|2' } });
    expect(found.body.result).toMatchObject({ number: 2, controlNumber: 2, status: 'Assigned', batchStrongId: batch });
    const missing = await call('documents/searchbysystemreference', { body: { SystemReference: 'puente:nope' } });
    expect(missing.body).toMatchObject({ result: null, hasErrors: false });
    expect((await call('batch/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('cancels a batch, which frees its Numbers; annuls by control number and keeps the number', async () => {
    const batch = await openBatch();
    await call('documents/create', { body: { BatchStrongId: batch, Docs: [invoice(1)] } });
    await call('batch/close', { body: { Id: batch } });
    await call('batch/cancel', { body: { Id: batch } });
    expect((await call('series/counters')).body.result.find((c: any) => c.documentType === 'FA').counter).toBe(0);

    const id = (await call('documents/createandapprove', { body: invoice(1) })).body.result;
    expect(typeof id).toBe('string');
    clock += 60_000;
    const annulled = await call('documents/anulled', { body: { Control: 1 } });
    expect(annulled.body).toMatchObject({ hasErrors: false, information: ['Documento anulado satisfactorimente'] });
    expect((await call(`documents?strongId=${id}`)).body.result).toMatchObject({ annulled: true, controlNumber: 1 });
    expect((await call('documents/anulled', { body: { Control: 1 } })).body.errors[0].code).toBe('DocumentAlreadyAnnulled');
    expect((await call('documents/anulled', { body: { Control: '00-00000001' } })).status).toBe(400);
  });

  it('answers 405 to POST documents/short (the collection says POST)', async () => {
    const id = (await call('documents/createandapprove', { body: invoice(1) })).body.result;
    expect((await call(`documents/short/${id}`)).body.result).toMatch(/^1s\d+/);
    expect((await call(`documents/short/${id}`, { body: {} })).status).toBe(405);
  });
});

describe('Unidigital sandbox: validation (400, nothing created)', () => {
  async function rejection(doc: unknown): Promise<any> {
    const batch = await openBatch();
    const answer = await call('documents/create', { body: { BatchStrongId: batch, Docs: [doc] } });
    expect(answer.status).toBe(400);
    expect(answer.body.hasErrors).toBe(true);
    expect((await call(`batch/${batch}/documents`)).body.result).toEqual([]);
    return answer.body.result.errors[0];
  }

  it('requires EmailTo and OperationCode, with the imprenta’s messages', async () => {
    const { EmailTo: _dropped, ...noEmail } = invoice(1);
    expect((await rejection(noEmail)).errors).toContainEqual(expect.objectContaining({ whatIsEval: 'EmailTo', errorMessage: "'Email To' no debería estar vacío" }));
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    const noCode = invoice(1);
    (noCode.Details as any[])[0].OperationCode = '';
    expect((await rejection(noCode)).errors[0].errorMessage).toBe('Debe indicar el código de operación del producto facturado (OperationCode, e.g. C001)');
  });

  it('wants the *VES mirrors equal for a VES document, the legal rates always, and sums that add up', async () => {
    const vesMismatch = await rejection(invoice(1, { TaxBaseVES: 0 }));
    expect(vesMismatch).toMatchObject({ code: 'DocumentOnlyVESMustBeSameTotals', internalPosition: 0, number: 1 });
    expect(vesMismatch.message).toBe('se requiere que TaxBase (Bs 1229.00) y TaxBaseVES (Bs 0.00) tengan el mismo valor');
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    expect((await rejection(invoice(1, { TaxPercentReduced: 0 }))).message).toMatch(/TaxPercentReduced no puede ser diferente de 8%/);
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    const { IGTFAmountVES: _x, ...noMirror } = wireFixture('invoice-usd-igtf');
    expect((await rejection({ ...noMirror, Number: 1 })).errors.map((e: any) => e.whatIsEval)).toContain('IGTFAmountVES');
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    expect((await rejection(invoice(1, { Total: 2000 }))).message).toMatch(/^Total \(2000.00\) must be Subtotal − Discount \+ Taxes/);
  });

  it('wants Numbers that continue from the counter, an existing affected invoice, a known series and unique references', async () => {
    expect((await rejection(invoice(2))).message).toBe('El número 2 no es el siguiente de la serie A para FA: se esperaba 1');
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    expect((await rejection({ ...wireFixture('credit-note-partial-refund'), AffectedDocumentNumber: 7 })).code).toBe('AffectedDocumentNotFound');
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    const wrongSeries = await call('batch/open', { body: { SerieStrongId: '11111111-2222-4333-8444-555555555555' } });
    expect(wrongSeries.body.errors[0].message).toBe('La serie no es válida 11111111-2222-4333-8444-555555555555');
    await call('documents/createandapprove', { body: invoice(1) });
    expect((await rejection(invoice(2, { SystemReference: 'puente:test|1' }))).code).toBe('SystemReferenceAlreadyExists');
  });
});

describe('Unidigital sandbox: serialization and faults', () => {
  it('refuses a second request of the same series while the first is processing (429)', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 300 }) });
    const token = await login();
    const open = () => call('batch/open', { body: { SerieStrongId: UNIDIGITAL_SANDBOX_SERIES_ID }, token });
    const answers = await Promise.all([open(), open()]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 429]);
    expect(answers.find((a) => a.status === 429)!.body.errors[0].message).toBe('Tu petición anterior sigue en proceso');
  });

  it('a client serializes the same series itself, so the 429 never reaches it', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 80 }) });
    const client = new UnidigitalClient({ baseUrl: sandbox.baseUrl, userName: UNIDIGITAL_SANDBOX_DEMO_USER, passwordDigest: sha512Hex(UNIDIGITAL_SANDBOX_DEMO_PASSWORD), busy: { retries: 0 } });
    try {
      const batch = await client.openBatch(UNIDIGITAL_SANDBOX_SERIES_ID);
      const results = await Promise.all([client.batch(batch), client.closeBatch(batch, UNIDIGITAL_SANDBOX_SERIES_ID), client.batchDocuments(batch)]);
      expect(results[0]).toMatchObject({ currentStatus: 1 });
    } finally {
      await client.close();
    }
  });

  it('forces 429s, injects 5xx, drops the connection after accepting, and validates fault input', async () => {
    const token = await login();
    const post = (body: unknown) => fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ errorRate: 2 })).status).toBe(400);
    await post({ force429: 1 });
    expect((await call('series', { token })).status).toBe(429);
    expect((await call('series', { token })).status).toBe(200);
    await post({ errorRate: 1 });
    expect((await call('series', { token })).status).toBe(500);
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });

    await post({ dropAfterAccept: 1 });
    await expect(call('batch/open', { body: { SerieStrongId: UNIDIGITAL_SANDBOX_SERIES_ID }, token })).rejects.toThrow();
    // It was accepted: the batch exists.
    const batches = (await (await fetch(`${sandbox.url}/_sandbox/batches`)).json()) as { batches: unknown[] };
    expect(batches.batches).toHaveLength(1);
  });

  it('keeps its state in the data file across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unidigital-sandbox-'));
    try {
      const dataFile = join(dir, 'state.json');
      const first = await startUnidigitalSandbox({ port: 0, dataFile });
      const client = new UnidigitalClient({ baseUrl: first.baseUrl, userName: UNIDIGITAL_SANDBOX_DEMO_USER, passwordDigest: sha512Hex(UNIDIGITAL_SANDBOX_DEMO_PASSWORD) });
      await client.createAndApprove(invoice(1), UNIDIGITAL_SANDBOX_SERIES_ID);
      await client.close();
      await first.close();
      const second = await startUnidigitalSandbox({ port: 0, dataFile });
      try {
        const documents = (await (await fetch(`${second.url}/_sandbox/documents`)).json()) as { documents: Array<{ number: number }> };
        expect(documents.documents.map((d) => d.number)).toEqual([1]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
