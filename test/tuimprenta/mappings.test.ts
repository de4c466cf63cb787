/**
 * The stage-2 mappings for tuimprenta: loaded from mappings/ with the rest, golden fixtures pass,
 * outputs satisfy the wire schemas, and the fixtures' inputs are real computed FiscalDocuments.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { tuimprentaWireSchemas } from '../../connectors/tuimprenta/wire.js';
import { FiscalDocument } from '../../src/domain/fiscal-document.js';
import { computeDocument } from '../../src/domain/totals.js';
import { loadMappingCatalog } from '../../src/mapping/catalog.js';
import { formatGoldenResult, runGoldenTests } from '../../src/mapping/golden.js';

const catalog = await loadMappingCatalog('mappings');
const KINDS = ['invoice', 'credit_note', 'debit_note'] as const;
const read = async (name: string) => JSON.parse(await readFile(new URL(`../../mappings/tuimprenta/fixtures/${name}`, import.meta.url), 'utf8'));

describe('tuimprenta mappings', () => {
  it.each(KINDS)('%s: one mapping, golden tests pass, output fits the wire schema', async (kind) => {
    const mapping = catalog.forTarget('tuimprenta', kind);
    expect(mapping?.id).toBe(`tuimprenta-${kind.replace('_', '-')}`);
    expect(mapping!.tests.length).toBeGreaterThan(0);
    const results = await runGoldenTests(mapping!, {
      validate: (output) => {
        const parsed = tuimprentaWireSchemas[kind].safeParse(output);
        return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      },
    });
    expect(results.filter((r) => !r.passed).map(formatGoldenResult)).toEqual([]);
  });

  it.each(['invoice-rif', 'invoice-usd-igtf', 'credit-note-partial-return', 'debit-note-raised-total'])(
    'fixture %s is a FiscalDocument the domain computed (recomputing it changes nothing)',
    async (name) => {
      const { document } = await read(`${name}.input.json`);
      expect(FiscalDocument.safeParse(document).success).toBe(true);
      const { taxSummary: _s, totals: _t, ...draft } = document;
      const lines = document.lines.map((line: Record<string, unknown>) => {
        const { grossAmount: _g, discountAmount: _d, lineExtensionAmount: _l, netUnitPrice: _n, taxAmount: _a, chargedUnitPrice: _c, ...rest } = line;
        return { ...rest, taxes: (line.taxes as Record<string, unknown>[]).map(({ code, percent }) => ({ code, percent })) };
      });
      expect(computeDocument({ ...draft, lines })).toEqual(document);
      // Server numbering: Puente gives tuimprenta documents no series or number of its own.
      expect(document.series).toBeUndefined();
      expect(document.number).toBeUndefined();
    },
  );

  it('sends the BCV rate only for a foreign-currency document, and IGTF only as its base', async () => {
    const ves = await read('invoice-rif.expected.json');
    const usd = await read('invoice-usd-igtf.expected.json');
    expect(ves.exchange_rate).toBeUndefined();
    expect(usd.exchange_rate).toBe('36.5012');
    expect(usd.payment.foreign_currency_amount).toBe(usd.totals.total);
  });

  it('cites the invoice by control number, with its number only when Puente knows it', async () => {
    expect((await read('credit-note-partial-return.expected.json')).related_invoice).toEqual({ control_number: '00-00000017', issue_date: '2026-11-20' });
    expect((await read('debit-note-raised-total.expected.json')).related_invoice).toEqual({ control_number: '00-00000017', number: '00000017', issue_date: '2026-11-20' });
  });

  it('stops with the field path when the buyer has no address (SENIAT wants the domicilio fiscal)', async () => {
    const input = await read('invoice-rif.input.json');
    delete input.document.buyer.address;
    expect(() => catalog.forTarget('tuimprenta', 'invoice')!.run(input)).toThrow(/customer\.address\.line/);
  });

  it('takes the series from the connection’s targetSettings', async () => {
    const input = await read('invoice-rif.input.json');
    input.target = { series: 'B' };
    expect((catalog.forTarget('tuimprenta', 'invoice')!.run(input) as { series: string }).series).toBe('B');
  });
});
