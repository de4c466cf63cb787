/**
 * The JSON bounds check receivers use on bodies their parser does not bound (src/ops/json-bounds.ts):
 * it agrees with a direct measurement on random JSON, and handles depths that would overflow a
 * recursive walk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBoundsProblem } from '../../src/ops/json-bounds.js';

/** Depth and longest array, measured recursively (fine for the small values generated here). */
function measure(value: unknown, depth = 1): { depth: number; longest: number } {
  if (value === null || typeof value !== 'object') return { depth: 0, longest: 0 };
  const children = Array.isArray(value) ? value : Object.values(value);
  const inner = children.map((child) => measure(child, depth + 1));
  return {
    depth: Math.max(depth, ...inner.map((m) => m.depth)),
    longest: Math.max(Array.isArray(value) ? value.length : 0, ...inner.map((m) => m.longest)),
  };
}

describe('jsonBoundsProblem', () => {
  it('refuses exactly the values deeper or with longer arrays than the bounds, naming which', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 6 }), (value, maxDepth, maxArrayLength) => {
        const { depth, longest } = measure(value);
        const problem = jsonBoundsProblem(value, { maxDepth, maxArrayLength });
        if (depth <= maxDepth && longest <= maxArrayLength) expect(problem).toBeUndefined();
        else expect(problem).toMatch(depth > maxDepth ? /deeper than|array of/ : /array of \d+ elements at \$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('walks a value nested a million levels without overflowing', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    expect(jsonBoundsProblem(deep)).toMatch(/nests deeper than 64 levels \(at \$\[0\]/);
    expect(jsonBoundsProblem({ a: Array.from({ length: 10_001 }, () => 0) })).toBe('has an array of 10001 elements at $.a; the limit is 10000');
  });
});
