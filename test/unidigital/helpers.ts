/** Shared builders for the Unidigital tests: fixtures, documents mapped the way the pipeline maps them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { DocumentKind, FiscalDocument } from '../../src/domain/fiscal-document.js';
import { loadMappingCatalog } from '../../src/mapping/catalog.js';
import type { UnidigitalTarget } from '../../connectors/unidigital/target.js';

export const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
export const catalog = await loadMappingCatalog(MAPPINGS);

export function fixture(name: string): { document: FiscalDocument; target: Record<string, unknown> } {
  return JSON.parse(readFileSync(`${MAPPINGS}/unidigital/fixtures/${name}.input.json`, 'utf8'));
}

export function wireFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${MAPPINGS}/unidigital/fixtures/${name}.wire.json`, 'utf8'));
}

const MAPPING_OF: Partial<Record<DocumentKind, string>> = {
  invoice: 'unidigital-invoice',
  credit_note: 'unidigital-credit-note',
  debit_note: 'unidigital-debit-note',
};

const FIXTURE_OF: Partial<Record<DocumentKind, string>> = {
  invoice: 'invoice-ves-rif',
  credit_note: 'credit-note-partial-refund',
  debit_note: 'debit-note-raised-total',
};

/**
 * A document as the dispatcher hands it to the target: the fixture's FiscalDocument numbered `number`,
 * mapped by the shipped mapping and validated by the target's wire schema.
 */
export function outgoing(
  target: UnidigitalTarget,
  kind: 'invoice' | 'credit_note' | 'debit_note',
  id: string,
  number: number,
  options: { affects?: number; fixtureName?: string; edit?: (doc: FiscalDocument) => void } = {},
): OutgoingDocument {
  const input = fixture(options.fixtureName ?? FIXTURE_OF[kind]!);
  const document = structuredClone(input.document);
  document.number = String(number);
  if (options.affects !== undefined && document.reference) document.reference.number = String(options.affects);
  options.edit?.(document);
  const wire = catalog.byId(MAPPING_OF[kind]!)!.run({ document, target: input.target });
  return {
    documentId: id,
    idempotencyKey: `shopify:tienda-avila.myshopify.com|order:${id}|${kind}`,
    kind,
    series: target.numberingFor(kind)!.series,
    number: String(number),
    wire: target.wireSchema(kind).parse(wire),
    fiscal: document,
  };
}

export function batchOf(id: string, kind: DocumentKind, series: string, ...documents: OutgoingDocument[]): OutgoingBatch {
  return { batchId: id, kind, series, documents };
}
