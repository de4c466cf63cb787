/**
 * The shipped Unidigital mappings: they load with the rest of the catalog, pass their golden tests,
 * and what they produce — completed by the wire schema — is exactly the `.wire.json` body the
 * imprenta receives, which the sandbox accepts.
 */
import { describe, expect, it } from 'vitest';
import { FiscalDocument } from '../../src/domain/fiscal-document.js';
import { formatGoldenResult, runGoldenTests } from '../../src/mapping/golden.js';
import { describeIssues } from '../../connectors/unidigital/wire.js';
import { createUnidigitalTarget } from '../../connectors/unidigital/target.js';
import { UNIDIGITAL_SANDBOX_TARGET_DEFAULTS } from '../../connectors/unidigital/sandbox/seed.js';
import { judgeDocument } from '../../connectors/unidigital/sandbox/judge.js';
import { SandboxStore } from '../../connectors/unidigital/sandbox/state.js';
import { catalog, fixture, wireFixture } from './helpers.js';

const target = createUnidigitalTarget({ ...UNIDIGITAL_SANDBOX_TARGET_DEFAULTS, baseUrl: 'http://127.0.0.1:1/digitalinvoice-core' });
const KINDS = { 'unidigital-invoice': 'invoice', 'unidigital-credit-note': 'credit_note', 'unidigital-debit-note': 'debit_note' } as const;

describe('Unidigital stage-2 mappings', () => {
  it('are selected for each kind', () => {
    for (const [id, kind] of Object.entries(KINDS)) expect(catalog.forTarget('unidigital', kind)?.id).toBe(id);
  });

  for (const [id, kind] of Object.entries(KINDS)) {
    it(`${id} passes its golden tests, and its outputs satisfy the wire schema`, async () => {
      const mapping = catalog.byId(id)!;
      expect(mapping.tests.length).toBeGreaterThan(0);
      const schema = target.wireSchema(kind);
      const results = await runGoldenTests(mapping, {
        validate: (output) => {
          const parsed = schema.safeParse(output);
          return parsed.success ? [] : describeIssues(parsed.error);
        },
      });
      expect(results.filter((r) => !r.passed).map(formatGoldenResult)).toEqual([]);
      for (const result of results) {
        const name = result.input.split('/').pop()!.replace('.input.json', '');
        expect(FiscalDocument.safeParse(fixture(name).document).success).toBe(true);
        // What is sent: the mapping's output completed by the schema, byte for byte the .wire.json.
        expect(JSON.parse(JSON.stringify(schema.parse(result.output)))).toEqual(wireFixture(name));
      }
    });
  }

  it('produces bodies the imprenta (the sandbox) accepts, in order', () => {
    const store = new SandboxStore();
    const account = Object.values(store.data.accounts)[0]!;
    const context = { store, account, takenInRequest: new Map<string, number>(), referencesInRequest: new Set<string>() };
    const invoice = judgeDocument(wireFixture('invoice-ves-rif'), context);
    const usd = judgeDocument(wireFixture('invoice-usd-igtf'), context);
    expect([invoice.ok, usd.ok]).toEqual([true, true]);
  });

  it('a line without IVA stops the mapping at that line’s TaxCode', () => {
    const input = fixture('invoice-ves-rif');
    input.document.lines[1]!.taxes = [];
    expect(() => catalog.byId('unidigital-invoice')!.run(input)).toThrow(/Details\[1\]\.TaxCode/);
  });

  it('a USD document without an exchange rate to VES is refused by the wire schema, naming ExchangeRate', () => {
    const input = fixture('invoice-usd-igtf');
    delete (input.document as { exchangeRate?: unknown }).exchangeRate;
    const output = catalog.byId('unidigital-invoice')!.run(input);
    const parsed = target.wireSchema('invoice').safeParse(output);
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error!)).toEqual([expect.stringMatching(/^ExchangeRate: ExchangeRate is required for a document in USD: the BCV rate/)]);
  });
});
