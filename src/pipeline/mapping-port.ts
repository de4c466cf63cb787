/**
 * What the pipeline needs from the mapping engine: find the mapping for a stage and run it. Kept as a
 * port so the pipeline does not depend on how mappings are stored, compiled or hot-reloaded.
 */
import type { SourceEventKind } from '../connector.js';
import type { DocumentKind } from '../domain/fiscal-document.js';

export interface RunnableMapping {
  id: string;
  revision: number;
  contentHash: string;
  /**
   * Throws (or rejects with) MappingError (src/errors.ts) with the field path when the input cannot
   * be mapped. A promise only for mappings with expressions (JSONata is async): always `await` it.
   */
  run(input: unknown): unknown | Promise<unknown>;
}

export interface MappingCatalog {
  /** Stage 1: a source system's event → FiscalDocumentDraft of `document` kind. */
  forSource(system: string, event: SourceEventKind, document: DocumentKind): RunnableMapping | undefined;
  /** Stage 2: FiscalDocument → a target system's wire document. */
  forTarget(system: string, document: DocumentKind): RunnableMapping | undefined;
  byId(id: string): RunnableMapping | undefined;
}
