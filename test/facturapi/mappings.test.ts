/**
 * The FacturApi stage-2 mappings: they load, pass their golden tests, their outputs satisfy the
 * target's (account-aware) wire schema, and the fixtures are genuine computed FiscalDocuments in PYG.
 * Also pins down what the mappings cannot express yet (README "What the domain must add").
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createFacturapiTarget } from '../../connectors/facturapi/target.js';
import { FACTURAPI_SANDBOX_TARGET_DEFAULTS } from '../../connectors/facturapi/sandbox/seed.js';
import type { FacturapiDocumentKind } from '../../connectors/facturapi/wire.js';
import { debitForIncrease } from '../../src/domain/debit.js';
import { FiscalDocument, LineDraft, type FiscalDocumentDraftInput } from '../../src/domain/fiscal-document.js';
import { isValidRuc } from '../../src/domain/identifiers.js';
import { computeDocument } from '../../src/domain/totals.js';
import { loadMappingCatalog } from '../../src/mapping/catalog.js';
import { formatGoldenResult, runGoldenTests } from '../../src/mapping/golden.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
const catalog = await loadMappingCatalog(MAPPINGS);
const target = createFacturapiTarget({ ...FACTURAPI_SANDBOX_TARGET_DEFAULTS, baseUrl: 'http://facturapi.test' });
const KINDS: FacturapiDocumentKind[] = ['invoice', 'credit_note', 'debit_note'];

const problemsOf = (kind: FacturapiDocumentKind) => (output: unknown) => {
  const parsed = target.wireSchema(kind).safeParse(output);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};
const read = async (file: string) => JSON.parse(await readFile(new URL(`../../mappings/facturapi/fixtures/${file}`, import.meta.url), 'utf8'));
const mappingFor = (kind: FacturapiDocumentKind) => {
  const mapping = catalog.forTarget('facturapi', kind);
  if (!mapping) throw new Error(`no facturapi mapping for ${kind}`);
  return mapping;
};

/** The draft a computed document came from: its own inputs, without what computeDocument added. */
function draftOf(document: FiscalDocument): FiscalDocumentDraftInput & { lines: LineDraft[] } {
  const { taxSummary, totals, series, number, lines, ...rest } = document;
  void taxSummary, totals, series, number;
  const draftKeys = Object.keys(LineDraft.shape);
  return {
    ...rest,
    lines: lines.map(
      (line) =>
        ({
          ...Object.fromEntries(Object.entries(line).filter(([key]) => draftKeys.includes(key))),
          taxes: line.taxes.map(({ code, percent, name }) => ({ code, percent, ...(name ? { name } : {}) })),
        }) as LineDraft,
    ),
  };
}

describe('FacturApi stage-2 mappings', () => {
  it('exist for factura, nota de crédito and nota de débito', () => {
    expect(KINDS.map((kind) => mappingFor(kind).id)).toEqual(['facturapi-invoice', 'facturapi-credit-note', 'facturapi-debit-note']);
  });

  for (const kind of KINDS) {
    it(`${kind}: passes its golden tests and the target's wire schema`, async () => {
      const mapping = mappingFor(kind);
      expect(mapping.tests.length).toBeGreaterThan(0);
      const results = await runGoldenTests(mapping, { validate: problemsOf(kind) });
      expect(results.filter((r) => !r.passed).map(formatGoldenResult)).toEqual([]);
    });
  }

  it('the fixtures are computed FiscalDocuments in PYG whose totals SIFEN reproduces', async () => {
    for (const file of ['invoice-ruc', 'invoice-final-consumer', 'credit-note-partial-return', 'debit-note-added-item']) {
      const { document } = await read(`${file}.input.json`);
      const parsed = FiscalDocument.parse(document);
      expect(parsed.currency).toBe('PYG');
      expect(computeDocument(draftOf(parsed))).toEqual(FiscalDocument.parse({ ...document, series: undefined, number: undefined }));
      const expected = await read(`${file}.expected.json`);
      expect(expected.totalesEsperados.dTotOpe).toBe(parsed.totals.payableAmount);
    }
  });

  it('hand-checked: the RUC invoice charges 2 × 28.500 (5 %) + (185.000 − 18.500) + 25.000 (10 %) = 248.500 Gs', async () => {
    // The discounted line goes as what one unit was charged (the domain's chargedUnitPrice), without descuento.
    const wire = await read('invoice-ruc.expected.json');
    expect(wire.items.map((i: { cantidad: string; precioUnitario: string; descuento?: string; iva: string }) => [i.cantidad, i.precioUnitario, i.descuento ?? '0', i.iva])).toEqual([
      ['2', '28500', '0', '5'],
      ['1', '166500', '0', '10'],
      ['1', '25000', '0', '10'],
    ]);
    expect(wire.totalesEsperados).toEqual({ dTotOpe: '248500' });
    const [number, dv] = wire.cliente.ruc.split('-');
    expect(isValidRuc(number, dv)).toBe(true);
  });

  it('the wire schema writes fecha as SIFEN local time and keeps everything else', async () => {
    const wire = await read('invoice-ruc.expected.json');
    const parsed = target.wireSchema('invoice').parse(wire) as Record<string, unknown>;
    expect(parsed.fecha).toBe('2026-11-22T10:15:04');
    expect({ ...parsed, fecha: wire.fecha }).toEqual(wire);
  });

  it('notes cite the invoice by its CDC', async () => {
    const { document } = await read('credit-note-partial-return.input.json');
    const wire = await read('credit-note-partial-return.expected.json');
    expect(wire.documentoAsociado).toEqual({ formato: 1, cdc: document.reference.uuid });
  });

  it('issues a debit note the domain states net of tax: its lines go as chargedUnitPrice, IVA included', async () => {
    const { document: invoice } = await read('invoice-ruc.input.json');
    const raised = computeDocument({ ...draftOf(FiscalDocument.parse(invoice)), lines: [...draftOf(FiscalDocument.parse(invoice)).lines, { sourceLineId: '9', code: 'BOMBILLA', description: 'Bombilla', quantity: '1', unitPrice: '45000', priceIncludesTax: true, taxes: [{ code: 'IVA', percent: '10' }] }] });
    const debit = computeDocument({ ...debitForIncrease([FiscalDocument.parse(invoice)], raised, { issuedAt: '2026-11-24T16:20:00-03:00', description: 'Aumento' }), reference: (await read('debit-note-added-item.input.json')).document.reference });
    const wire = mappingFor('debit_note').run({ document: { ...debit, series: '001-001', number: '5' }, target: {} });
    // The domain's debit line is 40.909 Gs net + 4.091 IVA; SIFEN reads precioUnitario as IVA-inclusive,
    // so the line goes as 45.000 (chargedUnitPrice) and SIFEN's total is the domain's.
    expect(debit.lines[0]!.chargedUnitPrice).toBe('45000');
    expect((wire as { items: { precioUnitario: string }[] }).items.map((i) => i.precioUnitario)).toEqual(['45000']);
    expect(problemsOf('debit_note')(wire)).toEqual([]);
  });

  it('issues a discount spread over several units, as the discounted IVA-inclusive unit price', async () => {
    const { document } = await read('invoice-ruc.input.json');
    const draft = draftOf(FiscalDocument.parse(document));
    draft.lines[0] = { ...draft.lines[0]!, discounts: [{ amount: '5000' }] };
    const wire = mappingFor('invoice').run({ document: { ...computeDocument(draft), series: '001-001', number: '139' }, target: {} });
    // 2 × 28.500 − 5.000 = 52.000 Gs: 26.000 a unit, which SIFEN multiplies back to 52.000.
    expect((wire as { items: { precioUnitario: string; descuento?: string }[] }).items[0]).toMatchObject({ precioUnitario: '26000' });
    expect((wire as { items: { descuento?: string }[] }).items[0]!.descuento).toBeUndefined();
    expect((wire as { totalesEsperados: { dTotOpe: string } }).totalesEsperados.dTotOpe).toBe('243500');
    expect(problemsOf('invoice')(wire)).toEqual([]);
  });

  it('refuses an establecimiento-punto that is not the numbering series of the account', async () => {
    const wire = await read('invoice-ruc.expected.json');
    expect(problemsOf('invoice')({ ...wire, punto: '002' })).toEqual([expect.stringMatching(/^establecimiento: establecimiento-punto 001-002 is not where this account numbers invoices \(001-001\)/)]);
    expect(problemsOf('invoice')({ ...wire, numero: '0' })[0]).toMatch(/^numero:/);
  });
});
