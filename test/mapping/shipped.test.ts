/**
 * The mappings Puente ships: they load, pass their golden tests, and their outputs satisfy the
 * contracts on both sides — FiscalDocumentDraft for stage 1, APIDIAN's wire schemas for stage 2.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { ZodType } from 'zod';
import { apidianWireSchemas } from '../../connectors/apidian/wire.js';
import { facturapiWireSchemas } from '../../connectors/facturapi/wire.js';
import { tuimprentaWireSchemas } from '../../connectors/tuimprenta/wire.js';
import { unidigitalWireSchemas } from '../../connectors/unidigital/wire.js';
import { FiscalDocument, FiscalDocumentDraft } from '../../src/domain/fiscal-document.js';
import { nitCheckDigit } from '../../src/domain/identifiers.js';
import { computeDocument } from '../../src/domain/totals.js';
import { MappingFile, formatGoldenResult, loadMappingDirectory, runGoldenTests, type CompiledMapping } from '../../src/mapping/index.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
const registry = await loadMappingDirectory(MAPPINGS);

const issuesOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? [] : (result.error?.issues ?? []).map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);

/** The wire schema of every target Puente ships mappings for: a new target adds its line here. */
const WIRE_SCHEMAS: Record<string, Partial<Record<string, ZodType>>> = {
  apidian: apidianWireSchemas,
  facturapi: facturapiWireSchemas,
  tuimprenta: tuimprentaWireSchemas,
  unidigital: unidigitalWireSchemas,
};

/**
 * Stage 1: the draft must parse and the domain must compute it (totals, tax summary) — a draft the
 * domain refuses would park every document. Stage 2: the target's wire schema.
 */
function validatorFor(mapping: CompiledMapping): (output: unknown) => string[] {
  if (mapping.target.system === 'fiscal-document') {
    return (output) => {
      const parsed = FiscalDocumentDraft.safeParse(output);
      if (!parsed.success) return issuesOf(parsed);
      try {
        computeDocument(parsed.data);
        return [];
      } catch (error) {
        return [`computeDocument: ${(error as Error).message}`];
      }
    };
  }
  const schema = WIRE_SCHEMAS[mapping.target.system]?.[mapping.target.document];
  if (!schema) throw new Error(`no output contract known for ${mapping.target.system} ${mapping.target.document}: add its wire schema to WIRE_SCHEMAS`);
  return (output) => issuesOf(schema.safeParse(output));
}

describe('shipped mappings', () => {
  it('are all there, each selectable for its job', () => {
    expect(registry.forSource('shopify', 'order.paid', 'invoice')?.id).toBe('shopify-order-invoice');
    expect(registry.forSource('shopify', 'order.refunded', 'credit_note')?.id).toBe('shopify-refund-credit-note');
    expect(registry.forTarget('apidian', 'invoice')?.id).toBe('apidian-invoice');
    expect(registry.forTarget('apidian', 'credit_note')?.id).toBe('apidian-credit-note');
    expect(registry.forTarget('apidian', 'debit_note')?.id).toBe('apidian-debit-note');
  });

  it('also satisfy the whole zod format (the schema editors get)', async () => {
    for (const mapping of registry.all) {
      const parsed = MappingFile.safeParse(parseDocument(await readFile(mapping.file, 'utf8')).toJS());
      expect(issuesOf(parsed), mapping.file).toEqual([]);
    }
  });

  for (const mapping of registry.all) {
    it(`${mapping.id} passes its golden tests and its output contract`, async () => {
      expect(mapping.tests.length).toBeGreaterThan(0);
      const results = await runGoldenTests(mapping, { validate: validatorFor(mapping) });
      expect(results.filter((result) => !result.passed).map(formatGoldenResult)).toEqual([]);
    });
  }
});

describe('the golden fixtures tell one story across both stages', () => {
  const read = async (file: string) => JSON.parse(await readFile(new URL(`../../mappings/${file}`, import.meta.url), 'utf8'));

  it.each([
    ['shopify/fixtures/paid-order-nit.expected.json', 'apidian/fixtures/invoice-nit.input.json'],
    ['shopify/fixtures/paid-order-final-consumer.expected.json', 'apidian/fixtures/invoice-final-consumer.input.json'],
    ['shopify/fixtures/partial-refund.expected.json', 'apidian/fixtures/credit-note-partial-refund.input.json'],
    ['shopify/fixtures/paid-order-gift-card-exempt.expected.json', 'apidian/fixtures/invoice-exempt-lines.input.json'],
  ])('%s, computed by the domain, is the document %s maps', async (draftFile, stage2File) => {
    const { document } = await read(stage2File);
    const { series, number, reference, ...computed } = document;
    expect(FiscalDocument.safeParse(document).success).toBe(true);
    expect(computeDocument(await read(draftFile))).toEqual(computed);
    expect(typeof series).toBe('string');
    expect(typeof number).toBe('string');
    if (computed.kind !== 'invoice') expect(reference).toBeDefined();
  });

  it('the NIT fixture carries a correct check digit', async () => {
    const draft = await read('shopify/fixtures/paid-order-nit.expected.json');
    expect(nitCheckDigit(draft.buyer.identification.number)).toBe(draft.buyer.identification.checkDigit);
  });
});

describe('the Shopify invoice goldens cover what issue 3 lists', () => {
  const invoice = registry.forSource('shopify', 'order.paid', 'invoice')!;
  const read = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
  type Line = { sourceLineId?: string; kind: string; unitPrice: string; priceIncludesTax: boolean; discounts: unknown[]; taxes: { percent: string }[] };
  type Draft = { currency: string; buyer: { identification: { type: string } }; lines: Line[] };

  it('several tax rates, zero-rated and excluded lines, tax-inclusive and -exclusive prices, discounts, shipping, NIT and no tax id', async () => {
    // Issue 3 is about Colombian stores; the Venezuelan and Paraguayan goldens have their own rates.
    const colombian = [];
    for (const test of invoice.tests) if ((await read(test.input)).country === 'CO') colombian.push(test);
    const drafts: Draft[] = await Promise.all(colombian.map((test) => read(test.expect)));
    const lines = drafts.flatMap((draft) => draft.lines);
    expect(new Set(lines.flatMap((line) => line.taxes.map((tax) => tax.percent)))).toEqual(new Set(['19', '5', '0']));
    expect(lines.some((line) => line.taxes.length === 0)).toBe(true);
    expect(new Set(lines.map((line) => line.priceIncludesTax))).toEqual(new Set([true, false]));
    expect(lines.some((line) => line.discounts.length > 1)).toBe(true); // a line discount and an order code on one line
    expect(lines.some((line) => line.kind === 'shipping')).toBe(true);
    expect(new Set(drafts.map((draft) => draft.buyer.identification.type))).toEqual(new Set(['NIT', 'FINAL_CONSUMER']));
  });

  it('a gift card sold is not a line of the invoice', async () => {
    const test = invoice.tests.find((t) => t.input.endsWith('paid-order-gift-card-exempt.input.json'))!;
    const input = await read(test.input);
    const giftCards = (input.order.line_items as { id: string; gift_card: boolean }[]).filter((item) => item.gift_card);
    expect(giftCards).toHaveLength(1);
    const draft = (await invoice.run(input)) as unknown as Draft;
    expect(draft.lines.map((line) => line.sourceLineId)).not.toContain(giftCards[0]!.id);
    expect(draft.lines).toHaveLength(input.order.line_items.length - 1 + 1); // minus the gift card, plus shipping
  });

  it('a USD order of a COP shop is invoiced in the shop money, not the presentment money', async () => {
    const test = invoice.tests.find((t) => t.input.endsWith('paid-order-usd-presentment.input.json'))!;
    const input = await read(test.input);
    expect(input.order.presentment_currency).toBe('USD');
    const draft = (await invoice.run(input)) as unknown as Draft;
    expect(draft.currency).toBe('COP');
    const items = input.order.line_items as { price: string; price_set: { presentment_money: { amount: string } } }[];
    expect(draft.lines.slice(0, items.length).map((line) => line.unitPrice)).toEqual(items.map((item) => item.price));
    expect(draft.lines.map((line) => line.unitPrice)).not.toContain(items[0]!.price_set.presentment_money.amount);
  });
});
