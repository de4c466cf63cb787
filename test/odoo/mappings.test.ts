/**
 * The Odoo stage-1 mappings: chosen for the right event and document, their golden fixtures pass,
 * and — checked independently of the expected files — the documents the domain computes from them
 * come to exactly what Odoo charged, cite the right order, and handle buyers and taxes as promised.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FiscalDocumentDraft } from '../../src/domain/fiscal-document.js';
import { normalizeIdentification } from '../../src/domain/identifiers.js';
import { computeDocument } from '../../src/domain/totals.js';
import { formatGoldenResult, loadMappingDirectory, runGoldenTests } from '../../src/mapping/index.js';

const registry = await loadMappingDirectory(new URL('../../mappings', import.meta.url).pathname);
const fixture = async (name: string) => JSON.parse(await readFile(new URL(`../../mappings/odoo/fixtures/${name}.input.json`, import.meta.url), 'utf8'));

const invoice = registry.forSource('odoo', 'order.paid', 'invoice')!;
const credit = registry.forSource('odoo', 'order.refunded', 'credit_note')!;
const debit = registry.forSource('odoo', 'order.edited', 'debit_note')!;

async function computed(mapping: typeof invoice, input: unknown) {
  return computeDocument(FiscalDocumentDraft.parse(await mapping.run(input)));
}

describe('Odoo mappings', () => {
  it('are the ones chosen for Odoo events, and their golden fixtures pass as FiscalDocument drafts', async () => {
    expect([invoice?.id, credit?.id, debit?.id]).toEqual(['odoo-invoice', 'odoo-credit-note', 'odoo-debit-note']);
    for (const mapping of [invoice, credit, debit]) {
      expect(mapping.warnings ?? []).toEqual([]);
      const results = await runGoldenTests(mapping, {
        validate: (output) => {
          const parsed = FiscalDocumentDraft.safeParse(output);
          if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
          computeDocument(parsed.data);
          return [];
        },
      });
      expect(results.length).toBeGreaterThan(0);
      expect(results.filter((r) => !r.passed).map(formatGoldenResult)).toEqual([]);
    }
  });

  it.each([
    ['invoice-nit', 'order'],
    ['invoice-tax-included-cc', 'order'],
    ['invoice-final-consumer', 'order'],
    ['credit-note-partial', 'refund'],
    ['credit-note-full', 'refund'],
    ['debit-note', 'refund'],
  ] as const)('%s: the computed document comes to Odoo\'s own untaxed, tax and total amounts', async (name, moveKey) => {
    const input = await fixture(name);
    const mapping = name.startsWith('credit') ? credit : name.startsWith('debit') ? debit : invoice;
    const document = await computed(mapping, input);
    const move = input[moveKey];
    expect([document.totals.lineExtensionAmount, document.totals.taxTotal, document.totals.payableAmount]).toEqual([move.amountUntaxed, move.amountTax, move.amountTotal]);
    expect(document.currency).toBe(move.currency.name);
    // Sections are not lines: one document line per sold Odoo line.
    expect(document.lines.map((l) => l.sourceLineId)).toEqual(move.lines.filter((l: { displayType: string }) => l.displayType === 'product').map((l: { id: string }) => l.id));
  });

  it('notes cite the invoice they correct as their order, and a full reversal annuls', async () => {
    const partial = await fixture('credit-note-partial');
    const full = await fixture('credit-note-full');
    const charge = await fixture('debit-note');
    const [p, f, d] = [await credit.run(partial), await credit.run(full), await debit.run(charge)] as { orderRef: { orderId: string }; correction: { code: string } }[];
    expect(p!.orderRef.orderId).toBe(partial.refund.reversedEntry.id);
    expect(d!.orderRef.orderId).toBe(charge.refund.debitOrigin.id);
    expect([p!.correction.code, f!.correction.code, d!.correction.code]).toEqual(['partial_return', 'annulment', 'value_change']);
  });

  it('reads the buyer\'s identification type from Odoo; without a tax id the buyer is the final consumer of the connection\'s country', async () => {
    const input = await fixture('invoice-nit');
    const withType = async (name: string | null, vat: string | null) => {
      const order = structuredClone(input.order);
      order.partner.vat = vat;
      order.partner.identificationType = name === null ? null : { id: '9', name };
      return ((await invoice.run({ ...input, order })) as { buyer: { identification: { type: string; number: string } } }).buyer.identification;
    };
    expect(await withType('Cédula de extranjería', '987654')).toEqual({ type: 'CE', number: '987654' });
    expect(await withType('Pasaporte', 'AB123456')).toEqual({ type: 'PASSPORT', number: 'AB123456' });
    expect(await withType('RIF', 'J-12345678-9')).toEqual({ type: 'RIF', number: 'J-12345678-9' });
    expect(await withType(null, '900123456-8')).toEqual({ type: 'NIT', number: '900123456-8' });
    const nobody = await withType('NIT', null);
    expect(nobody.type).toBe('FINAL_CONSUMER');
    // What the pipeline makes of it in Venezuela and Paraguay: their own final consumer.
    expect(normalizeIdentification('VE', nobody.number, 'FINAL_CONSUMER').number).toBe('00000000');
    expect(normalizeIdentification('PY', nobody.number, 'FINAL_CONSUMER').number).toBe('44444401');
    // A NIT typed with its check digit, as Odoo Colombia keeps it, is verified by the pipeline.
    expect(normalizeIdentification('CO', '900123456-8', 'NIT')).toEqual({ type: 'NIT', number: '900123456', checkDigit: '8' });
  });

  it('a tax with no entry for the country stops the document, naming its key', async () => {
    const input = await fixture('invoice-nit');
    const order = structuredClone(input.order);
    order.lines[1].taxes.push({ id: '77', name: 'RteFte -2.5%', amount: '-2.5', amountType: 'percent', priceInclude: false });
    // A mapping without expressions runs synchronously: wrap it so a throw becomes a rejection.
    const run = (value: unknown) => Promise.resolve().then(() => invoice.run(value));
    await expect(run({ ...input, order })).rejects.toThrow(/lines\[0\]\.taxes\[1\]\.code: key CO:percent:-2\.5 has no entry/);
    await expect(run({ ...input, country: 'PY' })).rejects.toThrow(/key PY:percent:8 has no entry/);
  });
});
