/**
 * Loads one mapping file: parse (YAML, or JSON through the same parser) keeping source positions,
 * validate the envelope with zod, compile the field tree, lint it, and report every problem at once
 * with file, line and column. A file that loads is ready to run; a file with any error throws
 * MappingLoadError listing all its problems. Warnings do not stop a file; they stay on `warnings`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ExpressionError, MappingCompiler, reportZodIssue, type CompileIssue, type SourcePath } from './compile.js';
import { Lookup, MappingEnvelope, type MappingFile, type GoldenTest } from './format.js';
import type { LintIssue } from './lint.js';
import { MAX_YAML_NESTING, yamlNestingProblem } from '../ops/yaml-nesting.js';

export interface MappingIssue {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  message: string;
}

/** A mapping file that cannot be used; `issues` holds every problem found, in file order. */
export class MappingLoadError extends Error {
  readonly issues: MappingIssue[];
  /** The same problems with their severity and code (the lint shape); warnings of the files included. */
  readonly findings: LintIssue[];
  constructor(issues: MappingIssue[], findings?: LintIssue[]) {
    const lines = issues.map((issue) => `  ${formatIssue(issue)}`);
    super(`${issues.length === 1 ? 'a mapping file has a problem' : `mapping files have ${issues.length} problems`}:\n${lines.join('\n')}`);
    this.name = 'MappingLoadError';
    this.issues = issues;
    this.findings = findings ?? issues.map((issue) => ({ ...issue, severity: 'error', code: 'invalid' }));
  }
}

export function formatIssue(issue: MappingIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`;
}

/** What a produced document records about the mapping that made it. */
export interface MappingProvenance {
  id: string;
  revision: number;
  /** sha256 of the mapping file's bytes, hex. */
  contentHash: string;
}

export interface CompiledMapping extends MappingProvenance {
  readonly description: string | undefined;
  /**
   * Whether the mapping evaluates JSONata expressions when it runs (`expr` nodes or conditions written
   * as expressions, except those that read no input and were folded at load). Only then does `run`
   * return a promise (JSONata evaluates asynchronously); otherwise it returns the output.
   */
  readonly usesExpressions: boolean;
  /** Lint warnings (unused vars, unreachable conditions, …): the file loads, but deserves a look. */
  readonly warnings: LintIssue[];
  /** The file it was loaded from, as given to the loader. */
  readonly file: string;
  readonly source: MappingFile['source'];
  readonly target: MappingFile['target'];
  /** Golden tests with input/expect resolved against the mapping file's folder. */
  readonly tests: GoldenTest[];
  readonly provenance: MappingProvenance;
  /**
   * Maps one input; `await` it to handle both kinds alike. Throws (or rejects with) MappingError
   * (src/errors.ts) with the output field path on bad input.
   */
  run(input: unknown): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Compiles mapping text. `file` names it in errors and anchors relative fixture paths. */
export function compileMappingText(content: string | Uint8Array, file: string): CompiledMapping {
  const { findings, mapping } = analyzeMappingText(content, file);
  const errors = findings.filter((finding) => finding.severity === 'error');
  if (!mapping || errors.length > 0) {
    throw new MappingLoadError(
      errors.map(({ file: f, line, column, message }) => ({ file: f, line, column, message })),
      findings,
    );
  }
  return mapping;
}

/** What the analysis of one file found: every finding, and the mapping when nothing stopped it. */
export interface MappingAnalysis {
  findings: LintIssue[];
  mapping?: CompiledMapping;
}

/**
 * Parses, validates, compiles and lints mapping text without throwing for a bad mapping: the
 * single pass behind compileMappingText (which throws on errors) and lintMapping (which lists all).
 */
export function analyzeMappingText(content: string | Uint8Array, file: string): MappingAnalysis {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  const contentHash = createHash('sha256').update(bytes).digest('hex');

  // Pathological nesting can abort the process inside the YAML parser: refuse it before parsing.
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) {
    const message = `nested ${tooDeep.depth} levels deep here; a mapping file may nest at most ${MAX_YAML_NESTING} levels — flatten it`;
    return { findings: [{ file, line: tooDeep.line, column: tooDeep.column, severity: 'error', code: 'yaml-syntax', message }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const findings: LintIssue[] = [];
  const at = (offset: number, message: string, code: string, severity: LintIssue['severity'] = 'error'): LintIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, severity, code, message };
  };

  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'YAML syntax error';
      findings.push(at(error.pos[0], `YAML syntax error: ${message} — fix the YAML syntax here`, 'yaml-syntax'));
    }
    return { findings };
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Unresolved aliases and alias bombs are found only while converting, not in doc.errors.
    const message = (error as Error).message.split('\n')[0];
    findings.push(at(0, `YAML: ${message} — remove the alias (*name) or define its anchor (&name) before it`, 'yaml-syntax'));
    return { findings };
  }
  const collected: CompileIssue[] = [];
  const sink = {
    report: (where: SourcePath, message: string, onKey = false, code?: string) =>
      collected.push({ at: where, message, ...(onKey ? { onKey } : {}), ...(code ? { code } : {}) }),
  };

  const parsed = MappingEnvelope.safeParse(raw);
  if (!parsed.success) for (const issue of parsed.error.issues) reportZodIssue(sink, issue, [], 'the mapping file', raw);

  // Walk lookups, vars and fields even when the envelope has problems, so all errors surface at once.
  const rawObject = isRecord(raw) ? raw : {};
  const lookups: Record<string, Lookup> = {};
  if (isRecord(rawObject.lookups)) {
    for (const [name, rawLookup] of Object.entries(rawObject.lookups)) {
      const result = Lookup.safeParse(rawLookup);
      if (result.success) lookups[name] = result.data;
      else for (const issue of result.error.issues) reportZodIssue(sink, issue, ['lookups', name], `lookup ${name}`, rawLookup);
    }
  }
  const vars = isRecord(rawObject.vars) ? rawObject.vars : {};
  const compiler = new MappingCompiler(lookups, vars);
  const fields = isRecord(rawObject.fields) ? rawObject.fields : {};
  const compiled = compiler.compileMapping(fields);
  collected.push(...compiler.issues);

  for (const issue of collected) {
    const { offset, node } = locate(doc, issue.at, issue.onKey === true);
    const placed = placeInExpression(text, node, offset, issue.offset);
    findings.push(at(placed.offset, issue.message + placed.suffix, issue.code ?? 'invalid', issue.severity ?? 'error'));
  }
  findings.sort((a, b) => a.line - b.line || a.column - b.column);
  const failed = !parsed.success || findings.some((finding) => finding.severity === 'error');
  if (failed) return { findings };

  const mapping = parsed.data as unknown as MappingFile;
  const folder = path.dirname(file);
  const provenance: MappingProvenance = { id: mapping.metadata.id, revision: mapping.metadata.revision, contentHash };
  const siteOf = (site: SourcePath): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(locate(doc, site, false).offset);
    return { line, column: col };
  };
  expressionSites.set(compiled.run, siteOf);
  return {
    findings,
    mapping: {
      ...provenance,
      provenance,
      description: mapping.metadata.description,
      file,
      source: mapping.source,
      target: mapping.target,
      usesExpressions: compiled.usesExpressions,
      warnings: findings,
      tests: (mapping.tests ?? []).map((test) => ({
        ...test,
        input: path.resolve(folder, test.input),
        expect: path.resolve(folder, test.expect),
      })),
      run: compiled.run,
    },
  };
}

/** For a mapping's run function: where an expression of the file sits (for load-time probes). */
const expressionSites = new WeakMap<object, (site: SourcePath) => { line: number; column: number }>();

/**
 * Loads a mapping file. A mapping with expressions is also run once on each of its golden inputs:
 * an expression that breaks a guardrail there (timeout, depth, list size) is rejected now, at
 * load, with its file:line:column, rather than parking documents in production.
 */
export async function loadMappingFile(file: string): Promise<CompiledMapping> {
  const bytes = await readFile(file);
  const mapping = compileMappingText(bytes, file);
  if (mapping.usesExpressions) await probeExpressions(mapping);
  return mapping;
}

async function probeExpressions(mapping: CompiledMapping): Promise<void> {
  const siteOf = expressionSites.get(mapping.run);
  const findings: LintIssue[] = [];
  for (const test of mapping.tests) {
    let input: unknown;
    try {
      input = JSON.parse(await readFile(test.input, 'utf8'));
    } catch {
      continue; // A missing fixture is the golden runner's to report.
    }
    try {
      await mapping.run(input);
    } catch (error) {
      if (!(error instanceof ExpressionError) || !error.isLimit || !siteOf) continue;
      const { line, column } = siteOf(error.site);
      const message = `${error.message} (on the golden input ${path.basename(test.input)})`;
      if (!findings.some((finding) => finding.line === line && finding.column === column)) {
        findings.push({ file: mapping.file, line, column, severity: 'error', code: `expression-limit`, message });
      }
    }
  }
  if (findings.length > 0) {
    throw new MappingLoadError(findings.map(({ file, line, column, message }) => ({ file, line, column, message })), findings);
  }
}

/**
 * Problems inside an expression point at their character when the expression is written on one
 * line as it reads (plain or quoted without escapes); otherwise at the expression, naming the
 * character in the message.
 */
function placeInExpression(text: string, node: unknown, offset: number, inExpression: number | undefined): { offset: number; suffix: string } {
  if (inExpression === undefined) return { offset, suffix: '' };
  if (isScalar(node) && typeof node.value === 'string' && node.range) {
    const source = text.slice(node.range[0], node.range[1]);
    const at = source.indexOf(node.value);
    if (at >= 0 && !node.value.includes('\n')) return { offset: node.range[0] + at + inExpression, suffix: '' };
  }
  return { offset, suffix: ` (at character ${inExpression + 1} of the expression)` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The node a problem is about (the deepest node of `where` that exists in the file) and its offset. */
function locate(doc: Document, where: SourcePath, onKey: boolean): { offset: number; node: unknown } {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < where.length; i++) {
    const segment = where[i];
    const last = i === where.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && onKey) return { offset: keyNode.range?.[0] ?? offset, node: keyNode };
      node = pair.value;
      offset = (pair.value as Node | null)?.range?.[0] ?? keyNode.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return { offset, node };
}
