import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MappingLoadError, compileMappingText, loadMappingFile, type MappingIssue } from '../../src/mapping/index.js';
import { mappingText } from './helpers.js';

function issuesOf(text: string, file = 'm.yaml'): MappingIssue[] {
  try {
    compileMappingText(text, file);
  } catch (error) {
    if (error instanceof MappingLoadError) return error.issues;
    throw error;
  }
  throw new Error('expected a MappingLoadError');
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1] as string).length + 1 };
}

describe('load errors point at the line and column of the problem', () => {
  it('a YAML syntax error', () => {
    const text = mappingText('fields:\n  currency: { path: order.currency\n  kind: { const: invoice }');
    const issues = issuesOf(text);
    const [first] = issues as [MappingIssue];
    expect(first.file).toBe('m.yaml');
    expect(first.message).toMatch(/^YAML syntax error: .*fix the YAML syntax/);
    // The flow map opened on line 7 is never closed: the parser notices at the next key, line 8.
    expect(first).toMatchObject({ line: 8, column: 3 });
    expect(first.message).toContain('Flow map');
  });

  it('an unknown key, at the key itself', () => {
    const text = mappingText('fields:\n  currency: { path: order.currency, requird: true }');
    const [issue, ...rest] = issuesOf(text);
    expect(rest).toHaveLength(0);
    expect(issue).toEqual({ file: 'm.yaml', ...positionOf(text, 'requird'), message: 'unknown key "requird" in path node — remove it or fix its spelling' });
  });

  it('an unknown key in the envelope', () => {
    const text = mappingText('fields:\n  kind: { const: invoice }').replace('revision: 3', 'revision: 3, colour: red');
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ ...positionOf(text, 'colour'), message: 'unknown key "colour" in metadata — remove it or fix its spelling' });
  });

  it('a node with two sources', () => {
    const text = mappingText('fields:\n  kind:\n    const: invoice\n    path: order.kind');
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ ...positionOf(text, 'const: invoice'), message: 'node has two sources (path, const): keep exactly one' });
  });

  it('reports every problem of the file at once, in file order', () => {
    const text = mappingText(`
lookups:
  taxByRate:
    entries: { "0.19": IVA }
    onMissing: default
vars:
  a: { var: b }
  b: { var: a }
fields:
  one: { path: x, const: 1 }
  two: { path: "lines[0" }
  three: { lookup: nope, key: { path: rate } }
  four: { var: missing }
  five: { path: amount, negate: true }
  six: { template: "{{order.name" }
  seven: { lookup: taxByRate, key: { path: rate }, pick: code }
  eight: { expr: "$eval('1')" }
  nine: { path: a, when: "$now() > 1" }
  ten: order.currency
  path: { const: 1 }
  eleven: { default: 1 }
  twelve: { forEach: items, where: { path: q, equals: 1, in: [2] }, fields: { a: { path: a } } }
  thirteen: { path: a, as: money }`);
    const issues = issuesOf(text);
    const messages = issues.map((issue) => issue.message);
    const expected = [
      'lookup taxByRate has onMissing: default but no default',
      'var',
      'node has two sources (path, const)',
      'path "lines[0" is not valid',
      'lookup nope is not defined',
      'var missing is not defined',
      'negate flips the sign of a decimal — add as: decimal',
      'template has a {{ without its }}',
      'pick: code needs every entry of lookup taxByRate to be an object with code',
      '$eval is not allowed',
      '$now is not allowed',
      'write { path: order.currency } to read it',
      '"path" cannot be an output field name',
      'this node has default but no source',
      'condition has two operators (equals, in): keep exactly one',
      '"money" is not allowed — use "string", "integer", "decimal"',
    ];
    for (const fragment of expected) expect(messages.some((message) => message.includes(fragment)), fragment).toBe(true);
    expect(messages.some((message) => message.includes('depends on itself'))).toBe(true);
    const lines = issues.map((issue) => issue.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(issues.find((issue) => issue.message.includes('lookup nope'))).toMatchObject(positionOf(text, 'nope'));
    expect(issues.find((issue) => issue.message.startsWith('node has two sources'))).toMatchObject(positionOf(text, '{ path: x, const: 1 }'));
  });

  it('the error message lists every issue as file:line:column', () => {
    try {
      compileMappingText(mappingText('fields:\n  a: { path: x, const: 1 }\n  b: { path: y, extra: 1 }'), 'mappings/x.yaml');
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(MappingLoadError);
      expect((error as Error).message).toContain('mappings/x.yaml:7:6: node has two sources (path, const)');
      expect((error as Error).message).toContain('mappings/x.yaml:8:17: unknown key "extra"');
    }
  });

  it('duplicate keys are syntax errors, not silently overwritten', () => {
    const text = mappingText('fields:\n  kind: { const: invoice }\n  kind: { const: credit_note }');
    expect(issuesOf(text)).toEqual([{ file: 'm.yaml', line: 8, column: 3, message: 'YAML syntax error: Map keys must be unique — fix the YAML syntax here' }]);
  });

  it('a missing required envelope key is reported with what to add', () => {
    const text = 'apiVersion: puente.mapping/v1\nkind: DocumentMapping\nmetadata: { id: x, revision: 1 }\ntarget: { system: fiscal-document, document: invoice }\nfields: {}\n';
    expect(issuesOf(text).map((issue) => issue.message)).toContain('source: is missing — add it (object expected)');
  });
});

describe('loading files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'puente-mapping-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exposes provenance: id, revision and the sha256 of the file bytes', async () => {
    const text = mappingText('fields:\n  kind: { const: invoice }');
    const file = path.join(dir, 'a.yaml');
    await writeFile(file, text);
    const mapping = await loadMappingFile(file);
    const hash = createHash('sha256').update(text).digest('hex');
    expect(mapping.provenance).toEqual({ id: 'test-mapping', revision: 3, contentHash: hash });
    expect(mapping.contentHash).toBe(hash);
    expect(mapping.run({})).toEqual({ kind: 'invoice' });
  });

  it('accepts JSON mapping files, with positions in errors too', async () => {
    const json = {
      apiVersion: 'puente.mapping/v1',
      kind: 'DocumentMapping',
      metadata: { id: 'json-mapping', revision: 1 },
      source: { system: 'shopify', events: ['order.paid'] },
      target: { system: 'fiscal-document', document: 'invoice' },
      fields: { currency: { path: 'order.currency', required: true } },
    };
    const file = path.join(dir, 'b.json');
    await writeFile(file, JSON.stringify(json, null, 2));
    expect((await loadMappingFile(file)).run({ order: { currency: 'COP' } })).toEqual({ currency: 'COP' });

    const broken = path.join(dir, 'c.json');
    const brokenText = JSON.stringify({ ...json, fields: { currency: { path: 'order.currency', wat: 1 } } }, null, 2);
    await writeFile(broken, brokenText);
    await expect(loadMappingFile(broken)).rejects.toMatchObject({
      issues: [{ file: broken, ...positionOf(brokenText, '"wat"'), message: expect.stringContaining('unknown key "wat"') }],
    });
  });

  it('resolves golden test fixtures against the mapping folder', async () => {
    const file = path.join(dir, 'd.yaml');
    await writeFile(file, mappingText('fields:\n  kind: { const: invoice }\ntests:\n  - { input: fixtures/in.json, expect: fixtures/out.json }'));
    const mapping = await loadMappingFile(file);
    expect(mapping.tests).toEqual([{ input: path.join(dir, 'fixtures/in.json'), expect: path.join(dir, 'fixtures/out.json') }]);
  });
});
