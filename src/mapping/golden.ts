/**
 * Golden tests: a mapping's `tests:` list pairs an input fixture with the exact output it must give.
 * Differences are reported field by field (missing, extra, changed) with their paths, so an admin who
 * edits a mapping sees what their change did.
 */
import { readFile } from 'node:fs/promises';
import type { CompiledMapping } from './loader.js';

export interface GoldenDifference {
  /** Output field path, e.g. lines[1].taxes[0].percent; empty for the whole document. */
  path: string;
  kind: 'missing' | 'extra' | 'changed';
  expected?: unknown;
  actual?: unknown;
}

export interface GoldenResult {
  input: string;
  expect: string;
  description: string | undefined;
  passed: boolean;
  differences: GoldenDifference[];
  /** Problems the optional validator found in the output (e.g. the target's wire schema). */
  problems: string[];
  /** The mapping threw (MappingError message), or a fixture could not be read. */
  error: string | undefined;
  output: unknown;
}

export interface GoldenOptions {
  /** Checks an output beyond the expected fixture; returns the problems found (empty when fine). */
  validate?: (output: unknown) => string[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Structural differences between two JSON values; key order does not matter, list order does. */
export function diffJson(expected: unknown, actual: unknown, path = ''): GoldenDifference[] {
  if (isObject(expected) && isObject(actual)) {
    const differences: GoldenDifference[] = [];
    for (const key of Object.keys(expected)) {
      if (!(key in actual)) differences.push({ path: join(path, key), kind: 'missing', expected: expected[key] });
      else differences.push(...diffJson(expected[key], actual[key], join(path, key)));
    }
    for (const key of Object.keys(actual)) {
      if (!(key in expected)) differences.push({ path: join(path, key), kind: 'extra', actual: actual[key] });
    }
    return differences;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const differences: GoldenDifference[] = [];
    const shared = Math.min(expected.length, actual.length);
    for (let i = 0; i < shared; i++) differences.push(...diffJson(expected[i], actual[i], join(path, i)));
    for (let i = shared; i < expected.length; i++) differences.push({ path: join(path, i), kind: 'missing', expected: expected[i] });
    for (let i = shared; i < actual.length; i++) differences.push({ path: join(path, i), kind: 'extra', actual: actual[i] });
    return differences;
  }
  if (Object.is(expected, actual)) return [];
  return [{ path, kind: 'changed', expected, actual }];
}

export function formatDifference(difference: GoldenDifference): string {
  const show = (value: unknown) => JSON.stringify(value);
  const where = difference.path || '(document)';
  switch (difference.kind) {
    case 'missing':
      return `${where}: missing (expected ${show(difference.expected)})`;
    case 'extra':
      return `${where}: not expected (got ${show(difference.actual)})`;
    case 'changed':
      return `${where}: expected ${show(difference.expected)}, got ${show(difference.actual)}`;
  }
}

export function formatGoldenResult(result: GoldenResult): string {
  const head = `${result.passed ? 'ok  ' : 'FAIL'} ${result.description ?? result.input}`;
  const lines = [
    ...(result.error ? [`  error: ${result.error}`] : []),
    ...result.differences.map((difference) => `  ${formatDifference(difference)}`),
    ...result.problems.map((problem) => `  invalid: ${problem}`),
  ];
  return [head, ...lines].join('\n');
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** Runs every golden test of a mapping. Never throws for a failing test: the result says why. */
export async function runGoldenTests(mapping: CompiledMapping, options: GoldenOptions = {}): Promise<GoldenResult[]> {
  const results: GoldenResult[] = [];
  for (const test of mapping.tests) {
    const base = { input: test.input, expect: test.expect, description: test.description };
    let input: unknown;
    let expected: unknown;
    try {
      [input, expected] = await Promise.all([readJson(test.input), readJson(test.expect)]);
    } catch (error) {
      results.push({ ...base, passed: false, differences: [], problems: [], error: `cannot read fixture: ${(error as Error).message}`, output: undefined });
      continue;
    }
    let output: unknown;
    try {
      // A JSON round trip is what the pipeline stores, so compare that.
      output = JSON.parse(JSON.stringify(await mapping.run(input)));
    } catch (error) {
      results.push({ ...base, passed: false, differences: [], problems: [], error: (error as Error).message, output: undefined });
      continue;
    }
    const differences = diffJson(expected, output);
    const problems = options.validate ? options.validate(output) : [];
    results.push({ ...base, passed: differences.length === 0 && problems.length === 0, differences, problems, error: undefined, output });
  }
  return results;
}
