/**
 * `puente mappings validate | test | preview | diff`, run in-process on the shipped mappings and on
 * broken or edited copies.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMappingsCommand, type PreviewReport, type SetDiffReport, type ValidationReport, type MappingTestReport } from '../../src/cli/mappings.js';
import { ROOT, brokenMappings, captureIo, mappingsCopy, tempDir } from './helpers.js';

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const track = (dir: string) => {
  cleanup.push(dir);
  return dir;
};
/** A stable copy of the shipped mappings in <temp>/mappings, beside a puente.config.yaml naming it. */
const copy = () => {
  const dir = mappingsCopy();
  track(path.dirname(dir));
  writeFileSync(path.join(path.dirname(dir), 'puente.config.yaml'), 'mappingsDir: ./mappings\n');
  return dir;
};

async function run(args: string[], cwd = ROOT) {
  const captured = captureIo(cwd);
  const code = await runMappingsCommand(args, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

/** 1-based line of the first line of `file` containing every one of `needles`. */
function lineOf(file: string, ...needles: string[]): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => needles.every((n) => line.includes(n)));
  expect(index, `${needles.join(' … ')} in ${file}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

const SHIPPED = path.join(ROOT, 'mappings');
const INVOICE_MAPPING = path.join(SHIPPED, 'shopify', 'order-invoice.yaml');
const FIXTURE = (name: string) => path.join(SHIPPED, 'shopify', 'fixtures', name);

describe('mappings validate', () => {
  it('accepts a good set, found through the mappingsDir of puente.config.yaml', async () => {
    const dir = path.dirname(copy());
    const { code, out } = await run(['validate'], dir);
    expect(code).toBe(0);
    expect(out).toMatch(/^✓ 5 mappings valid in mappings: apidian-credit-note@\d+, .*shopify-order-invoice@\d+/m);
  });

  it('lists a YAML syntax error, an unknown key and a node with two sources, each with file:line:column, and exits 1', async () => {
    const dir = track(brokenMappings());
    const human = await run(['validate', dir]);
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/syntax\.yaml:8:\d+: error \[yaml-syntax\] YAML syntax error/);
    expect(human.out).toMatch(/refunds\/keys\.yaml:7:\d+: error \[invalid\] unknown key "colour"/);
    expect(human.out).toMatch(/refunds\/keys\.yaml:8:\d+: error \[invalid\] node has two sources \(path, const\)/);
    expect(human.out).toMatch(/✗ 3 errors in 2 of 2 mapping files/);

    const json = await run(['validate', dir, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as ValidationReport;
    expect(report.ok).toBe(false);
    expect(report.issues.map((i) => [path.relative(dir, i.file), i.line, i.severity])).toEqual([
      [path.join('refunds', 'keys.yaml'), 7, 'error'],
      [path.join('refunds', 'keys.yaml'), 8, 'error'],
      ['syntax.yaml', 8, 'error'],
    ]);
    for (const issue of report.issues) expect(issue.column).toBeGreaterThan(0);
  });

  it('reports two mappings that claim the same job', async () => {
    const dir = copy();
    const twin = path.join(dir, 'shopify', 'order-invoice-copy.yaml');
    writeFileSync(twin, readFileSync(path.join(dir, 'shopify', 'order-invoice.yaml'), 'utf8').replace('id: shopify-order-invoice', 'id: shopify-order-invoice-2'));
    const { code, out } = await run(['validate', dir]);
    expect(code).toBe(1);
    expect(out).toMatch(/error \[conflict\] mappings shopify-order-invoice(-2)? .* and shopify-order-invoice(-2)? both handle shopify order\.paid → fiscal-document invoice/);
  });

  it('shows lint warnings without failing, unless --strict', async () => {
    const dir = copy();
    const file = path.join(dir, 'shopify', 'order-invoice.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^vars:\n/m, 'vars:\n  neverUsed: { path: order.note }\n'));
    const loose = await run(['validate', dir]);
    expect(loose.code).toBe(0);
    expect(loose.out).toMatch(new RegExp(`order-invoice\\.yaml:${lineOf(file, 'neverUsed')}:\\d+: warning \\[unused-var\\]`));
    const strict = await run(['validate', dir, '--strict', '--json']);
    expect(strict.code).toBe(1);
    expect((JSON.parse(strict.out) as ValidationReport).warnings).toBe(1);
  });

  it('exits 2 on a wrong command line', async () => {
    expect((await run(['validate', 'a', 'b'])).code).toBe(2);
    expect((await run(['validate', '--colour'])).code).toBe(2);
    const missing = await run(['validate', '/nonexistent/puente-mappings']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/is not a folder/);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
  });
});

describe('mappings test', () => {
  it('passes the shipped golden fixtures', async () => {
    const { code, out } = await run(['test', copy(), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as MappingTestReport;
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThanOrEqual(8);
  });

  it('shows missing, extra and changed fields as path: expected → actual, and exits 1', async () => {
    const dir = copy();
    const expectedFile = path.join(dir, 'shopify', 'fixtures', 'paid-order-nit.expected.json');
    const expected = JSON.parse(readFileSync(expectedFile, 'utf8'));
    const email = expected.buyer.email;
    expected.currency = 'USD';
    delete expected.buyer.email;
    expected.salesChannel = 'online';
    writeFileSync(expectedFile, JSON.stringify(expected, null, 2));

    const { code, out } = await run(['test', dir]);
    expect(code).toBe(1);
    expect(out).toContain('FAIL  paid COP order');
    expect(out).toContain('currency: "USD" → "COP"');
    expect(out).toContain(`buyer.email: (not expected) → ${JSON.stringify(email)}`);
    expect(out).toContain('salesChannel: "online" → (missing)');
    expect(out).toMatch(/✗ \d+ passed, 1 failed/);

    const report = JSON.parse((await run(['test', dir, '--json'])).out) as MappingTestReport;
    const failed = report.mappings.flatMap((m) => m.results).filter((r) => !r.passed);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.differences).toEqual(
      expect.arrayContaining([
        { path: 'currency', kind: 'changed', expected: 'USD', actual: 'COP' },
        { path: 'buyer.email', kind: 'extra', actual: email },
        { path: 'salesChannel', kind: 'missing', expected: 'online' },
      ]),
    );
  });
});

describe('mappings preview', () => {
  it('dry-runs a stage-1 mapping: output, its contract, and where each value came from', async () => {
    const { code, out } = await run(['preview', INVOICE_MAPPING, FIXTURE('paid-order-nit.input.json'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as PreviewReport;
    expect(report.output).toEqual(JSON.parse(readFileSync(FIXTURE('paid-order-nit.expected.json'), 'utf8')));
    expect(report.validation).toMatchObject({ contract: 'FiscalDocumentDraft + computeDocument', problems: [] });
    expect(report.validation?.computed?.totals.payableAmount).toMatch(/^\d+\.\d{2}$/);

    const taxCode = report.trace.fields.find((f) => f.field === 'lines[0].taxes[0].code');
    expect(taxCode).toMatchObject({ value: 'IVA', origin: 'lookup taxByRate', via: 'source', lookup: { key: 'CO:0.19', hit: true } });
    expect(taxCode?.line).toBe(lineOf(INVOICE_MAPPING, 'code:', 'lookup: taxByRate'));
    const currency = report.trace.fields.find((f) => f.field === 'currency');
    expect(currency).toMatchObject({ value: 'COP', origin: 'path order.currency', via: 'source', line: lineOf(INVOICE_MAPPING, 'currency:', 'order.currency') });
    // Every value of the output is explained by one trace entry.
    expect(report.trace.fields.map((f) => f.field)).toEqual(expect.arrayContaining(['kind', 'issuedAt', 'buyer.name', 'orderRef.orderId']));
  });

  it('names a default when it produced the value, and accepts a stored event as input', async () => {
    const input = JSON.parse(readFileSync(FIXTURE('paid-order-final-consumer.input.json'), 'utf8'));
    const dir = track(tempDir('puente-preview-'));
    const eventFile = path.join(dir, 'event.json');
    const receivedAt = '2026-11-22T15:15:04.000Z';
    writeFileSync(eventFile, JSON.stringify({ id: 'evt_1', source: `shopify:${input.shop}`, kind: 'order.paid', topic: 'orders/paid', orderId: input.order.id, receivedAt, payload: input.order }));
    // By id: looked up in the mappingsDir of the configuration where the command runs.
    const project = path.dirname(copy());
    const { code, out } = await run(['preview', 'shopify-order-invoice', eventFile, '--json'], project);
    expect(code).toBe(0);
    const report = JSON.parse(out) as PreviewReport;
    const expected = JSON.parse(readFileSync(FIXTURE('paid-order-final-consumer.expected.json'), 'utf8'));
    expect(report.output).toEqual({ ...expected, issuedAt: receivedAt });
    expect(report.trace.vars.find((v) => v.field === 'vars.buyerTaxId')).toMatchObject({ value: '222222222222', via: 'default' });

    const human = await run(['preview', 'shopify-order-invoice', eventFile], project);
    expect(human.out).toMatch(/vars\.buyerTaxId\s+"222222222222"\s+← default \(paths .* gave nothing\)/);
    expect(human.out).toMatch(/lines\[0\]\.taxes\[0\]\.code\s+"IVA"\s+← lookup taxByRate \[key "CO:0\.19", entry\]/);
    expect(human.out).toContain('✓ valid against FiscalDocumentDraft + computeDocument');
  });

  it('checks a stage-2 output against the target wire schema', async () => {
    const mapping = path.join(SHIPPED, 'apidian', 'invoice.yaml');
    const input = path.join(SHIPPED, 'apidian', 'fixtures', 'invoice-nit.input.json');
    const report = JSON.parse((await run(['preview', mapping, input, '--json'])).out) as PreviewReport;
    expect(report).toMatchObject({ ok: true, validation: { contract: 'apidian invoice wire schema', problems: [] } });
    expect(report.output).toEqual(JSON.parse(readFileSync(path.join(SHIPPED, 'apidian', 'fixtures', 'invoice-nit.expected.json'), 'utf8')));

    // The same document without its number: the wire schema refuses it, and preview says where.
    const broken = JSON.parse(readFileSync(input, 'utf8'));
    delete broken.document.number;
    const dir = track(tempDir('puente-preview-'));
    writeFileSync(path.join(dir, 'input.json'), JSON.stringify(broken));
    const refused = await run(['preview', mapping, path.join(dir, 'input.json')]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/✗ (the mapping stops: number|not valid against apidian invoice wire schema:\n\s+number)/);
  });

  it('shows where the mapping stopped and exits 1', async () => {
    const input = JSON.parse(readFileSync(FIXTURE('paid-order-nit.input.json'), 'utf8'));
    input.order.line_items[0].tax_lines[0].rate = 0.16;
    const dir = track(tempDir('puente-preview-'));
    writeFileSync(path.join(dir, 'input.json'), JSON.stringify(input));
    const { code, out } = await run(['preview', INVOICE_MAPPING, path.join(dir, 'input.json'), '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(out) as PreviewReport;
    expect(report.error).toMatch(/^lines\[0\]\.taxes\[0\]\.code: key CO:0\.16 has no entry in lookup taxByRate/);
    expect(report.output).toBeUndefined();
    expect(report.trace.fields.some((f) => f.field === 'lines[0].unitPrice')).toBe(true);
  });

  it('exits 2 without both arguments or with an unknown mapping', async () => {
    expect((await run(['preview', INVOICE_MAPPING])).code).toBe(2);
    const unknown = await run(['preview', 'no-such-mapping', FIXTURE('paid-order-nit.input.json')], path.dirname(copy()));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/neither a mapping file nor a mapping id/);
  });
});

describe('mappings diff', () => {
  /** A corpus: a mapping input, a stored event, a refund input; and the set with IVA 19 % renamed. */
  function scenario() {
    const corpus = track(tempDir('puente-corpus-'));
    const nit = JSON.parse(readFileSync(FIXTURE('paid-order-nit.input.json'), 'utf8'));
    writeFileSync(path.join(corpus, 'a-order.json'), JSON.stringify(nit));
    const consumer = JSON.parse(readFileSync(FIXTURE('paid-order-final-consumer.input.json'), 'utf8'));
    writeFileSync(
      path.join(corpus, 'b-event.json'),
      JSON.stringify({ id: 'evt_b', source: `shopify:${consumer.shop}`, kind: 'order.paid', orderId: consumer.order.id, receivedAt: '2026-11-22T15:15:04.000Z', payload: consumer.order }),
    );
    writeFileSync(path.join(corpus, 'c-refund.json'), readFileSync(FIXTURE('partial-refund.input.json'), 'utf8'));
    const changed = copy();
    const file = path.join(changed, 'shopify', 'order-invoice.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"CO:0.19": { code: IVA, percent: "19" }');
    writeFileSync(file, text.replace('"CO:0.19": { code: IVA, percent: "19" }', '"CO:0.19": { code: INC, percent: "19" }'));
    return { corpus, original: copy(), changed };
  }

  it('reports, per document, the fields the new version changes, through both stages', async () => {
    const { corpus, original, changed } = scenario();
    const { code, out } = await run(['diff', '--from', original, '--to', changed, '--corpus', corpus, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as SetDiffReport;
    expect(report).toMatchObject({ changed: 2, unchanged: 1, skipped: [] });
    const [order, event, refund] = report.documents;
    expect(order).toMatchObject({ file: path.join(corpus, 'a-order.json'), document: 'invoice', changed: true });
    const fiscal = order!.stages.find((s) => s.stage === 'fiscal-document')!;
    expect(fiscal.changes).toContainEqual({ path: 'lines[0].taxes[0].code', kind: 'changed', expected: 'IVA', actual: 'INC' });
    // Lines at 5 % and 0 % are untouched.
    expect(fiscal.changes.every((c) => /taxes\[0\]\.code$|^taxSummary\[\d+\]\.code$/.test(c.path))).toBe(true);
    const wire = order!.stages.find((s) => s.stage === 'apidian invoice')!;
    expect(wire.status).toBe('changed');
    expect(wire.changes.some((c) => c.path.endsWith('tax_id'))).toBe(true);
    expect(event).toMatchObject({ document: 'invoice', changed: true });
    expect(refund).toMatchObject({ document: 'credit_note', changed: false });

    const human = await run(['diff', '--from', original, '--to', changed, '--corpus', corpus]);
    expect(human.out).toContain('lines[0].taxes[0].code: "IVA" → "INC"');
    expect(human.out).toMatch(/3 documents: 2 changed, 1 unchanged/);
  });

  it('takes a git revision for --from, read with read-only git commands', async () => {
    const { corpus, changed } = scenario();
    const { code, out } = await run(['diff', '--from', 'HEAD', '--to', changed, '--corpus', corpus, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as SetDiffReport;
    expect(report.from).toBe('HEAD');
    const fiscal = report.documents[0]!.stages.find((s) => s.stage === 'fiscal-document')!;
    expect(fiscal.changes).toContainEqual({ path: 'lines[0].taxes[0].code', kind: 'changed', expected: 'IVA', actual: 'INC' });
  });

  it('exits 2 on a wrong command line, 1 on an unreadable corpus file', async () => {
    const { corpus, original, changed } = scenario();
    expect((await run(['diff', '--to', changed, '--corpus', corpus])).code).toBe(2);
    expect((await run(['diff', '--from', original, '--to', changed])).code).toBe(2);
    const notRevision = await run(['diff', '--from', 'no-such-revision-xyz', '--corpus', corpus]);
    expect(notRevision.code).toBe(2);
    expect(notRevision.err).toMatch(/neither a folder nor a git revision/);
    writeFileSync(path.join(corpus, 'd-broken.json'), '{ not json');
    const unreadable = await run(['diff', '--from', original, '--to', changed, '--corpus', corpus]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.out).toMatch(/d-broken\.json {2}skipped: not readable JSON/);
  });
});
