/**
 * lintMapping: every finding for one file, in the stable shape { file, line, column, severity, code,
 * message } — load uses the same pass (errors refuse the file, warnings ride along on the mapping).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MappingLoadError, compileMappingText, lintMapping, loadMappingDirectory, type LintIssue } from '../../src/mapping/index.js';
import { mappingText } from './helpers.js';

function lint(body: string): LintIssue[] {
  return lintMapping(mappingText(body), 'm.yaml');
}

/** 1-based line and column of the `nth` occurrence of `needle` in the mapping text of `body`. */
function positionOf(body: string, needle: string, nth = 1): { line: number; column: number } {
  const text = mappingText(body);
  let offset = -1;
  for (let i = 0; i < nth; i++) offset = text.indexOf(needle, offset + 1);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1] as string).length + 1 };
}

const only = (issues: LintIssue[], code: string) => issues.filter((issue) => issue.code === code);

describe('lintMapping', () => {
  it('has one stable shape, sorted by position, and never throws for a bad file', () => {
    const issues = lintMapping('fields: [', 'broken.yaml');
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(Object.keys(issue).sort()).toEqual(['code', 'column', 'file', 'line', 'message', 'severity']);
    expect(issues[0]).toMatchObject({ file: 'broken.yaml', severity: 'error', code: 'yaml-syntax' });
  });

  it('unknown lookup: an error at the name', () => {
    const body = 'fields:\n  code: { lookup: taxByRat, key: { path: rate } }';
    expect(only(lint(body), 'unknown-lookup')).toEqual([
      { file: 'm.yaml', ...positionOf(body, 'taxByRat'), severity: 'error', code: 'unknown-lookup', message: 'lookup taxByRat is not defined — add it under lookups:' },
    ]);
  });

  it('unknown var, by var: or by $name in an expression: errors', () => {
    const body = 'fields:\n  a: { var: buyerTaxid }\n  b: { expr: "$buyerTaxid & x" }';
    const issues = only(lint(body), 'unknown-var');
    expect(issues.map(({ line, column, severity }) => ({ line, column, severity }))).toEqual([
      { ...positionOf(body, 'buyerTaxid'), severity: 'error' },
      { ...positionOf(body, '$buyerTaxid'), severity: 'error' },
    ]);
  });

  it('unused var and unused lookup: warnings at their names, and the file still loads', () => {
    const body = `
lookups:
  paymentByGateway: { entries: { manual: other }, onMissing: fail }
  taxByRate: { entries: { "0.19": IVA }, onMissing: fail }
vars:
  buyerTaxId: { path: order.nit }
  usedInExpression: { path: order.prefix }
fields:
  tax: { lookup: taxByRate, key: { path: rate } }
  label: { expr: "$usedInExpression & name" }`;
    const issues = lint(body);
    expect(only(issues, 'unused-var')).toEqual([
      { file: 'm.yaml', ...positionOf(body, 'buyerTaxId'), severity: 'warning', code: 'unused-var', message: expect.stringContaining('var buyerTaxId is never used — remove it') },
    ]);
    expect(only(issues, 'unused-lookup')).toEqual([
      { file: 'm.yaml', ...positionOf(body, 'paymentByGateway'), severity: 'warning', code: 'unused-lookup', message: expect.stringContaining('lookup paymentByGateway is never used') },
    ]);
    const mapping = compileMappingText(mappingText(body), 'm.yaml');
    expect(mapping.warnings.map((warning) => warning.code).sort()).toEqual(['unused-lookup', 'unused-var']);
  });

  it('$$ or $root reading a whole list inside an iterated predicate: the O(n²) warning, at the reference', () => {
    const body = 'fields:\n  n: { expr: "$count(items[$count($$.items[qty > 0]) > 1])" }';
    const [issue, ...rest] = only(lint(body), 'root-scan-in-loop');
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ ...positionOf(body, '$$'), severity: 'warning' });
    expect(issue?.message).toMatch(/for every element .* compute it once under vars:/);
  });

  it('an expression run per forEach item that scans $root: the same warning', () => {
    const body = 'fields:\n  lines:\n    forEach: items\n    fields:\n      siblings: { expr: "$count($root.items[sku = $$.sku])", as: integer }';
    expect(only(lint(body), 'root-scan-in-loop')).toEqual([
      expect.objectContaining({ ...positionOf(body, '$root'), severity: 'warning', message: expect.stringContaining('runs once per forEach item') }),
    ]);
    // Reading one value from the root is not a scan.
    expect(only(lint('fields:\n  lines:\n    forEach: items\n    fields:\n      c: { expr: "$root.currency & sku" }'), 'root-scan-in-loop')).toEqual([]);
    // Hoisted into a var, the scan runs once per document.
    expect(only(lint('vars:\n  count: { expr: "$count($root.items)" }\nfields:\n  lines:\n    forEach: items\n    fields:\n      n: { var: count }'), 'root-scan-in-loop')).toEqual([]);
  });

  it('unreachable when: a condition that is always false', () => {
    const body = 'fields:\n  a: { const: x, when: "1 = 2", default: y }\n  b:\n    forEach: items\n    where: "false"\n    fields:\n      s: { path: s }';
    const issues = only(lint(body), 'unreachable-when');
    expect(issues.map((issue) => ({ line: issue.line, column: issue.column, severity: issue.severity }))).toEqual([
      { ...positionOf(body, '"1 = 2"'), severity: 'warning' },
      { ...positionOf(body, '"false"'), severity: 'warning' },
    ]);
    expect(issues[0]?.message).toContain('the node never gives its source');
    expect(issues[1]?.message).toContain('this forEach never keeps an item');
  });

  it('unreachable when: structural conditions that exclude each other', () => {
    const cases = [
      '[{ path: status, equals: paid }, { path: status, equals: refunded }]',
      '[{ path: status, equals: paid }, { path: status, notIn: [paid, voided] }]',
      '[{ path: note, exists: true }, { path: note, exists: false }]',
      '[{ path: amount, greaterThan: 10 }, { path: amount, lessThan: "9.99" }]',
    ];
    for (const when of cases) {
      const issues = only(lint(`fields:\n  a: { const: x, when: ${when} }`), 'unreachable-when');
      expect(issues, when).toHaveLength(1);
      expect(issues[0]?.message).toContain('can never all hold');
    }
    // Different paths, or a satisfiable pair, are not flagged.
    expect(only(lint('fields:\n  a: { const: x, when: [{ path: a, equals: 1 }, { path: b, equals: 2 }] }'), 'unreachable-when')).toEqual([]);
    expect(only(lint('fields:\n  a: { const: x, when: [{ path: q, greaterThan: 0 }, { path: q, lessThan: 10 }] }'), 'unreachable-when')).toEqual([]);
  });

  it('redundant when: a const whose default is the same value; unreachable default: a const without when', () => {
    const body = 'fields:\n  a: { const: unit, when: { path: u, exists: true }, default: unit }\n  b: { const: invoice, default: credit_note }';
    const issues = lint(body);
    expect(only(issues, 'redundant-when')).toEqual([expect.objectContaining({ ...positionOf(body, 'when'), severity: 'warning' })]);
    expect(only(issues, 'unreachable-default')).toEqual([expect.objectContaining({ ...positionOf(body, 'default', 2), severity: 'warning' })]);
  });

  it('constant true conditions: a warning to remove them', () => {
    expect(only(lint('fields:\n  a: { const: x, when: "true" }'), 'constant-when')).toHaveLength(1);
  });

  it('load refuses the errors and lists them with their codes on MappingLoadError.findings', () => {
    const text = mappingText('vars:\n  unused: { path: a }\nfields:\n  a: { lookup: nope, key: { path: k } }');
    const error = (() => {
      try {
        compileMappingText(text, 'm.yaml');
      } catch (e) {
        return e as MappingLoadError;
      }
      throw new Error('expected a MappingLoadError');
    })();
    expect(error.issues.map((issue) => issue.message)).toEqual([expect.stringContaining('lookup nope is not defined')]);
    expect(error.findings.map((finding) => [finding.severity, finding.code])).toEqual([
      ['warning', 'unused-var'],
      ['error', 'unknown-lookup'],
    ]);
  });

  it('finds no error in any shipped mapping', async () => {
    const registry = await loadMappingDirectory(fileURLToPath(new URL('../../mappings', import.meta.url)));
    for (const mapping of registry.all) {
      const findings = lintMapping(await readFile(mapping.file), mapping.file);
      expect(findings.filter((finding) => finding.severity === 'error'), mapping.file).toEqual([]);
    }
  });
});
