/**
 * End to end: the real Puente server (`puente serve`, its own process) polls an Odoo — the Odoo
 * sandbox, a JSON-RPC server on loopback — and issues at a standalone APIDIAN sandbox (its own
 * process). Invoices, credit notes and a debit note are posted in Odoo; at APIDIAN we must find one
 * invoice per posted invoice, one credit note per refund move and one debit note, exactly once
 * however often Puente sweeps or is notified, with totals equal to Odoo's to the cent.
 */
import { apidianTargetsYaml } from './apidian-target.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ODOO_SANDBOX_API_KEY,
  ODOO_SANDBOX_DATABASE,
  ODOO_SANDBOX_LOGIN,
  type SandboxMoveInput,
} from '../../connectors/odoo/sandbox/index.js';
import { eventually, startCli, tempDir, writeYaml, type RunningProcess } from './processes.js';

const ADMIN = 'e2e-admin-token';

interface SandboxDocument {
  kind: string;
  number: number;
  fiscalNumber: string;
  key: string;
  isValid: boolean | string;
  totals: { payableAmount: string };
  wire: { billing_reference?: { number: string; uuid: string }; payment_form?: { payment_form_id: number | string; payment_due_date?: string } };
}

interface PuenteDocument {
  id: string;
  kind: string;
  status: string;
  orderId: string;
  subjectId?: string;
  referenceDocumentId?: string;
  attention?: unknown;
  result?: { fiscalNumber: string; uuid?: string };
  fiscal?: { totals: { payableAmount: string } };
}

interface PostedMove {
  id: number;
  name: string;
  amountTotal: string;
}

let odoo: RunningProcess;
let apidian: RunningProcess;
let puente: RunningProcess;

async function post(route: string, body: unknown): Promise<PostedMove> {
  const response = await fetch(`${odoo.url}/_sandbox/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await response.json()) as PostedMove & { message?: string };
  if (response.status !== 201) throw new Error(`odoo sandbox ${route}: ${response.status} ${json.message}`);
  return json;
}

const admin = (route: string, init: RequestInit = {}) =>
  fetch(`${puente.url}/api/${route}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...init.headers } });

async function puenteDocuments(): Promise<PuenteDocument[]> {
  return ((await (await admin('documents?limit=1000')).json()) as { documents: PuenteDocument[] }).documents;
}

async function apidianDocuments(): Promise<SandboxDocument[]> {
  return ((await (await fetch(`${new URL(apidian.url).origin}/_sandbox/documents`)).json()) as { documents: SandboxDocument[] }).documents;
}

async function sweep(): Promise<{ found: number; scanned: number; lastError?: string }> {
  const response = await admin('connections/erp/sweep', { method: 'POST' });
  return (await response.json()) as { found: number; scanned: number };
}

/** Waits until Puente holds exactly `count` documents and all are issued; fails at once on a parked one. */
async function settled(count: number): Promise<PuenteDocument[]> {
  return eventually(async () => {
    const documents = await puenteDocuments();
    const stuck = documents.find((d) => d.status === 'needs_attention' || d.status === 'rejected');
    if (stuck) throw new Error(`document ${stuck.kind} of order ${stuck.orderId} is ${stuck.status}: ${JSON.stringify(stuck.attention ?? stuck.result)}`);
    return documents.length === count && documents.every((d) => d.status === 'issued') ? documents : undefined;
  }, `${count} documents to be issued\n--- puente log (tail) ---\n${puente.output().slice(-3000)}`, 60_000);
}

const coffee = (quantity: string) => ({ product: 'CAF-HUI-500', quantity, priceUnit: '42000', discount: '10', taxes: [5] });
const shipping = { product: 'ENVIO', quantity: '1', priceUnit: '12000', taxes: [1] };

const INVOICE_A: SandboxMoveInput = {
  partner: 11, // a contact of Tostadora Andina SAS (NIT 900123456-8), on 30 days' credit
  dueDays: 30,
  lines: [coffee('3'), { product: 'MOL-CER-01', quantity: '1', priceUnit: '189900', taxes: [1] }, { product: 'CAF-VER-1K', quantity: '2.5', priceUnit: '31500', taxes: [2] }, shipping],
};
const INVOICE_B: SandboxMoveInput = {
  partner: 8, // a person with a cédula; prices that include IVA
  lines: [{ product: 'MOL-CER-01', quantity: '2', priceUnit: '225981', discount: '15', taxes: [4] }, { product: 'SRV-BAR', quantity: '1', priceUnit: '150000', taxes: [3] }, { product: 'ENVIO', quantity: '1', priceUnit: '9900', taxes: [4] }],
};
const INVOICE_C: SandboxMoveInput = { partner: 9, lines: [coffee('1')] }; // no tax id: final consumer

const moves: Record<string, PostedMove> = {};

describe('posted Odoo moves become DIAN documents, end to end', () => {
  beforeAll(async () => {
    const dir = tempDir('puente-e2e-odoo-');
    // The simulator as an ERP admin would start it: `puente sandbox odoo`.
    odoo = await startCli(['sandbox', 'odoo', '--port', '0'], {}, /odoo sandbox listening at (http:\/\/[\d.:]+)/);
    expect(odoo.output()).toContain(`API key             ${ODOO_SANDBOX_API_KEY}`);
    apidian = await startCli(
      ['sandbox', 'apidian', '--port', '0', '--requests-per-minute', '1000', '--data', `${dir}/apidian.json`],
      {},
      /apidian sandbox listening at (http:\/\/[\d.:]+\/api)/,
    );
    // Posted before Puente starts: its first sweep must find them.
    moves.a = await post('invoices', INVOICE_A);
    moves.b = await post('invoices', INVOICE_B);
    moves.c = await post('invoices', INVOICE_C);
    moves.refundA = await post('credit-notes', { invoiceId: moves.a.id, lines: [coffee('1'), shipping] });
    moves.refundB = await post('credit-notes', { invoiceId: moves.b.id });
    moves.debitA = await post('debit-notes', { invoiceId: moves.a.id, lines: [{ product: 'SRV-BAR', quantity: '1', priceUnit: '80000', taxes: [1] }] });

    const config = `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${path.resolve('mappings')}
log: { level: info }
shopify: { apiSecret: e2e-unused-secret, apiVersion: "2026-01" }
pipeline: { tickMs: 100, statusPollMs: 150 }
${apidianTargetsYaml(apidian.url)}
connections:
  - id: erp
    source: { type: odoo, url: "${odoo.url}", database: ${ODOO_SANDBOX_DATABASE}, username: "${ODOO_SANDBOX_LOGIN}", apiKey: ${ODOO_SANDBOX_API_KEY}, pageSize: 2 }
    target: co
    timezone: America/Bogota
    # The first sweep runs a second after start; later ones are asked for explicitly (POST …/sweep), so
    # a scheduled one never races them.
    sweepMinutes: 30
`;
    puente = await startCli(['serve'], { PUENTE_CONFIG: writeYaml(dir, 'puente.config.yaml', config) }, /Puente is running at (http:\/\/[\d.:]+)/);
  }, 60_000);

  afterAll(async () => {
    await puente?.stop();
    await apidian?.stop();
    await odoo?.stop();
  });

  it('the first sweep issues one document per posted move, with Odoo\'s totals to the cent', async () => {
    const documents = await settled(6);
    const sweeps = await sweep();
    expect(sweeps).toMatchObject({ found: 0 });

    const atApidian = await apidianDocuments();
    expect(atApidian.filter((d) => String(d.isValid) !== 'true').map((d) => [d.kind, d.fiscalNumber])).toEqual([]);
    const count = (kind: string) => atApidian.filter((d) => d.kind === kind).length;
    expect([count('invoice'), count('credit_note'), count('debit_note')]).toEqual([3, 2, 1]);

    const remote = (document: PuenteDocument) => atApidian.find((d) => d.fiscalNumber === document.result!.fiscalNumber)!;
    const one = (kind: string, orderId: number, subjectId?: number) => {
      const mine = documents.filter((d) => d.kind === kind && d.orderId === String(orderId) && (subjectId === undefined || d.subjectId === String(subjectId)));
      expect(mine, `${kind} of move ${orderId}`).toHaveLength(1);
      return mine[0]!;
    };
    const invoiceA = one('invoice', moves.a!.id);
    const invoiceB = one('invoice', moves.b!.id);
    const invoiceC = one('invoice', moves.c!.id);
    const creditA = one('credit_note', moves.a!.id, moves.refundA!.id);
    const creditB = one('credit_note', moves.b!.id, moves.refundB!.id);
    const debitA = one('debit_note', moves.a!.id, moves.debitA!.id);

    // What APIDIAN received comes to exactly what Odoo posted.
    for (const [document, move] of [
      [invoiceA, moves.a],
      [invoiceB, moves.b],
      [invoiceC, moves.c],
      [creditA, moves.refundA],
      [creditB, moves.refundB],
      [debitA, moves.debitA],
    ] as const) {
      expect(remote(document).totals.payableAmount, `${document.kind} for ${move!.name}`).toBe(move!.amountTotal);
    }
    // Invoice A is due in 30 days: sold on credit (DIAN forma de pago 2) with Odoo's due date.
    const dueA = (await (await fetch(`${odoo.url}/_sandbox/moves`)).json()) as { moves: { id: number; invoice_date_due: string }[] };
    expect(remote(invoiceA).wire.payment_form).toMatchObject({ payment_form_id: 2, payment_due_date: dueA.moves.find((m) => m.id === moves.a!.id)!.invoice_date_due });
    expect(remote(invoiceC).wire.payment_form).toMatchObject({ payment_form_id: 1 });
    // Each note cites the invoice of the move it reverses or adds to.
    expect(remote(creditA).wire.billing_reference).toMatchObject({ number: invoiceA.result!.fiscalNumber, uuid: invoiceA.result!.uuid });
    expect(remote(creditB).wire.billing_reference).toMatchObject({ number: invoiceB.result!.fiscalNumber, uuid: invoiceB.result!.uuid });
    expect(remote(debitA).wire.billing_reference).toMatchObject({ number: invoiceA.result!.fiscalNumber, uuid: invoiceA.result!.uuid });
  }, 90_000);

  it('a move announced by Odoo\'s webhook is issued once, however often it is announced and swept', async () => {
    const d = await post('invoices', { partner: 7, lines: [coffee('2'), shipping] });
    const notify = async () => {
      const body = JSON.stringify({ _action: 'Puente: factura publicada(#31)', _id: d.id, _model: 'account.move', amount_total: 1 });
      const response = await fetch(`${puente.url}/webhooks/odoo/erp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: response.status, json: (await response.json()) as { received: { duplicate: boolean }[] } };
    };
    const first = await notify();
    expect(first.status).toBe(200);
    expect(first.json.received.map((r) => r.duplicate)).toEqual([false]);
    expect((await notify()).json.received.map((r) => r.duplicate)).toEqual([true]);
    expect((await sweep()).found).toBe(0);

    // A partial refund of it, found by the next sweep.
    const refund = await post('credit-notes', { invoiceId: d.id, lines: [coffee('1')] });
    expect((await sweep()).found).toBe(1);
    expect((await sweep()).found).toBe(0);

    const documents = await settled(8);
    const mine = documents.filter((doc) => doc.orderId === String(d.id));
    expect(mine.map((doc) => doc.kind).sort()).toEqual(['credit_note', 'invoice']);
    const atApidian = await apidianDocuments();
    const total = (kind: string) => atApidian.find((x) => x.fiscalNumber === mine.find((doc) => doc.kind === kind)!.result!.fiscalNumber)!.totals.payableAmount;
    expect([total('invoice'), total('credit_note')]).toEqual([d.amountTotal, refund.amountTotal]);
    expect(atApidian).toHaveLength(8);
  }, 90_000);

  it('refuses a notification that names no account.move, storing nothing', async () => {
    const before = (await puenteDocuments()).length;
    const response = await fetch(`${puente.url}/webhooks/odoo/erp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _model: 'res.partner', _id: 7 }) });
    expect(response.status).toBe(400);
    const unknown = await fetch(`${puente.url}/webhooks/odoo/nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _model: 'account.move', _id: 1 }) });
    expect(unknown.status).toBe(404);
    expect((await puenteDocuments()).length).toBe(before);
  });
});
