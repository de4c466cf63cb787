import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  APIDIAN_SANDBOX_DEMO_TOKEN,
  startApidianSandbox,
  type RunningApidianSandbox,
  type StartApidianSandboxOptions,
} from '../../connectors/apidian/sandbox/index.js';
import { exampleCreditNote, exampleInvoice } from '../../connectors/apidian/sandbox/examples.js';
import { readZipStore } from '../../connectors/apidian/sandbox/zip.js';

let sandbox: RunningApidianSandbox | undefined;
const temporaryDirs: string[] = [];

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(options: Partial<StartApidianSandboxOptions> = {}): Promise<RunningApidianSandbox> {
  sandbox = await startApidianSandbox({ port: 0, ...options });
  return sandbox;
}

async function call(method: string, path: string, body?: unknown, token: string | null = APIDIAN_SANDBOX_DEMO_TOKEN) {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${sandbox!.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

const zipKeyOf = (body: any): string => body.ResponseDian.Envelope.Body.SendBillAsyncResponse.SendBillAsyncResult.ZipKey;
const dianResponseOf = (body: any) => body.ResponseDian.Envelope.Body.GetStatusZipResponse.GetStatusZipResult.DianResponse;

describe('APIDIAN sandbox: batches', () => {
  it('add → send → status: two documents give an array of DianResponse, in zip order', async () => {
    await start();
    const first = await call('POST', '/api/ubl2.1/add-to-batch/invoice/lote-1', exampleInvoice(990000001));
    expect(first.status).toBe(200);
    expect(first.body.message).toBe('Factura de Venta Nacional #SETP990000001 generada y agregada con éxito al batch lote-1.zip');
    expect(first.body.cufe).toMatch(/^[0-9a-f]{96}$/);
    // Nothing was sent yet.
    expect((await call('GET', '/_sandbox/documents?all=1', undefined, null)).body.documents).toEqual([]);

    const broken = exampleInvoice(990000002);
    broken.legal_monetary_totals.payable_amount = '1.00';
    const second = await call('POST', '/api/ubl2.1/add-to-batch/invoice/lote-1', broken);
    const entries = readZipStore(Buffer.from(second.body.zipinvoicexml, 'base64')).map((entry) => entry.name);
    expect(entries).toEqual(['FES-SETP990000001.xml', 'FES-SETP990000002.xml']);

    const sent = await call('POST', '/api/ubl2.1/send-batch/lote-1');
    expect(sent.body.message).toBe('Batch lote-1.zip enviado con éxito');
    const zipKey = zipKeyOf(sent.body);
    expect(zipKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const status = await call('POST', `/api/ubl2.1/status/zip/${zipKey}`);
    expect(status.body.message).toBe('Consulta generada con éxito');
    const responses = dianResponseOf(status.body);
    expect(Array.isArray(responses)).toBe(true);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatchObject({ IsValid: 'true', StatusCode: '00', XmlDocumentKey: first.body.cufe, XmlFileName: 'fv09001234560002500000001' });
    expect(responses[1]).toMatchObject({ IsValid: 'false', StatusCode: '99', XmlDocumentKey: second.body.cufe });
    expect(responses[1].ErrorMessage.string[0]).toMatch(/^Regla: FAU14/);

    const accepted = (await call('GET', '/_sandbox/documents', undefined, null)).body.documents;
    expect(accepted.map((doc: any) => [doc.fiscalNumber, doc.batch, doc.zipKey])).toEqual([['SETP990000001', 'lote-1', zipKey]]);
  });

  it('one document gives one DianResponse object; re-adding a document replaces its entry', async () => {
    await start();
    const original = await call('POST', '/api/ubl2.1/add-to-batch/invoice/solo', exampleInvoice(990000005));
    const replaced = await call('POST', '/api/ubl2.1/add-to-batch/invoice/solo', exampleInvoice(990000005, { time: '09:00:00' }));
    expect(replaced.body.cufe).not.toBe(original.body.cufe);
    expect(readZipStore(Buffer.from(replaced.body.zipinvoicexml, 'base64')).map((entry) => entry.name)).toEqual(['FES-SETP990000005.xml']);

    const zipKey = zipKeyOf((await call('POST', '/api/ubl2.1/send-batch/solo')).body);
    const response = dianResponseOf((await call('POST', `/api/ubl2.1/status/zip/${zipKey}`)).body);
    expect(Array.isArray(response)).toBe(false);
    expect(response).toMatchObject({ IsValid: 'true', XmlDocumentKey: replaced.body.cufe });
  });

  it('mixes kinds in one zip and judges a note against an invoice accepted earlier in the same zip', async () => {
    await start();
    const invoice = await call('POST', '/api/ubl2.1/add-to-batch/invoice/mix', exampleInvoice(990000010));
    const reference = { number: 'SETP990000010', uuid: invoice.body.cufe, issue_date: '2025-07-22' };
    const note = await call('POST', '/api/ubl2.1/add-to-batch/credit-note/mix', exampleCreditNote(reference, 10));
    expect(note.body.cude).toMatch(/^[0-9a-f]{96}$/);
    const zipKey = zipKeyOf((await call('POST', '/api/ubl2.1/send-batch/mix')).body);
    const responses = dianResponseOf((await call('POST', `/api/ubl2.1/status/zip/${zipKey}`)).body);
    expect(responses.map((r: any) => r.IsValid)).toEqual(['true', 'true']);
  });

  it('resending the same batch resends the accumulated zip: every document hits rule 90', async () => {
    await start();
    await call('POST', '/api/ubl2.1/add-to-batch/invoice/twice', exampleInvoice(990000020));
    await call('POST', '/api/ubl2.1/send-batch/twice');
    const zipKey = zipKeyOf((await call('POST', '/api/ubl2.1/send-batch/twice')).body);
    const response = dianResponseOf((await call('POST', `/api/ubl2.1/status/zip/${zipKey}`)).body);
    expect(response).toMatchObject({ IsValid: 'false', ErrorMessage: { string: 'Regla: 90, Rechazo: Documento procesado anteriormente.' } });
  });

  it('answers "in process" (StatusCode 98) while DIAN is still validating the zip', async () => {
    await start({ statusPendingPolls: 1 });
    const added = await call('POST', '/api/ubl2.1/add-to-batch/invoice/slow', exampleInvoice(990000030));
    const zipKey = zipKeyOf((await call('POST', '/api/ubl2.1/send-batch/slow')).body);
    const pending = dianResponseOf((await call('POST', `/api/ubl2.1/status/zip/${zipKey}`)).body);
    expect(pending).toMatchObject({ IsValid: 'false', StatusCode: '98' });
    const done = dianResponseOf((await call('POST', `/api/ubl2.1/status/zip/${zipKey}`)).body);
    expect(done).toMatchObject({ IsValid: 'true', XmlDocumentKey: added.body.cufe });
  });

  it('status/document finds a document by CUFE and says "not found" for an unknown one', async () => {
    await start();
    const sent = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000040));
    const known = await call('POST', `/api/ubl2.1/status/document/${sent.body.cufe}`);
    expect(known.body.ResponseDian.Envelope.Body.GetStatusResponse.GetStatusResult).toMatchObject({
      IsValid: 'true',
      StatusCode: '00',
      XmlDocumentKey: sent.body.cufe,
    });
    const unknown = await call('POST', `/api/ubl2.1/status/document/${'0'.repeat(96)}`);
    expect(unknown.body.ResponseDian.Envelope.Body.GetStatusResponse.GetStatusResult).toMatchObject({ IsValid: 'false', StatusCode: '66' });
    const unknownZip = dianResponseOf((await call('POST', '/api/ubl2.1/status/zip/00000000-0000-0000-0000-000000000000')).body);
    expect(unknownZip).toMatchObject({ IsValid: 'false', StatusCode: '66' });
  });

  it('add-to-batch/invoice refuses a list of payment forms (the controller reads one object)', async () => {
    await start();
    const body = exampleInvoice(990000050, { payment_form: [{ payment_form_id: 1, payment_method_id: 10 }] });
    const response = await call('POST', '/api/ubl2.1/add-to-batch/invoice/pf', body);
    expect(response).toMatchObject({ status: 500, body: { message: 'Server Error' } });
  });
});

describe('APIDIAN sandbox: faults', () => {
  it('force429 answers the next N requests with 429 and Retry-After, then recovers', async () => {
    await start();
    expect((await call('POST', '/_sandbox/faults', { force429: 2, retryAfterSeconds: 7 }, null)).status).toBe(200);
    for (let i = 0; i < 2; i += 1) {
      const limited = await call('GET', '/api/ubl2.1/invoice/current_number/1');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
    }
    expect((await call('GET', '/api/ubl2.1/invoice/current_number/1')).status).toBe(200);
  });

  it('dropAfterAccept records the document but never answers', async () => {
    await start();
    await call('POST', '/_sandbox/faults', { dropAfterAccept: 1 }, null);
    await expect(call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000060))).rejects.toThrow();
    const documents = (await call('GET', '/_sandbox/documents', undefined, null)).body.documents;
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ kind: 'invoice', prefix: 'SETP', number: 990000060, customerId: '900428042', batch: null });
    expect(documents[0].cufe).toMatch(/^[0-9a-f]{96}$/);
    expect(documents[0].wire.number).toBe(990000060);
    // The retry that looks the document up finds it.
    const status = await call('POST', `/api/ubl2.1/status/document/${documents[0].cufe}`);
    expect(status.body.ResponseDian.Envelope.Body.GetStatusResponse.GetStatusResult.IsValid).toBe('true');
  });

  it('errorRate answers 500/503 without recording anything; DELETE clears the faults', async () => {
    await start({ random: () => 0 });
    await call('POST', '/_sandbox/faults', { errorRate: 1 }, null);
    const failed = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000070));
    expect([500, 503]).toContain(failed.status);
    expect((await call('GET', '/_sandbox/documents?all=1', undefined, null)).body.documents).toEqual([]);
    await call('DELETE', '/_sandbox/faults', undefined, null);
    expect((await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000070))).status).toBe(200);
  });

  it('rejects an invalid faults body with 400', async () => {
    await start();
    const response = await call('POST', '/_sandbox/faults', { errorRate: 2 }, null);
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatch(/^errorRate: /);
  });

  it('reset forgets documents', async () => {
    await start();
    await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000080));
    await call('POST', '/_sandbox/reset', undefined, null);
    expect((await call('GET', '/_sandbox/documents?all=1', undefined, null)).body.documents).toEqual([]);
  });
});

describe('APIDIAN sandbox: persistence', () => {
  it('keeps companies, documents and zips across a restart with the same data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apidian-sandbox-'));
    temporaryDirs.push(dir);
    const dataFile = join(dir, 'state.json');

    await start({ dataFile });
    const registered = await call('POST', '/api/ubl2.1/config/901234567/0', { business_name: 'PERSISTE SAS', email: 'p@example.co' }, null);
    const invoice = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000090));
    await call('POST', '/api/ubl2.1/add-to-batch/invoice/lote', exampleInvoice(990000091));
    const zipKey = zipKeyOf((await call('POST', '/api/ubl2.1/send-batch/lote')).body);
    await sandbox!.close();

    await start({ dataFile });
    const documents = (await call('GET', '/_sandbox/documents', undefined, null)).body.documents;
    expect(documents.map((doc: any) => doc.number)).toEqual([990000090, 990000091]);
    expect(dianResponseOf((await call('POST', `/api/ubl2.1/status/zip/${zipKey}`)).body)).toMatchObject({ IsValid: 'true' });
    const duplicate = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000090));
    expect(duplicate.body.ResponseDian.Envelope.Body.SendBillSyncResponse.SendBillSyncResult.StatusCode).toBe('99');
    expect((await call('GET', '/api/ubl2.1/invoice/current_number/1')).body.number).toBe(990000092);
    // The registered company's token still works (and has no resolution yet).
    const other = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000090), registered.body.token);
    expect(other.body.errors.type_document_id).toEqual(['La resolución no está configurada.']);
    expect(invoice.body.cufe).toBe(documents[0].cufe);
  });
});
