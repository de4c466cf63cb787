/**
 * The mappings Puente ships: they load, pass their golden tests, and their outputs satisfy the
 * contracts on both sides — FiscalDocumentDraft for stage 1, APIDIAN's wire schemas for stage 2.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { apidianWireSchemas, type ApidianDocumentKind } from '../../connectors/apidian/wire.js';
import { FiscalDocument, FiscalDocumentDraft } from '../../src/domain/fiscal-document.js';
import { nitCheckDigit } from '../../src/domain/identifiers.js';
import { computeDocument } from '../../src/domain/totals.js';
import { MappingFile, formatGoldenResult, loadMappingDirectory, runGoldenTests, type CompiledMapping } from '../../src/mapping/index.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
const registry = await loadMappingDirectory(MAPPINGS);

const issuesOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? [] : (result.error?.issues ?? []).map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);

function validatorFor(mapping: CompiledMapping): (output: unknown) => string[] {
  if (mapping.target.system === 'fiscal-document') return (output) => issuesOf(FiscalDocumentDraft.safeParse(output));
  if (mapping.target.system === 'apidian') {
    const schema = apidianWireSchemas[mapping.target.document as ApidianDocumentKind];
    return (output) => issuesOf(schema.safeParse(output));
  }
  throw new Error(`no output contract known for ${mapping.target.system}`);
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
