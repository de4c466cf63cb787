/**
 * Hot reload on a temp copy of the shipped mappings: a good edit goes live, a broken edit (YAML,
 * compile or golden failure) leaves the previous set live and is reported with where and why.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apidianWireSchemas, type ApidianDocumentKind } from '../../connectors/apidian/wire.js';
import { createLogger } from '../../src/log.js';
import { LiveMappings, MappingSetRejectedError } from '../../src/mapping/watch.js';
import { outputValidator } from '../../src/pipeline/output-contract.js';
import { mappingsCopy } from '../cli/helpers.js';

const log = createLogger('silent');
const wireSchemaFor = (system: string, kind: string) => (system === 'apidian' ? apidianWireSchemas[kind as ApidianDocumentKind] : undefined);

let dir: string;
let live: LiveMappings | undefined;

const INVOICE = () => path.join(dir, 'shopify', 'order-invoice.yaml');

function edit(file: string, change: (text: string) => string): void {
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  expect(after).not.toBe(before);
  writeFileSync(file, after);
}

async function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function open(): Promise<LiveMappings> {
  return LiveMappings.open({ dir, log, debounceMs: 50, validatorFor: (mapping) => outputValidator(mapping, wireSchemaFor) });
}

beforeEach(() => {
  dir = mappingsCopy();
});

afterEach(async () => {
  await live?.close();
  live = undefined;
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

describe('LiveMappings', () => {
  it('starts with the set, its golden tests passed, and lists it', async () => {
    live = await open();
    expect(live.lastReload).toMatchObject({ ok: true, trigger: 'start', errors: [] });
    expect(live.current.forSource('shopify', 'order.paid', 'invoice')?.id).toBe('shopify-order-invoice');
    const listed = live.list().find((m) => m.id === 'shopify-order-invoice');
    expect(listed).toMatchObject({ revision: 4, file: path.join('shopify', 'order-invoice.yaml') });
    expect(listed?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a file edited on disk becomes the active revision, swapped in whole', async () => {
    live = await open();
    const before = live.current;
    const hashBefore = live.lastReload.setHash;
    await live.watch();
    edit(INVOICE(), (text) => text.replace(/^  revision: 4$/m, '  revision: 5'));
    const mapping = await eventually(() => {
      const current = live!.current.byId('shopify-order-invoice');
      return current?.revision === 5 ? current : undefined;
    }, 'revision 5 to go live');
    expect(live.lastReload).toMatchObject({ ok: true, trigger: 'change', errors: [] });
    expect(live.lastReload.setHash).not.toBe(hashBefore);
    // The old catalog object is untouched: whoever holds it keeps a consistent set.
    expect(before.byId('shopify-order-invoice')?.revision).toBe(4);
    expect(live.current.forSource('shopify', 'order.paid', 'invoice')).toBe(mapping);
  });

  it('a YAML syntax error keeps the old set live and says where', async () => {
    live = await open();
    await live.watch();
    edit(INVOICE(), (text) => text.replace(/^  revision: 4$/m, '  revision: 5\n  oops: [unclosed'));
    const failed = await eventually(() => (live!.lastReload.ok ? undefined : live!.lastReload), 'the failed reload');
    expect(failed.trigger).toBe('change');
    expect(failed.errors[0]).toMatchObject({ file: INVOICE(), line: expect.any(Number), column: expect.any(Number) });
    expect(failed.errors[0]!.message).toMatch(/YAML syntax error/);
    expect(live.current.byId('shopify-order-invoice')?.revision).toBe(4);
  });

  it('an edit that breaks a golden test is refused, naming the test and the field', async () => {
    live = await open();
    // Valid YAML, compiles, but IVA 19 % now comes out as INC: the fixtures say otherwise.
    edit(INVOICE(), (text) => text.replace('"CO:0.19": { code: IVA, percent: "19" }', '"CO:0.19": { code: INC, percent: "19" }').replace(/^  revision: 4$/m, '  revision: 5'));
    const result = await live.reload();
    expect(result.ok).toBe(false);
    const golden = result.errors.find((e) => e.message.includes('golden test'));
    expect(golden?.file).toBe(INVOICE());
    expect(golden?.message).toMatch(/lines\[0\]\.taxes\[0\]\.code changed/);
    // Values from fixtures stay out of what is logged and served.
    expect(golden?.message).not.toContain('INC');
    expect(live.current.byId('shopify-order-invoice')?.revision).toBe(4);
  });

  it('lists every problem of a broken set at once, and recovers on the next good edit', async () => {
    live = await open();
    edit(INVOICE(), (text) =>
      text
        .replace(/^  revision: 4$/m, '  revision: 5')
        .replace('kind: { const: invoice }', 'kind: { const: invoice, colour: red }')
        .replace('currency: { path: order.currency', 'currency: { const: COP, path: order.currency'),
    );
    const failed = await live.reload();
    expect(failed.ok).toBe(false);
    expect(failed.errors.map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/unknown key "colour"/), expect.stringMatching(/two sources \((path, const|const, path)\)/)]),
    );
    for (const error of failed.errors) expect(error).toMatchObject({ file: INVOICE(), line: expect.any(Number), column: expect.any(Number) });

    edit(INVOICE(), (text) => text.replace('kind: { const: invoice, colour: red }', 'kind: { const: invoice }').replace('currency: { const: COP, path: order.currency', 'currency: { path: order.currency'));
    const fixed = await live.reload();
    expect(fixed).toMatchObject({ ok: true, errors: [] });
    expect(live.current.byId('shopify-order-invoice')?.revision).toBe(5);
  });

  it('refuses to start on a set that does not pass, listing the problems', async () => {
    edit(INVOICE(), (text) => text.replace('kind: { const: invoice }', 'kind: { const: invoice, colour: red }'));
    const error = await open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MappingSetRejectedError);
    expect((error as MappingSetRejectedError).issues[0]).toMatchObject({ file: INVOICE(), message: expect.stringMatching(/unknown key "colour"/) });
    expect((error as Error).message).toMatch(/order-invoice\.yaml:\d+:\d+: unknown key "colour"/);
  });
});
