/**
 * Bounds on parsed JSON from outside (webhook bodies): nesting depth and array length. `JSON.parse`
 * itself copes with any depth, but what comes after does not — `JSON.stringify` (the store, logs)
 * overflows the stack somewhere past ten thousand levels, and recursive mappers far sooner. Receivers
 * whose parser has no limits of its own (connectors/shopify/payload-json.ts has) check the parsed
 * value here before anything else touches it. The walk is iterative: a hostile value cannot make it
 * overflow.
 */

export interface JsonBounds {
  /** Deepest allowed nesting of objects/arrays; the top-level value is depth 1. */
  maxDepth: number;
  /** Most elements one array may have. */
  maxArrayLength: number;
}

/** The same limits the Shopify receiver applies. */
export const DEFAULT_JSON_BOUNDS: JsonBounds = { maxDepth: 64, maxArrayLength: 10_000 };

/** A sentence saying which bound the value breaks and where (`$.line_items[3]`), or undefined. */
export function jsonBoundsProblem(value: unknown, bounds: JsonBounds = DEFAULT_JSON_BOUNDS): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 1, path: '$' }];
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > bounds.maxDepth) return `nests deeper than ${bounds.maxDepth} levels (at ${path})`;
    if (Array.isArray(current)) {
      if (current.length > bounds.maxArrayLength) return `has an array of ${current.length} elements at ${path}; the limit is ${bounds.maxArrayLength}`;
      for (let i = 0; i < current.length; i++) stack.push({ value: current[i], depth: depth + 1, path: `${path}[${i}]` });
    } else {
      for (const key of Object.keys(current)) stack.push({ value: (current as Record<string, unknown>)[key], depth: depth + 1, path: `${path}.${key}` });
    }
  }
  return undefined;
}
