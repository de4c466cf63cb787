/**
 * The YAML nesting guard (src/ops/yaml-nesting.ts) that keeps pathological nesting away from the
 * yaml parser: it never refuses an ordinary document, always refuses one nested past the limit, and
 * says where.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_YAML_NESTING, yamlNestingProblem } from '../../src/ops/yaml-nesting.js';

/** A value nested exactly `depth` levels: objects and arrays alternating. */
function nestedValue(depth: number, leaf: unknown = 'x'): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { [`k${i}`]: value };
  return value;
}

describe('yamlNestingProblem', () => {
  it('accepts the shipped configuration and mappings', () => {
    for (const file of ['puente.config.yaml', 'mappings/shopify/order-invoice.yaml', 'mappings/apidian/invoice.yaml']) {
      expect(yamlNestingProblem(readFileSync(path.resolve(file), 'utf8')), file).toBeUndefined();
    }
  });

  it('never refuses a document nested within the limit, in block or flow style', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 40 }), fc.boolean(), (value, depth, flowStyle) => {
        const text = stringify(nestedValue(depth, value), flowStyle ? { collectionStyle: 'flow' } : {});
        expect(yamlNestingProblem(text)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('ignores brackets and markers inside quoted strings and comments', () => {
    const text = `a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\n# ${'['.repeat(500)}\nc: [1, 2]  # ${'{'.repeat(500)}\n`;
    expect(yamlNestingProblem(text)).toBeUndefined();
  });

  it('refuses nesting past the limit, pointing at the line and column where it goes too deep', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_YAML_NESTING + 1, max: 6000 }), fc.constantFrom('flow', 'object-flow', 'dashes', 'block'), fc.nat(3), (depth, style, leadingLines) => {
        const prefix = 'ok: 1\n'.repeat(leadingLines);
        const body =
          style === 'flow'
            ? `x: ${'['.repeat(depth)}${']'.repeat(depth)}`
            : style === 'object-flow'
              ? `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`
              : style === 'dashes'
                ? `${'- '.repeat(depth)}x`
                : stringify(nestedValue(Math.min(depth, 400) + 20));
        const problem = yamlNestingProblem(prefix + body);
        expect(problem).toBeDefined();
        expect(problem!.depth).toBeGreaterThan(MAX_YAML_NESTING);
        expect(problem!.line).toBeGreaterThan(leadingLines);
        expect(problem!.column).toBeGreaterThanOrEqual(1);
        expect((prefix + body).split('\n')[problem!.line - 1]!.length + 1).toBeGreaterThanOrEqual(problem!.column);
      }),
      { numRuns: 200 },
    );
  });
});
