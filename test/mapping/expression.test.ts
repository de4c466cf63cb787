/**
 * `expr` nodes and conditions written as expressions: guarded JSONata, compiled once at load.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MappingError } from '../../src/errors.js';
import { EXPRESSION_LIMITS, ExpressionError, MappingLoadError, compileMappingText, loadMappingFile, type MappingIssue } from '../../src/mapping/index.js';
import { compile, compileAsync, mappingText, runExprField } from './helpers.js';

function issuesOf(body: string): MappingIssue[] {
  try {
    compileMappingText(mappingText(body), 'm.yaml');
  } catch (error) {
    if (error instanceof MappingLoadError) return error.issues;
    throw error;
  }
  throw new Error('expected a MappingLoadError');
}

async function rejection(run: () => Promise<unknown>): Promise<ExpressionError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error('expected an ExpressionError');
}

/** 1-based line and column of `needle` in the mapping text that `body` makes. */
function positionOf(body: string, needle: string): { line: number; column: number } {
  const text = mappingText(body);
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length, column: (before[before.length - 1] as string).length + 1 };
}

describe('expr value nodes', () => {
  it('compute a value from the input, with JSONata paths and allowed functions', async () => {
    const input = { order: { name: '#1001', note_attributes: [{ name: 'NIT', value: '900123456' }] } };
    expect(await runExprField('{ expr: "$uppercase(order.name) & \'-\' & order.note_attributes[name = \'NIT\'].value" }', input)).toBe('#1001-900123456');
  });

  it('see the current item as $, the mapping input as $root and vars as $name', async () => {
    const mapping = compileAsync(`
vars:
  prefix: { path: order.prefix, default: X }
fields:
  lines:
    forEach: order.items
    fields:
      label: { expr: "$prefix & ':' & sku & '@' & $root.order.currency" }`);
    expect(await mapping.run({ order: { prefix: 'P', currency: 'COP', items: [{ sku: 'A' }, { sku: 'B' }] } })).toEqual({
      lines: [{ label: 'P:A@COP' }, { label: 'P:B@COP' }],
    });
  });

  it('read the issue time as $runTime (from the input, never the clock)', async () => {
    expect(await runExprField('{ expr: "$substring($runTime, 0, 10)" }', { issuedAt: '2026-11-21T23:40:02-05:00' })).toBe('2026-11-21');
    expect(await runExprField('{ expr: "$substring($runTime, 0, 4)" }', { document: { issuedAt: '2027-01-02T00:00:00Z' } })).toBe('2027');
  });

  it('make only mappings with expressions asynchronous', async () => {
    const structural = compile('fields:\n  a: { path: x }');
    expect(structural.usesExpressions).toBe(false);
    const result: unknown = structural.run({ x: 1 });
    expect(result).toEqual({ a: 1 });
    expect(typeof (result as { then?: unknown }).then).toBe('undefined');

    const withExpression = compileAsync('fields:\n  a: { path: x }\n  b: { expr: "x + 1" }');
    expect(withExpression.usesExpressions).toBe(true);
    const pending = withExpression.run({ x: 1 });
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toEqual({ a: 1, b: 2 });
  });

  it('keep the provenance of the file', () => {
    const text = mappingText('fields:\n  a: { expr: "x" }');
    const mapping = compileMappingText(text, 'm.yaml');
    expect(mapping.provenance).toMatchObject({ id: 'test-mapping', revision: 3 });
    expect(mapping.provenance.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('give plain JSON: no sequence marks, functions or undefined fields', async () => {
    const value = await runExprField('{ expr: "[items.sku]" }', { items: [{ sku: 'A' }, { sku: 'B' }] });
    expect(value).toStrictEqual(['A', 'B']);
    expect(Object.keys(value as object)).toEqual(['0', '1']);
    expect(await runExprField('{ expr: "items[0].{ \'sku\': sku, \'missing\': nothing }" }', { items: [{ sku: 'A' }] })).toStrictEqual({ sku: 'A' });
  });

  it('refuse a path that gives several values where one is expected, instead of changing type with the item count', async () => {
    const node = '{ expr: "items.sku" }';
    expect(await runExprField(node, { items: [{ sku: 'A' }] })).toBe('A');
    const error = await rejection(() => runExprField(node, { items: [{ sku: 'A' }, { sku: 'B' }] }));
    expect(error.path).toBe('out');
    expect(error.message).toContain('gave 2 values where the field takes one');
    expect(error.message).toContain('wrap it in [ ]');
    expect(await runExprField('{ expr: "items.sku[]" }', { items: [{ sku: 'A' }] })).toEqual(['A']);
  });

  it('pass numbers into decimal fields through the exact conversion', async () => {
    expect(await runExprField('{ expr: "lines[sku = \'B\'].price", as: decimal }', { lines: [{ sku: 'A', price: '1.10' }, { sku: 'B', price: 0.1 }] })).toBe('0.1');
    expect(await runExprField('{ expr: "$count(items)", as: integer }', { items: [1, 2, 3] })).toBe(3);
  });

  it('fall back to default and enforce required like every node', async () => {
    expect(await runExprField('{ expr: "missing.field", default: none }', {})).toBe('none');
    const mapping = compileAsync('fields:\n  buyer:\n    name: { expr: "customer.name", required: true }');
    const error = await Promise.resolve(mapping.run({})).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MappingError);
    expect((error as MappingError).path).toBe('buyer.name');
  });

  it('say which field failed, without the input value (it may be buyer data)', async () => {
    const error = await rejection(() => runExprField('{ expr: "$number(buyer.email) + 1" }', { buyer: { email: 'ana@example.com' } }));
    expect(error.path).toBe('out');
    expect(error.code).toBe('D3030');
    expect(error.message).not.toContain('ana@example.com');
    expect(error.message).toContain('<value>');
  });

  it('stop an expression at the sequence limit and at the timeout, as guardrail failures', async () => {
    const many = { items: Array.from({ length: EXPRESSION_LIMITS.sequence + 1 }, (_, i) => ({ n: i })) };
    const tooLong = await rejection(() => runExprField('{ expr: "$count(items.n)" }', many));
    expect(tooLong).toMatchObject({ code: 'D2015', isLimit: true });

    // O(n²): every item scans the whole list again; 3,000 items take far more than the timeout.
    const wide = { items: Array.from({ length: 3_000 }, (_, i) => ({ n: i % 7 })) };
    const slow = await rejection(() => runExprField('{ expr: "$count(items[$count($root.items[n = 3]) > 0])" }', wide));
    expect(slow).toMatchObject({ code: 'D1012', isLimit: true });
    expect(slow.message).toContain(`longer than ${EXPRESSION_LIMITS.timeout} ms`);
  }, 20_000);

  it('do not mix the inputs of runs that overlap', async () => {
    const mapping = compileAsync('fields:\n  lines:\n    forEach: items\n    fields:\n      v: { expr: "$root.tag & sku" }');
    const runs = ['a', 'b', 'c', 'd'].map((tag) => mapping.run({ tag, items: [{ sku: '1' }, { sku: '2' }] }));
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c', 'd'].map((tag) => ({ lines: [{ v: `${tag}1` }, { v: `${tag}2` }] })));
  });
});

describe('conditions written as expressions', () => {
  it('filter forEach items with where, using JSONata truthiness', async () => {
    const mapping = compileAsync('fields:\n  lines:\n    forEach: items\n    where: "gift_card != true and quantity > 0"\n    fields:\n      sku: { path: sku }');
    const items = [
      { sku: 'A', gift_card: false, quantity: 1 },
      { sku: 'G', gift_card: true, quantity: 1 },
      { sku: 'Z', gift_card: false, quantity: 0 },
    ];
    expect(await mapping.run({ items })).toEqual({ lines: [{ sku: 'A' }] });
  });

  it('gate a node with when, with default as the else-branch, and mix with structural conditions', async () => {
    const node = '{ const: partial_return, when: ["$count(refund.refund_line_items) > 0", { path: refund.id, exists: true }], default: discount }';
    expect(await runExprField(node, { refund: { id: '1', refund_line_items: [{}] } })).toBe('partial_return');
    expect(await runExprField(node, { refund: { id: '1', refund_line_items: [] } })).toBe('discount');
    expect(await runExprField(node, { refund: { refund_line_items: [{}] } })).toBe('discount');
  });

  it('a condition that reads nothing is folded at load: no JSONata, and the mapping stays synchronous', () => {
    const mapping = compile('fields:\n  a: { const: 1, when: "1 = 1" }\n  b: { const: 2, when: "$not(true)", default: 3 }');
    expect(mapping.usesExpressions).toBe(false);
    expect(mapping.run({})).toEqual({ a: 1, b: 3 });
  });
});

describe('what expressions may not do, refused at load with file:line:column and a fix', () => {
  const cases: [string, string, string, RegExp][] = [
    ['$eval', '{ expr: "$eval(\'1 + 1\')" }', '$eval', /\$eval is not allowed: .*write the expression itself/],
    ['a lambda', '{ expr: "$map(items, function($v) { $v })" }', '$map', /\$map is not allowed/],
    ['a function definition', '{ expr: "(function($x) { $x })(1)" }', 'function', /functions cannot be defined in mappings/],
    ['a regex literal', '{ expr: "$contains(name, /acme/i)" }', '/acme', /regular expressions are not available/],
    ['$match', '{ expr: "$match(name, \'a\')" }', '$match', /\$match is not allowed/],
    ['$replace with a computed pattern', '{ expr: "$replace(name, other, \'\')" }', 'other', /\$replace takes the text to find in quotes/],
    ['the clock', '{ expr: "$now()" }', '$now', /use \$runTime/],
    ['$millis', '{ expr: "$millis()" }', '$millis', /use \$runTime/],
    ['randomness', '{ expr: "$random()" }', '$random', /random values/],
    ['$round', '{ expr: "$round(amount, 2)" }', '$round', /half-to-even.*domain code/],
    ['a binding', '{ expr: "($x := 1; $x)" }', ':=', /:= is not available in mappings — compute a shared value once under vars:/],
    ['binding a function', '{ expr: "($f := $string; $f(1))" }', ':=', /:= is not available/],
    ['a function as a value', '{ expr: "$string" }', '$string', /\$string is a function: call it/],
    ['a range', '{ expr: "[1..100000]" }', '..', /ranges .* build lists out of nothing/],
    ['an unknown function', '{ expr: "$shell(\'ls\')" }', '$shell', /\$shell is not a function mappings may call — use one of \$string/],
    ['an unknown variable', '{ expr: "$secret" }', '$secret', /\$secret is not defined — add secret under vars:/],
    ['a wide $pad', '{ expr: "$pad(code, 100000000)" }', '100000000', /\$pad needs its width written as a number between/],
    ['$sort with a function', '{ expr: "$sort(items, function($a, $b) { $a > $b })" }', 'function', /\$sort takes no function/],
    ['a syntax error (where the text ends)', '{ expr: "a +" }', '+', /expression syntax error/],
  ];
  it.each(cases)('%s', (_name, node, needle, message) => {
    const body = `fields:\n  out: ${node}`;
    const issues = issuesOf(body);
    expect(issues.map((issue) => issue.message).join('\n')).toMatch(message);
    const issue = issues.find((i) => message.test(i.message))!;
    expect({ line: issue.line, column: issue.column }).toEqual(positionOf(body, needle));
  });

  it('refuses an expression longer than 1,000 characters', () => {
    const long = `"${Array.from({ length: 300 }, () => 'a').join(' & ')}"`;
    const issues = issuesOf(`fields:\n  out: { expr: ${long} }`);
    expect(issues[0]?.message).toMatch(/at most 1000|the limit is 1000/);
  });

  it('points inside a condition too, and names the character when the text is not on one line', () => {
    const body = 'fields:\n  out:\n    path: a\n    when: |\n      x = 1 and\n      $now() > 0';
    const [issue] = issuesOf(body);
    expect(issue?.message).toMatch(/\$now is not allowed.*\(at character 11 of the expression\)/);
    expect(issue?.line).toBe(positionOf(body, 'when: |').line);
  });

  it('refuses to compute a decimal in an expression (money is domain code)', () => {
    const body = 'fields:\n  out: { expr: "$sum(lines.(price * quantity))", as: decimal }';
    const issues = issuesOf(body);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/binary floating point .* leave sums, taxes and rounding to domain code/);
    expect(issues[0]).toMatchObject(positionOf(body, '$sum'));
  });

  it('reports every problem of every expression at once', () => {
    const issues = issuesOf('fields:\n  a: { expr: "$eval(x)" }\n  b: { path: y, when: "$random() > 0.5" }\n  c: { expr: "$nope(1)" }');
    expect(issues.map((issue) => issue.line)).toEqual([7, 8, 9]);
  });
});

describe('an expression that breaks a guardrail on a golden input is refused at load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'puente-expr-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('with the file, line and column of the expression', async () => {
    const body = 'fields:\n  count: { expr: "$count(items.n)" }\ntests:\n  - { input: fixtures/big.json, expect: fixtures/big.expected.json }';
    await mkdir(path.join(dir, 'fixtures'), { recursive: true });
    await writeFile(path.join(dir, 'm.yaml'), mappingText(body));
    await writeFile(path.join(dir, 'fixtures/big.json'), JSON.stringify({ items: Array.from({ length: EXPRESSION_LIMITS.sequence + 5 }, (_, n) => ({ n })) }));
    await writeFile(path.join(dir, 'fixtures/big.expected.json'), '{}');
    const error = await loadMappingFile(path.join(dir, 'm.yaml')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MappingLoadError);
    const [issue] = (error as MappingLoadError).issues;
    expect(issue).toMatchObject({ file: path.join(dir, 'm.yaml'), ...positionOf(body, '"$count') });
    expect(issue?.message).toContain('grew beyond 10,000 items');
    expect(issue?.message).toContain('big.json');
    expect((error as MappingLoadError).findings[0]?.code).toBe('expression-limit');
  });
});
