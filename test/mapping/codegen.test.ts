/**
 * The generated functions of object nodes and paths (src/mapping/codegen.ts): mapping text can only
 * ever be data to them, and they mean exactly what the plain closures mean — which a process with
 * code generation disabled (node --disallow-code-generation-from-strings) still runs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, mappingText, runField } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('mapping text stays data', () => {
  it('path keys with quotes, backslashes and control characters are read as keys, nothing runs', () => {
    const keys = ['a"b', "c'd", 'e\\f', 'g\u0000h', '");throw(1);//', '`${(()=>{throw(1)})()}`'];
    for (const key of keys) {
      const node = `{ path: ${JSON.stringify(`$root.${key}`)} }`;
      expect(runField(node, { [key]: 'ok' }), key).toBe('ok');
      expect(runField(`{ path: [${JSON.stringify(`x.${key}`)}, y] }`, { x: { [key]: 'first' }, y: 'second' }), key).toBe('first');
    }
  });

  it('keys that Object.prototype has give only own values', () => {
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(runField(`{ path: a.${key}, default: none }`, { a: {} }), key).toBe('none');
    }
    expect(runField('{ path: a.constructor }', { a: JSON.parse('{"constructor": "mine"}') })).toBe('mine');
  });

  it('reads lists and objects only where the path says so', () => {
    expect(runField('{ path: a.b, default: none }', { a: [{ b: 1 }] })).toBe('none');
    expect(runField('{ path: "a[0]", default: none }', { a: { 0: 'x' } })).toBe('none');
    expect(runField('{ path: "a[-1].b" }', { a: [{ b: 1 }, { b: 2 }] })).toBe(2);
    expect(runField('{ path: "a[5]", default: none }', { a: [1] })).toBe('none');
  });

  it('white space of any kind is blank text', () => {
    for (const blank of [' ', '\t\n', '\u00a0', '\u3000', '\u2028', '\ufeff']) {
      expect(runField('{ path: [a, b], default: none }', { a: blank, b: blank }), JSON.stringify(blank)).toBe('none');
    }
    expect(runField('{ path: a }', { a: '\u00a0x' })).toBe('\u00a0x');
  });
});

describe('with code generation disabled', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'puente-codegen-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const MAPPING = `
lookups:
  taxByRate: { entries: { "0.19": { code: IVA, percent: "19" }, "0": { code: IVA, percent: "0" } }, onMissing: default, default: { code: ZZ, percent: "0" } }
vars:
  nit: { path: ['order.attrs[name=NIT].value', order.company], default: "222222222222" }
fields:
  number: { var: nit }
  currency: { path: order.currency, default: COP }
  flag: { path: order.flag, as: boolean, default: false }
  empty: { city: { path: order.city } }
  lines:
    forEach: order.items
    where: { path: qty, notIn: [0, "0"] }
    fields:
      code: { path: [sku, id], as: string }
      quantity: { path: qty, as: decimal, default: "1" }
      price: { path: price, as: decimal, negate: true, default: "0" }
      tax: { lookup: taxByRate, key: { path: rate, as: string }, pick: code }
      kind: { const: item }
      discounts:
        forEach: discounts
        where: { path: amount, greaterThan: 0 }
        fields:
          amount: { path: amount, as: decimal }`;

  const scalar = fc.oneof(fc.constant(undefined), fc.constant(null), fc.constantFrom('', ' ', '0', '1', '0.19', '12.50', 'A-1'), fc.integer({ min: -5, max: 5 }), fc.constantFrom(0.19, 0, 2.5), fc.boolean());
  const item = fc.record(
    { sku: scalar, id: scalar, qty: scalar, price: fc.constantFrom('10.00', '-3.5', '0', '7'), rate: fc.constantFrom(0.19, 0, 0.05, '0.19'), discounts: fc.array(fc.record({ amount: fc.constantFrom('0.00', '1.50', '2', '-1') }), { maxLength: 2 }) },
    { requiredKeys: ['price', 'rate', 'discounts'] },
  );
  const input = fc.record({
    order: fc.record(
      { currency: scalar, flag: fc.constantFrom(true, false, 'true', '0'), city: scalar, company: scalar, attrs: fc.array(fc.record({ name: fc.constantFrom('NIT', 'DV'), value: scalar }), { maxLength: 2 }), items: fc.array(item, { maxLength: 4 }) },
      { requiredKeys: ['items', 'flag'] },
    ),
  });

  it('maps every input exactly as the generated functions do', async () => {
    const inputs = fc.sample(input, { numRuns: 150, seed: 20261121 });
    const mapping = compile(MAPPING);
    const expected = inputs.map((value) => {
      try {
        return { output: JSON.parse(JSON.stringify(mapping.run(value))) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    });

    await writeFile(path.join(dir, 'mapping.yaml'), mappingText(MAPPING));
    await writeFile(path.join(dir, 'inputs.json'), JSON.stringify(inputs));
    const script = path.join(dir, 'run.mts');
    await writeFile(
      script,
      [
        `import { readFileSync, writeFileSync } from 'node:fs';`,
        `import { compileMappingText } from ${JSON.stringify(path.join(ROOT, 'src/mapping/index.ts'))};`,
        `let generated = true;`,
        `try { new Function('return 1'); } catch { generated = false; }`,
        `const mapping = compileMappingText(readFileSync(${JSON.stringify(path.join(dir, 'mapping.yaml'))}), 'mapping.yaml');`,
        `const inputs = JSON.parse(readFileSync(${JSON.stringify(path.join(dir, 'inputs.json'))}, 'utf8'));`,
        `const results = inputs.map((value) => { try { return { output: JSON.parse(JSON.stringify(mapping.run(value))) }; } catch (error) { return { error: error.message }; } });`,
        `writeFileSync(${JSON.stringify(path.join(dir, 'out.json'))}, JSON.stringify({ generated, results }));`,
      ].join('\n'),
    );
    await promisify(execFile)(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', script], { cwd: ROOT });
    const { generated, results } = JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8'));
    expect(generated).toBe(false);
    expect(results).toEqual(expected);
    // The sample exercises both outcomes: documents and refusals.
    expect(expected.some((result) => 'error' in result)).toBe(true);
    expect(expected.some((result) => 'output' in result && (result.output as { lines: unknown[] }).lines.length > 0)).toBe(true);
  }, 60_000);
});
