import { compileMappingText, type CompiledMapping } from '../../src/mapping/index.js';

/** A stage-1 style mapping around the given YAML (fields, and optionally lookups/vars blocks). */
export function mappingText(body: string): string {
  return [
    'apiVersion: puente.mapping/v1',
    'kind: DocumentMapping',
    'metadata: { id: test-mapping, revision: 3 }',
    'source: { system: shopify, events: [order.paid] }',
    'target: { system: fiscal-document, document: invoice }',
    body.trim(),
    '',
  ].join('\n');
}

export function compile(body: string, file = 'test.yaml'): CompiledMapping {
  return compileMappingText(mappingText(body), file);
}

/** Compiles a mapping whose only field is `out`, and runs it on `input`. */
export function runField(node: string, input: unknown, extra = ''): unknown {
  return compile(`${extra}\nfields:\n  out: ${node}`).run(input).out;
}
