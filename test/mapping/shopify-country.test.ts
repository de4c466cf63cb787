/**
 * The Shopify stage-1 mappings read a tax rate by the connection's country ($root.country): the same
 * Shopify rate is a different tax in Colombia, Venezuela and Paraguay, and a rate the country does
 * not have parks the document with the key that is missing.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MappingError } from '../../src/errors.js';
import { loadMappingDirectory } from '../../src/mapping/index.js';

const registry = await loadMappingDirectory(fileURLToPath(new URL('../../mappings', import.meta.url)));
const invoice = registry.byId('shopify-order-invoice')!;
const creditNote = registry.byId('shopify-refund-credit-note')!;
const fixture = async (name: string) =>
  JSON.parse(await readFile(new URL(`../../mappings/shopify/fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, any>;

type Draft = { lines: { taxes: { code: string; percent: string }[] }[] };
const taxesOf = (draft: unknown) => (draft as Draft).lines.map((line) => line.taxes.map((t) => `${t.code} ${t.percent}`).join('+'));

/** One order whose lines carry the given Shopify rates (numbers, as Shopify writes them). */
async function orderWithRates(country: string, rates: number[]) {
  const input = await fixture('paid-order-final-consumer.input.json');
  const item = input.order.line_items[0];
  input.country = country;
  input.order.line_items = rates.map((rate, i) => ({ ...item, id: `${item.id}${i}`, tax_lines: [{ ...item.tax_lines[0], rate }] }));
  input.order.shipping_lines = [];
  return input;
}

async function mappingFailure(run: () => Promise<unknown>): Promise<MappingError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(MappingError);
    return error as MappingError;
  }
  throw new Error('expected the mapping to fail');
}

describe('Shopify stage 1 maps a tax rate by the country of the connection', () => {
  it('Colombia: 0.19 / 0.05 / 0 are IVA, 0.08 is INC', async () => {
    expect(taxesOf(await invoice.run(await orderWithRates('CO', [0.19, 0.05, 0, 0.08])))).toEqual(['IVA 19', 'IVA 5', 'IVA 0', 'INC 8']);
  });

  it('Venezuela: 0.16 general, 0.08 reduced, 0.31 general + luxury, 0 exento — all IVA, as Unidigital and tuimprenta read them', async () => {
    expect(taxesOf(await invoice.run(await orderWithRates('VE', [0.16, 0.08, 0.31, 0])))).toEqual(['IVA 16', 'IVA 8', 'IVA 31', 'IVA 0']);
  });

  it('Paraguay: 0.1 (also written 0.10) and 0.05 IVA, 0 exento', async () => {
    const input = await orderWithRates('PY', [0.1, 0.05, 0]);
    input.order.line_items.push({ ...input.order.line_items[0], id: 'ten-as-text', tax_lines: [{ ...input.order.line_items[0].tax_lines[0], rate: '0.10' }] });
    expect(taxesOf(await invoice.run(input))).toEqual(['IVA 10', 'IVA 5', 'IVA 0', 'IVA 10']);
  });

  it('the same rate means different taxes: 0.08 is INC in Colombia and reduced IVA in Venezuela', async () => {
    expect(taxesOf(await invoice.run(await orderWithRates('CO', [0.08])))).toEqual(['INC 8']);
    expect(taxesOf(await invoice.run(await orderWithRates('VE', [0.08])))).toEqual(['IVA 8']);
  });

  it('a rate the country does not have stops the document, naming the field and the country:rate key', async () => {
    const error = await mappingFailure(async () => invoice.run(await orderWithRates('VE', [0.16, 0.19])));
    expect(error.path).toBe('lines[1].taxes[0].code');
    expect(error.message).toMatch(/VE:0\.19 has no entry in lookup taxByRate/);
    const paraguay = await mappingFailure(async () => invoice.run(await orderWithRates('PY', [0.16])));
    expect(paraguay.message).toMatch(/PY:0\.16 has no entry in lookup taxByRate/);
  });

  it('refunds use the same table: a Venezuelan refund line at 0.16 is IVA 16', async () => {
    const input = await fixture('partial-refund.input.json');
    input.country = 'VE';
    for (const item of input.refund.refund_line_items) item.line_item.tax_lines = item.line_item.tax_lines.map((t: object) => ({ ...t, rate: 0.16 }));
    for (const line of input.refund.refund_shipping_lines ?? []) line.shipping_line.tax_lines = line.shipping_line.tax_lines.map((t: object) => ({ ...t, rate: 0.16 }));
    const draft = (await creditNote.run(input)) as Draft;
    expect(new Set(taxesOf(draft))).toEqual(new Set(['IVA 16']));
    input.country = 'PY';
    const error = await mappingFailure(async () => creditNote.run(input));
    expect(error.message).toMatch(/PY:0\.16 has no entry in lookup taxByRate/);
  });
});
