/**
 * Loads one mapping file: parse (YAML, or JSON through the same parser) keeping source positions,
 * validate the envelope with zod, compile the field tree, and report every problem at once with
 * file, line and column. A file that loads is ready to run; a file that does not throws
 * MappingLoadError listing all its problems.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { MappingCompiler, reportZodIssue, type CompileIssue, type SourcePath } from './compile.js';
import { Lookup, MappingEnvelope, type MappingFile, type GoldenTest } from './format.js';

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
  constructor(issues: MappingIssue[]) {
    const lines = issues.map((issue) => `  ${formatIssue(issue)}`);
    super(`${issues.length === 1 ? 'a mapping file has a problem' : `mapping files have ${issues.length} problems`}:\n${lines.join('\n')}`);
    this.name = 'MappingLoadError';
    this.issues = issues;
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
  /** The file it was loaded from, as given to the loader. */
  readonly file: string;
  readonly source: MappingFile['source'];
  readonly target: MappingFile['target'];
  /** Golden tests with input/expect resolved against the mapping file's folder. */
  readonly tests: GoldenTest[];
  readonly provenance: MappingProvenance;
  /** Maps one input. Throws MappingError (src/errors.ts) with the output field path on bad input. */
  run(input: unknown): Record<string, unknown>;
}

/** Compiles mapping text. `file` names it in errors and anchors relative fixture paths. */
export function compileMappingText(content: string | Uint8Array, file: string): CompiledMapping {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  const contentHash = createHash('sha256').update(bytes).digest('hex');

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: MappingIssue[] = [];
  const at = (offset: number, message: string): MappingIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, message };
  };

  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'YAML syntax error';
      issues.push(at(error.pos[0], `YAML syntax error: ${message} — fix the YAML syntax here`));
    }
    throw new MappingLoadError(issues);
  }

  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const collected: CompileIssue[] = [];
  const sink = { report: (where: SourcePath, message: string, onKey = false) => collected.push(onKey ? { at: where, message, onKey } : { at: where, message }) };

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

  if (collected.length > 0 || !parsed.success) {
    for (const issue of collected) issues.push(at(locate(doc, issue.at, issue.onKey === true), issue.message));
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new MappingLoadError(issues);
  }

  const mapping = parsed.data as unknown as MappingFile;
  const folder = path.dirname(file);
  const provenance: MappingProvenance = { id: mapping.metadata.id, revision: mapping.metadata.revision, contentHash };
  return {
    ...provenance,
    provenance,
    description: mapping.metadata.description,
    file,
    source: mapping.source,
    target: mapping.target,
    tests: (mapping.tests ?? []).map((test) => ({
      ...test,
      input: path.resolve(folder, test.input),
      expect: path.resolve(folder, test.expect),
    })),
    run: compiled.run,
  };
}

export async function loadMappingFile(file: string): Promise<CompiledMapping> {
  const bytes = await readFile(file);
  return compileMappingText(bytes, file);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The offset of the node a problem is about: the deepest node of `where` that exists in the file. */
function locate(doc: Document, where: SourcePath, onKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < where.length; i++) {
    const segment = where[i];
    const last = i === where.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && onKey) return keyNode.range?.[0] ?? offset;
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
  return offset;
}
