import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MappingLoadError, diffJson, loadMappingDirectory, runGoldenTests } from '../../src/mapping/index.js';

function mapping(id: string, source: string, target: string, fields = '  kind: { const: invoice }', tests = ''): string {
  return `apiVersion: puente.mapping/v1\nkind: DocumentMapping\nmetadata: { id: ${id}, revision: 1 }\nsource: ${source}\ntarget: ${target}\nfields:\n${fields}\n${tests}`;
}

describe('loadMappingDirectory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'puente-registry-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function put(file: string, text: string): Promise<void> {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }

  it('loads yaml, yml and json mappings from subfolders, skipping fixtures folders', async () => {
    await put('shopify/invoice.yaml', mapping('s-invoice', '{ system: shopify, events: [order.paid] }', '{ system: fiscal-document, document: invoice }'));
    await put('shopify/credit.yml', mapping('s-credit', '{ system: shopify, events: [order.refunded, order.cancelled] }', '{ system: fiscal-document, document: credit_note }'));
    await put('apidian/invoice.json', JSON.stringify({
      apiVersion: 'puente.mapping/v1', kind: 'DocumentMapping', metadata: { id: 'a-invoice', revision: 2 },
      source: { system: 'fiscal-document' }, target: { system: 'apidian', document: 'invoice' },
      fields: { type_document_id: { const: 1 } },
    }));
    await put('shopify/fixtures/order.json', '{"not": "a mapping"}');
    await put('README.md', '# not a mapping');

    const registry = await loadMappingDirectory(dir);
    expect(registry.all.map((m) => m.id).sort()).toEqual(['a-invoice', 's-credit', 's-invoice']);
    expect(registry.byId('a-invoice')?.revision).toBe(2);
    expect(registry.byId('nope')).toBeUndefined();

    // stage 1: source system + event (→ document kind)
    expect(registry.select({ source: { system: 'shopify', event: 'order.paid' } })?.id).toBe('s-invoice');
    expect(registry.select({ source: { system: 'shopify', event: 'order.cancelled' } })?.id).toBe('s-credit');
    expect(registry.select({ source: { system: 'shopify', event: 'order.edited' } })).toBeUndefined();
    expect(registry.forSource('shopify', 'order.refunded', 'credit_note')?.id).toBe('s-credit');
    expect(registry.forSource('shopify', 'order.refunded', 'invoice')).toBeUndefined();
    // stage 2: fiscal-document → target system + document kind
    expect(registry.select({ target: { system: 'apidian', document: 'invoice' } })?.id).toBe('a-invoice');
    expect(registry.forTarget('apidian', 'invoice')?.id).toBe('a-invoice');
    expect(registry.forTarget('apidian', 'debit_note')).toBeUndefined();
    // a partial selector that matches several mappings is refused rather than guessed
    expect(() => registry.select({ source: { system: 'shopify' } })).toThrow(/several mappings match/);
  });

  it('refuses two mappings with the same id', async () => {
    await put('a.yaml', mapping('same', '{ system: shopify, events: [order.paid] }', '{ system: fiscal-document, document: invoice }'));
    await put('b.yaml', mapping('same', '{ system: shopify, events: [order.refunded] }', '{ system: fiscal-document, document: credit_note }'));
    const error = await loadMappingDirectory(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MappingLoadError);
    expect((error as MappingLoadError).issues[0]?.message).toMatch(/mapping id same is already used by .*a\.yaml/);
  });

  it('refuses two mappings for the same job', async () => {
    await put('a.yaml', mapping('one', '{ system: shopify, events: [order.paid] }', '{ system: fiscal-document, document: invoice }'));
    await put('b.yaml', mapping('two', '{ system: shopify, events: [order.created, order.paid] }', '{ system: fiscal-document, document: invoice }'));
    await expect(loadMappingDirectory(dir)).rejects.toThrow(/both handle shopify order.paid → fiscal-document invoice/);
  });

  it('reports the problems of every file together', async () => {
    await put('a.yaml', mapping('one', '{ system: shopify, events: [order.paid] }', '{ system: fiscal-document, document: invoice }', '  kind: { const: invoice, path: x }'));
    await put('b.yaml', mapping('two', '{ system: shopify, events: [order.paid] }', '{ system: fiscal-document, document: invoic }'));
    const error = (await loadMappingDirectory(dir).catch((e: unknown) => e)) as MappingLoadError;
    expect(error.issues.map((issue) => path.basename(issue.file))).toEqual(['a.yaml', 'b.yaml']);
  });

  it('runGoldenTests reports missing, extra and changed fields with their paths', async () => {
    const fields = [
      '  currency: { path: order.currency }',
      '  lines:',
      '    forEach: order.items',
      '    fields:',
      '      code: { path: sku }',
      '      quantity: { path: q, as: decimal }',
    ].join('\n');
    const tests = 'tests:\n  - { input: fixtures/in.json, expect: fixtures/good.json }\n  - { input: fixtures/in.json, expect: fixtures/bad.json, description: drifted }\n  - { input: fixtures/missing.json, expect: fixtures/good.json }';
    await put('m.yaml', mapping('golden', '{ system: shopify, events: [order.paid] }', '{ system: fiscal-document, document: invoice }', fields, tests));
    await put('fixtures/in.json', JSON.stringify({ order: { currency: 'COP', items: [{ sku: 'A', q: 1 }, { sku: 'B', q: 2 }] } }));
    await put('fixtures/good.json', JSON.stringify({ currency: 'COP', lines: [{ code: 'A', quantity: '1' }, { code: 'B', quantity: '2' }] }));
    await put('fixtures/bad.json', JSON.stringify({ currency: 'USD', kind: 'invoice', lines: [{ code: 'A' }] }));

    const registry = await loadMappingDirectory(dir);
    const [good, bad, missing] = await runGoldenTests(registry.byId('golden')!);
    expect(good).toMatchObject({ passed: true, differences: [], problems: [] });
    expect(bad?.passed).toBe(false);
    expect(bad?.description).toBe('drifted');
    expect(bad?.differences).toEqual([
      { path: 'currency', kind: 'changed', expected: 'USD', actual: 'COP' },
      { path: 'kind', kind: 'missing', expected: 'invoice' },
      { path: 'lines[0].quantity', kind: 'extra', actual: '1' },
      { path: 'lines[1]', kind: 'extra', actual: { code: 'B', quantity: '2' } },
    ]);
    expect(missing).toMatchObject({ passed: false, error: expect.stringContaining('cannot read fixture') });

    const [validated] = await runGoldenTests(registry.byId('golden')!, { validate: () => ['lines: too many'] });
    expect(validated).toMatchObject({ passed: false, problems: ['lines: too many'] });
  });
});

describe('diffJson', () => {
  it('ignores key order and compares list order', () => {
    expect(diffJson({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toEqual([]);
    expect(diffJson([1, 2], [2, 1])).toHaveLength(2);
    expect(diffJson({ a: '1' }, { a: 1 })).toEqual([{ path: 'a', kind: 'changed', expected: '1', actual: 1 }]);
  });
});
