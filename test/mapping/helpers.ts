import { compileMappingText, type CompiledMapping } from '../../src/mapping/index.js';

/** A mapping without expressions: its run returns the output directly, never a promise. */
export type SyncMapping = Omit<CompiledMapping, 'run'> & { run(input: unknown): Record<string, unknown> };

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

/** Compiles a mapping that holds no expressions (so `run` is synchronous). */
export function compile(body: string, file = 'test.yaml'): SyncMapping {
  const mapping = compileMappingText(mappingText(body), file);
  if (mapping.usesExpressions) throw new Error('this mapping holds expressions: use compileAsync');
  return mapping as unknown as SyncMapping;
}

/** Compiles any mapping; await its run. */
export function compileAsync(body: string, file = 'test.yaml'): CompiledMapping {
  return compileMappingText(mappingText(body), file);
}

/** Compiles a mapping whose only field is `out`, and runs it on `input`. */
export function runField(node: string, input: unknown, extra = ''): unknown {
  return compile(`${extra}\nfields:\n  out: ${node}`).run(input).out;
}

/** Like runField for nodes that use expressions. */
export async function runExprField(node: string, input: unknown, extra = ''): Promise<unknown> {
  return (await compileAsync(`${extra}\nfields:\n  out: ${node}`).run(input)).out;
}
