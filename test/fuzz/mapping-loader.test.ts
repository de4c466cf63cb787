/**
 * Fuzzing the mapping loader with what an ERP admin's editor might save: random text, random YAML,
 * the shipped mappings with lines deleted, duplicated, re-indented or overwritten, envelopes with
 * random field trees, and resource-exhaustion YAML. The loader either returns a mapping or throws a
 * MappingLoadError whose every issue says file:line:column and what is wrong — never anything else,
 * and never a line outside the file. A mapping that loads, run on random input, returns an object or
 * throws a MappingError naming the field.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MappingError } from '../../src/errors.js';
import { compileMappingText, MappingLoadError, type CompiledMapping } from '../../src/mapping/loader.js';

const FILE = path.resolve('fuzz-mappings/shopify/fuzzed.yaml');
const SHIPPED = ['shopify/order-invoice.yaml', 'shopify/refund-credit-note.yaml', 'apidian/invoice.yaml', 'apidian/credit-note.yaml'].map((f) =>
  readFileSync(path.resolve('mappings', f), 'utf8'),
);

/** A shipped mapping with one edit: a line deleted, duplicated, re-indented, or a span overwritten. */
const edited = fc
  .tuple(fc.nat(SHIPPED.length - 1), fc.nat(10_000), fc.constantFrom('delete', 'duplicate', 'indent', 'dedent', 'overwrite', 'insert'), fc.string({ maxLength: 12 }), fc.nat(6))
  .map(([which, at, edit, text, span]) => {
    const lines = SHIPPED[which]!.split('\n');
    const i = at % lines.length;
    const line = lines[i]!;
    switch (edit) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, line);
        break;
      case 'indent':
        lines[i] = `  ${line}`;
        break;
      case 'dedent':
        lines[i] = line.replace(/^ {1,2}/, '');
        break;
      case 'overwrite': {
        const col = line.length ? at % line.length : 0;
        lines[i] = line.slice(0, col) + text + line.slice(col + span);
        break;
      }
      default:
        lines.splice(i, 0, text);
    }
    return lines.join('\n');
  });

/** A correct envelope around a random tree of field nodes. */
const fieldNode: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ path: fc.oneof(fc.constantFrom('order.id', 'order.line_items', 'order.currency', '$root.shop', 'nope..x'), fc.string({ maxLength: 10 })) }),
    fc.record({ const: fc.jsonValue({ maxDepth: 1 }) }),
    fc.record({ expr: fc.oneof(fc.constantFrom('$sum(order.line_items.quantity)', 'order.id & "-"', '$eval("1")', '$$', '(', 'function($x){$x}', '[1..100000000]'), fc.string({ maxLength: 20 })) }),
    fc.record({ lookup: fc.string({ maxLength: 8 }), key: fc.record({ path: fc.constant('order.currency') }) }),
    fc.record({ each: fc.constant('order.line_items'), fields: fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 3 }) }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 3 }),
    fc.jsonValue({ maxDepth: 1 }),
  ),
})).node;

const envelope = fc
  .record({
    fields: fc.dictionary(fc.constantFrom('kind', 'currency', 'buyer', 'lines', 'issueDate', 'notes', 'x'), fieldNode, { maxKeys: 4 }),
    lookups: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }), { nil: undefined }),
    vars: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fieldNode, { maxKeys: 2 }), { nil: undefined }),
  })
  .map(({ fields, lookups, vars }) =>
    stringify({
      apiVersion: 'puente.mapping/v1',
      kind: 'DocumentMapping',
      metadata: { id: 'fuzzed', revision: 1 },
      source: { system: 'shopify', events: ['order.paid'] },
      target: { system: 'fiscal-document', document: 'invoice' },
      ...(lookups ? { lookups } : {}),
      ...(vars ? { vars } : {}),
      fields,
    }),
  );

const hostile = fc.constantFrom(
  '',
  '---\n---\n',
  '%YAML 1.2\n---\na: 1\n...\n---\nb: 2',
  'a: &a [1,2]\nb: *a\nc: *missing',
  // Billion laughs: each level multiplies the one before.
  ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n'),
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'- '.repeat(2000)}x`,
  'apiVersion: puente.mapping/v1\napiVersion: puente.mapping/v1',
  '!!binary aGVsbG8=',
  'a: !!js/function "function(){}"',
  '{"__proto__": {"polluted": true}}',
  'fields:\n  __proto__: { const: 1 }\n  constructor: { const: 2 }',
  '\ufeffapiVersion: puente.mapping/v1',
  'a: "\\ud800"',
  '\t- tab',
);

const text = fc.oneof(
  { arbitrary: envelope, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => stringify(v)), weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 120 }), weight: 1 },
  { arbitrary: hostile, weight: 1 },
);

/** Loads, and checks the outcome is one of the two allowed ones; returns the mapping if it loaded. */
function load(source: string): CompiledMapping | undefined {
  try {
    return compileMappingText(source, FILE);
  } catch (error) {
    if (!(error instanceof MappingLoadError)) throw new Error(`the loader threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
    expect(error.issues.length).toBeGreaterThan(0);
    const lineCount = source.split('\n').length;
    for (const issue of error.issues) {
      expect(issue.file).toBe(FILE);
      expect(issue.line).toBeGreaterThanOrEqual(1);
      expect(issue.line).toBeLessThanOrEqual(lineCount + 1);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      expect(issue.message.trim().length).toBeGreaterThan(5);
    }
    expect(error.message).toContain(`${FILE}:${error.issues[0]!.line}:${error.issues[0]!.column}: `);
    return undefined;
  }
}

describe('mapping loader', () => {
  it('returns a mapping or a MappingLoadError with file:line:column, for any text', () => {
    fc.assert(
      fc.property(text, (source) => {
        load(source);
      }),
      { numRuns: 300 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it('the same for the shipped mappings with one line deleted, duplicated, re-indented or overwritten', () => {
    // Compiling a full mapping takes a few hundred ms here: fewer runs, the same property.
    fc.assert(
      fc.property(edited, (source) => {
        load(source);
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it('refuses the resource-exhaustion files with a located error instead of expanding them', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    expect(() => compileMappingText(bomb, FILE)).toThrow(MappingLoadError);
  });

  it('a mapping that loads, run on random input, gives an object or a MappingError naming the field', async () => {
    const mappings = SHIPPED.map((source) => compileMappingText(source, FILE));
    const input = fc.record({
      order: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ id: fc.string(), currency: fc.string(), line_items: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }) })),
      document: fc.jsonValue({ maxDepth: 3 }),
      issuedAt: fc.oneof(fc.constant('2026-03-14T10:21:35-05:00'), fc.string()),
      shop: fc.string(),
      country: fc.constantFrom('CO', 'VE', 'PY', 'XX'),
    });
    await fc.assert(
      fc.asyncProperty(fc.nat(mappings.length - 1), input, async (which, value) => {
        try {
          const output = await mappings[which]!.run(value);
          expect(typeof output).toBe('object');
        } catch (error) {
          if (!(error instanceof MappingError)) throw new Error(`run threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
          expect(error.message.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});
