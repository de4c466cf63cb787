/**
 * What a mapping's output must satisfy, checked the way the preparer checks it: a stage-1 output must
 * be a FiscalDocumentDraft whose totals the domain can compute; a stage-2 output must pass the target
 * API's wire schema. Used by golden tests on hot reload, `puente mappings test` and `preview`.
 */
import type { ZodType } from 'zod';
import { FiscalDocumentDraft, type DocumentKind, type FiscalDocument } from '../domain/fiscal-document.js';
import { computeDocument } from '../domain/totals.js';
import { formatZodPath } from '../config.js';

/** The wire schema of a target system for a document kind, if Puente knows that target. */
export type WireSchemaFor = (system: string, kind: DocumentKind) => ZodType | undefined;

export interface MappingTargetDeclaration {
  target: { system: string; document: DocumentKind };
}

export const FISCAL_DOCUMENT = 'fiscal-document';

export interface ContractCheck {
  /** Which contract was checked: `FiscalDocumentDraft + computeDocument`, `apidian invoice wire schema`, … */
  contract: string;
  problems: string[];
  /** Stage 1: the document with totals the domain computed from the draft. */
  computed?: FiscalDocument;
}

function zodProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((issue) => {
    const where = formatZodPath(issue.path);
    // Targets may phrase messages with their API's own placeholder for the field (Laravel's :attribute).
    const message = issue.message.replaceAll(':attribute', where || 'the document');
    return where ? `${where}: ${message}` : message;
  });
}

/** Checks one output of `mapping`; undefined when no contract is known for its target system. */
export function checkOutput(mapping: MappingTargetDeclaration, output: unknown, wireSchemaFor: WireSchemaFor): ContractCheck | undefined {
  const { system, document } = mapping.target;
  if (system === FISCAL_DOCUMENT) {
    const contract = 'FiscalDocumentDraft + computeDocument';
    const draft = FiscalDocumentDraft.safeParse(output);
    if (!draft.success) return { contract, problems: zodProblems(draft.error.issues) };
    try {
      return { contract, problems: [], computed: computeDocument(draft.data) };
    } catch (error) {
      // DomainError messages already start with the field path.
      return { contract, problems: [(error as Error).message] };
    }
  }
  const schema = wireSchemaFor(system, document);
  if (!schema) return undefined;
  const checked = schema.safeParse(output);
  return { contract: `${system} ${document} wire schema`, problems: checked.success ? [] : zodProblems(checked.error.issues) };
}

/** A golden-test validator (GoldenOptions.validate) for `mapping`, or undefined when none applies. */
export function outputValidator(mapping: MappingTargetDeclaration, wireSchemaFor: WireSchemaFor): ((output: unknown) => string[]) | undefined {
  if (mapping.target.system !== FISCAL_DOCUMENT && !wireSchemaFor(mapping.target.system, mapping.target.document)) return undefined;
  return (output) => checkOutput(mapping, output, wireSchemaFor)?.problems ?? [];
}
