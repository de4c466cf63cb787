/**
 * `lintMapping`: every finding about one mapping file, in one stable shape — what loading refuses
 * (severity error) and what it accepts but an admin should look at (severity warning).
 *
 * Codes (the list is stable; messages may improve):
 *   yaml-syntax, invalid (schema or compile problem), unknown-lookup, unknown-var, reserved-var-name,
 *   syntax, forbidden-function, function-definition, function-value, binding, range, regex, focus,
 *   call, apply, unsupported, pad-width, join-separator, replace-pattern, sort-function,
 *   expression-too-long, money-in-expression                                            → error
 *   unused-var, unused-lookup, root-scan-in-loop, unreachable-when, constant-when,
 *   redundant-when, unreachable-default                                                 → warning
 * (expression-limit — a guardrail broken on a golden input — comes from loadMappingFile, which runs
 * the inputs; this function never runs a mapping.)
 */
import { analyzeMappingText } from './loader.js';

export type LintSeverity = 'error' | 'warning';

export interface LintIssue {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  severity: LintSeverity;
  code: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/**
 * All findings for one mapping file's text, sorted by position; never throws for a bad mapping.
 * A file with no error-severity finding is one compileMappingText accepts.
 */
export function lintMapping(content: string | Uint8Array, file: string): LintIssue[] {
  return analyzeMappingText(content, file).findings;
}
