/**
 * The FacturApi target against its sandbox on 127.0.0.1 (port 0), real HTTP: a lote with a bad
 * document, asynchronous verdicts, notes citing the invoice's CDC, lost answers reconciled by CDC,
 * the registered target type, events and the RUC lookup.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetTypes } from '../../connectors/index.js';
import { exampleFactura, exampleNota } from '../../connectors/facturapi/sandbox/examples.js';
import { FACTURAPI_SANDBOX_TARGET_DEFAULTS, startFacturapiSandbox, type RunningFacturapiSandbox } from '../../connectors/facturapi/sandbox/index.js';
import { createFacturapiTarget, type FacturapiTarget } from '../../connectors/facturapi/target.js';
import type { FacturapiDe } from '../../connectors/facturapi/wire.js';
import type { OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { DocumentKind, FiscalDocument } from '../../src/domain/fiscal-document.js';
import { createLogger } from '../../src/log.js';

const CLOCK = () => new Date('2026-11-23T14:00:00Z');

function outgoing(id: string, wire: FacturapiDe, kind: DocumentKind = 'invoice'): OutgoingDocument {
  return { documentId: id, idempotencyKey: `shopify:tienda|${id}|${kind}`, kind, series: '001-001', number: String(wire.numero), wire, fiscal: {} as FiscalDocument };
}
const batchOf = (kind: DocumentKind, ...documents: OutgoingDocument[]): OutgoingBatch => ({ batchId: `b-${documents[0]!.documentId}`, kind, series: '001-001', documents });

const targets: FacturapiTarget[] = [];
function targetFor(sandbox: RunningFacturapiSandbox, fetchImpl?: typeof fetch): FacturapiTarget {
  const t = createFacturapiTarget(
    { ...FACTURAPI_SANDBOX_TARGET_DEFAULTS, baseUrl: sandbox.url, requestsPerMinute: 6000 },
    { now: CLOCK, client: { retry: { retries: 2, minTimeout: 1, maxTimeout: 5 } }, ...(fetchImpl ? { fetch: fetchImpl } : {}) },
  );
  targets.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

const faults = (sandbox: RunningFacturapiSandbox, body: object) =>
  fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('FacturApi target against the sandbox', () => {
  let sandbox: RunningFacturapiSandbox;
  beforeAll(async () => {
    sandbox = await startFacturapiSandbox({ port: 0, processingDelayMs: 0, pendingPolls: 1, now: CLOCK });
  });
  afterAll(() => sandbox.close());

  it('issues an invoice lote, refuses its bad document, and a credit note citing the invoice’s CDC', async () => {
    const target = targetFor(sandbox);
    const good = outgoing('inv-1', exampleFactura(1, { fecha: '2026-11-22T10:15:04-03:00' }));
    const wrongDv = outgoing('inv-2', exampleFactura(2, { cliente: { contribuyente: true, ruc: '80069563-7', tipoContribuyente: 2, razonSocial: 'TIPS S.A.', tipoOperacion: 1, pais: 'PRY' } }));
    const batch = batchOf('invoice', good, wrongDv);
    const submission = await target.submit(batch);
    expect(submission.results).toEqual([
      { documentId: 'inv-1', outcome: 'pending', uuid: target.cdcOf(good) },
      { documentId: 'inv-2', outcome: 'pending', uuid: target.cdcOf(wrongDv) },
    ]);
    const first = await target.status(submission.receipt!, batch);
    expect(first.done).toBe(false);
    const second = await target.status(submission.receipt!, batch);
    expect(second).toEqual({
      done: true,
      results: [
        { documentId: 'inv-1', outcome: 'issued', fiscalNumber: '001-001-0000001', uuid: target.cdcOf(good) },
        expect.objectContaining({ documentId: 'inv-2', outcome: 'rejected', reason: '1005: Dígito verificador del RUC del receptor inválido' }),
      ],
    });
    expect(await target.lookup(good)).toMatchObject({ outcome: 'issued', uuid: target.cdcOf(good) });

    const credit = outgoing('nc-1', exampleNota(5, 1, target.cdcOf(good)), 'credit_note');
    const creditBatch = batchOf('credit_note', credit);
    const sent = await target.submit(creditBatch);
    await target.status(sent.receipt!, creditBatch);
    expect((await target.status(sent.receipt!, creditBatch)).results).toEqual([expect.objectContaining({ outcome: 'issued', fiscalNumber: '001-001-0000001' })]);

    const { documents } = (await (await fetch(`${sandbox.url}/_sandbox/documents`)).json()) as { documents: { kind: string; cdc: string; estado: string; associatedCdc: string | null; totals: { dTotOpe: string } }[] };
    const approved = documents.filter((d) => d.estado === '1-Aprobado');
    expect(approved.map((d) => [d.kind, d.totals.dTotOpe, d.associatedCdc])).toEqual([
      ['invoice', '178500', null],
      ['credit_note', '28500', target.cdcOf(good)],
    ]);
  });

  it('a lost lote/create answer is unknown_outcome; lookup by CDC finds it; a blind resend still ends issued (1001 → approved copy)', async () => {
    const dropCreate: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/lote/create')) await faults(sandbox, { dropAfterAccept: 1 });
      return fetch(input, init);
    };
    const target = targetFor(sandbox, dropCreate);
    const doc = outgoing('inv-lost', exampleFactura(3));
    const submission = await target.submit(batchOf('invoice', doc));
    expect(submission.results).toEqual([expect.objectContaining({ documentId: 'inv-lost', outcome: 'failed', kind: 'unknown_outcome' })]);
    expect(submission.receipt).toBeUndefined();

    const plain = targetFor(sandbox);
    // The sandbox still processes the lote: the first lookup may see it generated, then approved.
    const looked = await plain.lookup(doc);
    expect(looked?.outcome === 'pending' || looked?.outcome === 'issued').toBe(true);
    await plain.lookup(doc);
    expect(await plain.lookup(doc)).toMatchObject({ outcome: 'issued', uuid: plain.cdcOf(doc) });

    const resend = await plain.submit(batchOf('invoice', doc));
    await plain.status(resend.receipt!, batchOf('invoice', doc));
    expect((await plain.status(resend.receipt!, batchOf('invoice', doc))).results).toEqual([expect.objectContaining({ outcome: 'issued', uuid: plain.cdcOf(doc) })]);
  });

  it('an unqueued lote (0301) and a forced 429 fail retryably, nothing stored', async () => {
    const target = targetFor(sandbox);
    const before = sandbox.state.data.documents.length;
    await faults(sandbox, { notQueued: 1 });
    expect((await target.submit(batchOf('invoice', outgoing('nq', exampleFactura(4))))).results).toEqual([expect.objectContaining({ outcome: 'failed', kind: 'retryable' })]);
    await faults(sandbox, { force429: 1, retryAfterSeconds: 3 });
    expect((await targetFor(sandbox).submit(batchOf('invoice', outgoing('rl', exampleFactura(4))))).results).toEqual([expect.objectContaining({ outcome: 'failed', kind: 'rate_limited', retryAfterMs: 3000 })]);
    expect(sandbox.state.data.documents.length).toBe(before);
  });

  it('cancels, inutilizes and looks RUCs up', async () => {
    const target = targetFor(sandbox);
    const doc = outgoing('inv-cancel', exampleFactura(5));
    const sent = await target.submit(batchOf('invoice', doc));
    await target.status(sent.receipt!, batchOf('invoice', doc));
    await target.status(sent.receipt!, batchOf('invoice', doc));
    expect(await target.cancel({ document: doc, motivo: 'Pedido cancelado por el cliente' })).toMatchObject({ dCodRes: '0600' });
    expect(await target.lookup(doc)).toMatchObject({ outcome: 'issued', messages: ['cancelado por evento de cancelación'] });
    await expect(target.cancel({ document: doc, motivo: 'Pedido cancelado por el cliente' })).rejects.toMatchObject({ kind: 'rejected', message: 'El DE ya fue cancelado' });

    expect(await target.voidNumbers({ kind: 'invoice', desde: 90, hasta: 95, motivo: 'Números no utilizados' })).toMatchObject({ dCodRes: '0600' });
    await expect(target.voidNumbers({ kind: 'invoice', desde: 1, hasta: 1, motivo: 'Números no utilizados' })).rejects.toMatchObject({ kind: 'rejected', message: expect.stringMatching(/001-001-0000001/) });

    expect(await target.lookupRuc('80069563-1')).toMatchObject({ razonSocial: 'TIPS S.A. TECNOLOGIA Y SERVICIOS', facturadorElectronico: true });
    expect(await target.lookupRuc('3437941-0')).toMatchObject({ facturadorElectronico: false });
    expect(await target.lookupRuc('1234567-9')).toBeNull();
  });
});

describe('registered as "facturapi" in the connector table', () => {
  it('starts its sandbox and creates a target from a config block that reaches it', async () => {
    const type = targetTypes.facturapi;
    expect(type).toBeDefined();
    const running = await type!.startSandbox({ port: 0 });
    try {
      expect(running.notes.join('\n')).toContain(FACTURAPI_SANDBOX_TARGET_DEFAULTS.apiKey);
      const target = type!.create({ ...FACTURAPI_SANDBOX_TARGET_DEFAULTS, baseUrl: running.baseUrl }, { logger: createLogger('silent') }) as FacturapiTarget;
      targets.push(target);
      expect(target.name).toBe('facturapi');
      expect(await target.lookupRuc('80123456-5')).toMatchObject({ razonSocial: 'PUENTE DEMO S.A.' });
      expect(() => type!.create({ type: 'facturapi', baseUrl: running.baseUrl }, { logger: createLogger('silent') })).toThrow(/tenantId is required/);
    } finally {
      await running.close();
    }
  });
});
