/**
 * End to end, a number closed the way SIFEN allows: the real Puente server and a standalone FacturApi
 * sandbox, each in its own process. An order's factura is approved, then cancelled at SIFEN by hand
 * (within its 48 h); the refund's nota de crédito, which cites it, is numbered and rejected by SIFEN
 * for good. The operator voids it through the admin API: Puente inutilizes exactly that number at
 * SIFEN, never sends the note again, and the next nota de crédito takes the next number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRefund, toShopifyJson, type SampleOrder, type SampleRefund } from '../../connectors/shopify/samples/index.js';
import { buildCountryOrder, PY_PAID_ORDER, PY_PARTIAL_REFUND } from './country-samples.js';
import { FACTURAPI_SANDBOX_DEMO_API_KEY, FACTURAPI_SANDBOX_DEMO_TENANT, type InutilizedRange } from '../../connectors/facturapi/sandbox/index.js';
import { startFacturapiRun } from './facturapi-target.js';
import { eventually } from './processes.js';
import { ADMIN, type PuenteDocument, type TargetRun } from './target-run.js';

interface SandboxDocument {
  cdc: string;
  tipoDocumento: number;
  numero: string;
  estado: string;
  dEstRes: string;
  gResProc: { dCodRes: string; dMsgRes: string }[];
}

type VoidedDocument = PuenteDocument & { voided?: { reason: string; numberClosure: { state: string; reference?: string } } };

const NOTA_DE_CREDITO = 5;
const REASON = 'Factura cancelada en SIFEN: la devolución se documenta a mano';

let run: TargetRun;

/** A second order of the same store: its own ids, the same goods. */
const SECOND_ORDER: SampleOrder = { ...PY_PAID_ORDER, id: 7400000000301n, orderNumber: 4301, token: 'd4b0a2f38e6c5d1b0f9a7e5c3b2d4f68', confirmationNumber: 'PY5P9SU3L' };
const SECOND_REFUND: SampleRefund = {
  ...PY_PARTIAL_REFUND,
  id: 1400000000301n,
  lines: PY_PARTIAL_REFUND.lines.map((line) => ({ ...line, refundLineItemId: 5400000000911n })),
  transaction: { id: 7400000000912n, parentId: 7400000000911n, paymentId: 'pyRefund0301' },
};

async function admin(method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${run.puente.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function sandboxEvents(): Promise<{ events: { type: string; data: Record<string, unknown> }[]; inutilized: InutilizedRange[] }> {
  return (await fetch(`${run.origin}/_sandbox/events`)).json() as never;
}

describe('a nota de crédito SIFEN rejected for good is voided, and its number inutilized', () => {
  beforeAll(async () => {
    run = await startFacturapiRun();
  }, 60_000);

  afterAll(async () => {
    await run?.stop();
  });

  it('inutilizes exactly the voided number at SIFEN, and the next nota de crédito continues after it', async () => {
    const firstOrder = PY_PAID_ORDER.id.toString();
    expect(await run.deliver('orders/paid', toShopifyJson(buildCountryOrder(PY_PAID_ORDER, 'PY')), 'void-paid-1')).toBe(200);
    const invoice = await run.issued(firstOrder, 'invoice');

    // The factura is cancelled at SIFEN outside Puente: a nota de crédito citing it can no longer be approved.
    const cancelled = await fetch(`${run.origin}/${FACTURAPI_SANDBOX_DEMO_TENANT}/evento/cancelacion`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FACTURAPI_SANDBOX_DEMO_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cdc: invoice.result!.uuid, motivo: 'Cancelada a mano por el emisor' }),
    });
    expect(cancelled.status).toBe(200);

    expect(await run.deliver('refunds/create', toShopifyJson(buildRefund(PY_PAID_ORDER, PY_PARTIAL_REFUND) as never), 'void-refund-1')).toBe(200);
    const rejected = await eventually(async () => {
      const note = (await run.documents()).find((d) => d.orderId === firstOrder && d.kind === 'credit_note');
      return note?.status === 'needs_attention' ? (note as VoidedDocument & { number?: string }) : undefined;
    }, 'the nota de crédito to be rejected by SIFEN');
    expect(rejected.attention).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/documento asociado/i) });
    expect(rejected.number).toBe('1');

    const voided = await admin('POST', `/api/documents/${rejected.id}/void`, { reason: REASON });
    expect(voided.status).toBe(200);
    expect(voided.body.document).toMatchObject({ documentId: rejected.id, number: '1', series: '001-001', status: 'skipped' });

    const closed = await eventually(async () => {
      const { body } = await admin('GET', `/api/documents/${rejected.id}`);
      const document = body as unknown as VoidedDocument;
      return document.voided?.numberClosure.state === 'closed' ? document : undefined;
    }, 'the number closure to be closed');
    expect(closed).toMatchObject({ status: 'skipped', voided: { reason: REASON, numberClosure: { state: 'closed', reference: expect.any(String) } } });
    expect((await admin('GET', '/api/number-closures')).body).toEqual({ numberClosures: [] });

    // SIFEN holds exactly that number as inutilized, with the operator's reason as motivo.
    const { events, inutilized } = await sandboxEvents();
    expect(inutilized).toEqual([{ tenant: FACTURAPI_SANDBOX_DEMO_TENANT, tipoDocumento: NOTA_DE_CREDITO, establecimiento: '001', punto: '001', desde: 1, hasta: 1 }]);
    expect(events.filter((e) => e.type === 'inutilizacion').map((e) => e.data.motivo)).toEqual([REASON]);

    // Replaying the voided note is refused: it is never sent again.
    expect(await admin('POST', `/api/documents/${rejected.id}/replay`)).toMatchObject({ status: 409 });

    // The next order's nota de crédito takes the next number, and SIFEN approves it.
    const secondOrder = SECOND_ORDER.id.toString();
    expect(await run.deliver('orders/paid', toShopifyJson(buildCountryOrder(SECOND_ORDER, 'PY')), 'void-paid-2')).toBe(200);
    await run.issued(secondOrder, 'invoice');
    expect(await run.deliver('refunds/create', toShopifyJson(buildRefund(SECOND_ORDER, SECOND_REFUND) as never), 'void-refund-2')).toBe(200);
    const next = await run.issued(secondOrder, 'credit_note');
    expect(next.result?.fiscalNumber).toBe('001-001-0000002');

    // At SIFEN: number 1 once (rejected, then inutilized), number 2 once (approved); nothing reused or repeated.
    const notes = (await run.sandboxDocuments<SandboxDocument>()).filter((d) => d.tipoDocumento === NOTA_DE_CREDITO);
    expect(notes.map((d) => [d.numero, d.dEstRes])).toEqual([
      ['001-001-0000001', 'Rechazado'],
      ['001-001-0000002', 'Aprobado'],
    ]);

    // One log line for the void, with ids: the operator's text stays out of the log.
    const log = run.puente.output();
    expect(log.split('\n').filter((line) => line.includes('document voided'))).toHaveLength(1);
    expect(log).toContain(rejected.id);
    expect(log).not.toContain(REASON);
  }, 120_000);
});
