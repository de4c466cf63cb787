/**
 * End to end, Paraguay through FacturApi (SIFEN): the real Puente server and a standalone FacturApi
 * sandbox, each in its own process on loopback. A PYG Shopify store's signed webhooks — a paid order,
 * a partial refund, an order edit that raises the total — must give exactly one factura, one nota de
 * crédito and one nota de débito approved at SIFEN, whose totals by SIFEN's own formulas (dTotOpe)
 * are what the order, refund or raise came to, to the guaraní, and the notes citing the factura by
 * its CDC. The notes' lines are stated net of tax by the domain; they reach SIFEN IVA-inclusive
 * through chargedUnitPrice.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidCdc } from '../../connectors/facturapi/cdc.js';
import { buildRefund, toShopifyJson } from '../../connectors/shopify/samples/index.js';
import { buildCountryOrder, PY_PAID_ORDER, PY_PARTIAL_REFUND, PY_RAISED_ORDER } from './country-samples.js';
import { FACTURAPI_SANDBOX_DEMO_API_KEY } from '../../connectors/facturapi/sandbox/seed.js';
import { startFacturapiRun } from './facturapi-target.js';
import { SECRET, type TargetRun } from './target-run.js';

interface FacturapiSandboxDocument {
  cdc: string;
  tipoDocumento: number;
  kind: 'invoice' | 'credit_note' | 'debit_note' | null;
  numero: string;
  estado: string;
  associatedCdc: string | null;
  totals: Record<string, string>;
  wire: { moneda: string };
}

let run: TargetRun;

describe('a Paraguayan Shopify store issues through FacturApi (SIFEN), end to end', () => {
  beforeAll(async () => {
    run = await startFacturapiRun();
  }, 60_000);

  afterAll(async () => {
    await run?.stop();
  });

  it('a paid order, a partial refund and a raised total give one factura, one nota de crédito and one nota de débito, approved, with the right totals', async () => {
    const orderId = PY_PAID_ORDER.id.toString();
    const before = buildCountryOrder(PY_PAID_ORDER, 'PY') as { total_price: string };
    const after = buildCountryOrder(PY_RAISED_ORDER, 'PY') as { total_price: string };
    const refund = buildRefund(PY_PAID_ORDER, PY_PARTIAL_REFUND) as { transactions: { amount: string }[] };

    // SIFEN answers a lote after the sandbox's processing delay (3 s): each wait allows for it.
    expect(await run.deliver('orders/paid', toShopifyJson(buildCountryOrder(PY_PAID_ORDER, 'PY')), 'py-paid')).toBe(200);
    const invoice = await run.issued(orderId, 'invoice');
    expect(await run.deliver('refunds/create', toShopifyJson(refund as never), 'py-refund')).toBe(200);
    const credit = await run.issued(orderId, 'credit_note');
    expect(await run.deliver('orders/updated', toShopifyJson(buildCountryOrder(PY_RAISED_ORDER, 'PY')), 'py-raised')).toBe(200);
    const debit = await run.issued(orderId, 'debit_note');

    const atSifen = await run.sandboxDocuments<FacturapiSandboxDocument>();
    expect(atSifen.map((d) => d.tipoDocumento).sort()).toEqual([1, 5, 6]);
    const byKind = (kind: string) => atSifen.find((d) => d.kind === kind)!;
    const [fe, nc, nd] = [byKind('invoice'), byKind('credit_note'), byKind('debit_note')];

    const gs = (value: string) => new Decimal(value).toFixed(0);
    for (const document of [fe, nc, nd]) {
      expect(document.wire.moneda).toBe('PYG');
      expect(document.estado).toMatch(/^(1-Aprobado|2-Aprobado con observación)$/);
      expect(isValidCdc(document.cdc)).toBe(true);
    }
    // SIFEN's total of the operation, from its own per-item formulas.
    expect(gs(fe.totals.dTotOpe!)).toBe(gs(before.total_price));
    expect(gs(nc.totals.dTotOpe!)).toBe(gs(refund.transactions[0]!.amount));
    expect(gs(nd.totals.dTotOpe!)).toBe(new Decimal(after.total_price).minus(before.total_price).toFixed(0));

    // The notes cite the factura by its CDC.
    expect(nc.associatedCdc).toBe(fe.cdc);
    expect(nd.associatedCdc).toBe(fe.cdc);
    // Puente's records agree with SIFEN: establecimiento-punto-número and the CDC.
    expect(invoice.result).toMatchObject({ fiscalNumber: fe.numero, uuid: fe.cdc });
    expect(credit.result).toMatchObject({ fiscalNumber: nc.numero, uuid: nc.cdc });
    expect(debit.result).toMatchObject({ fiscalNumber: nd.numero, uuid: nd.cdc });
    expect([credit.referenceDocumentId, debit.referenceDocumentId]).toEqual([invoice.id, invoice.id]);
  }, 90_000);

  it('never writes the secrets or the buyer\'s data to its log', () => {
    const log = run.puente.output();
    for (const secret of [SECRET, FACTURAPI_SANDBOX_DEMO_API_KEY, 'compras@ypacarai.example', '80034512']) {
      expect(log).not.toContain(secret);
    }
  });
});
