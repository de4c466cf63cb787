/**
 * `puente mappings …`: the tools an ERP admin uses on mapping files before they go live.
 *   validate [DIR]                     schema, compile and lint; every problem with file:line:column
 *   test [DIR]                         golden fixtures, with a field-by-field diff
 *   preview MAPPING INPUT              dry run: output, contract check, per-field trace
 *   diff --from X --to Y --corpus DIR  two versions of the set over stored events, per document
 * Each takes --json. Exit codes: 0 fine, 1 anything failed, 2 the command line is wrong.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ZodType } from 'zod';
import { apidianWireSchemas, type ApidianDocumentKind } from '../../connectors/apidian/wire.js';
import { targetTypes } from '../../connectors/index.js';
import type { DocumentKind } from '../domain/fiscal-document.js';
import {
  MappingLoadError,
  MappingRegistry,
  formatIssue,
  lintMapping,
  loadMappingDirectory,
  loadMappingFile,
  runGoldenTests,
  type CompiledMapping,
  type GoldenDifference,
  type GoldenResult,
  type MappingIssue,
} from '../mapping/index.js';
import { explainTrace, traceMappingRun, type FieldTrace } from '../mapping/trace.js';
import { asStoredEvent, corpusItemFor, diffMappingSets, readCorpus, type DocumentDiff, type MappingSet, type SkippedCorpusFile } from '../pipeline/corpus.js';
import { checkOutput, outputValidator, type ContractCheck, type WireSchemaFor } from '../pipeline/output-contract.js';
import {
  CliUsageError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  connectionCountries,
  defaultMappingsDir,
  parseCommandLine,
  processIo,
  shown,
  type CliIo,
} from './io.js';

export const MAPPINGS_USAGE = `Usage:
  puente mappings validate [DIR] [--json] [--strict]
      check every mapping under DIR (default: mappingsDir of puente.config.yaml, else ./mappings)
  puente mappings test [DIR] [--json]
      run the golden fixtures beside each mapping and show what differs
  puente mappings preview MAPPING INPUT [--json]
      dry run of one mapping (file or id) on one JSON input (a mapping input or a stored event)
  puente mappings diff --from REV_OR_DIR [--to REV_OR_DIR] --corpus DIR [--source SYSTEM] [--target-settings FILE] [--json]
      run two versions of the mapping set (git revisions or folders; --to defaults to the working
      folder) over a corpus of stored events and report, per document, the fields that change
`;

/**
 * Wire schemas of the targets Puente ships, by system name. connectors/index.ts builds targets only
 * from configuration; a target type that also offers `wireSchema(kind)` there is used as is, and
 * the table below covers those that do not yet.
 */
const WIRE_SCHEMAS: Record<string, Partial<Record<DocumentKind, ZodType>>> = {
  apidian: apidianWireSchemas as Record<ApidianDocumentKind, ZodType>,
};
type TargetTypeWithSchemas = { wireSchema?: (kind: DocumentKind) => ZodType | undefined };
export const knownWireSchema: WireSchemaFor = (system, kind) =>
  (targetTypes[system] as TargetTypeWithSchemas | undefined)?.wireSchema?.(kind) ?? WIRE_SCHEMAS[system]?.[kind];

const MAPPING_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** The loader's rule (src/mapping/registry.ts): these folders hold data beside mappings. */
const SKIPPED_FOLDERS = new Set(['fixtures', 'node_modules']);

async function mappingFilesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) files.push(...(await mappingFilesUnder(full)));
    } else if (entry.isFile() && MAPPING_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
      files.push(full);
    }
  }
  return files;
}

async function requireFolder(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliUsageError(`${what} ${dir} is not a folder`);
}

const short = (value: unknown, max = 70): string => {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

const json = (io: CliIo, value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

// ─── validate ─────────────────────────────────────────────────────────────────────────────────────

export interface ValidationIssue {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  /** The lint code (yaml-syntax, invalid, unknown-lookup, unused-var, … see src/mapping/lint.ts), or conflict. */
  code: string;
  message: string;
}

export interface ValidationReport {
  ok: boolean;
  dir: string;
  files: string[];
  mappings: { id: string; revision: number; contentHash: string; file: string }[];
  issues: ValidationIssue[];
  errors: number;
  warnings: number;
}

function conflictIssue(issue: MappingIssue): ValidationIssue {
  return { file: issue.file, line: issue.line, column: issue.column, severity: 'error', code: 'conflict', message: issue.message };
}

/**
 * Lints and loads every file on its own, so one broken file never hides another's problems; then
 * checks the files against each other (ids, two mappings for one job).
 */
async function inspectSet(dir: string): Promise<{ files: string[]; compiled: CompiledMapping[]; issues: ValidationIssue[] }> {
  const files = await mappingFilesUnder(dir);
  const compiled: CompiledMapping[] = [];
  const issues: ValidationIssue[] = [];
  for (const file of files) {
    // Every finding of the file: YAML, schema, compile and lint, errors and warnings.
    const findings: ValidationIssue[] = lintMapping(await readFile(file), file);
    issues.push(...findings);
    if (findings.some((finding) => finding.severity === 'error')) continue;
    try {
      // Loading also runs expressions on the golden inputs, to catch ones that break their limits.
      compiled.push(await loadMappingFile(file));
    } catch (error) {
      if (!(error instanceof MappingLoadError)) throw error;
      issues.push(...error.findings.filter((finding) => !findings.some((f) => f.line === finding.line && f.column === finding.column && f.code === finding.code)));
    }
  }
  try {
    new MappingRegistry(compiled);
  } catch (error) {
    if (!(error instanceof MappingLoadError)) throw error;
    issues.push(...error.issues.map(conflictIssue));
  }
  return { files, compiled, issues };
}

export async function validateMappingSet(dir: string): Promise<ValidationReport> {
  const { files, compiled, issues } = await inspectSet(dir);
  issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  const errors = issues.filter((i) => i.severity === 'error').length;
  return {
    ok: errors === 0,
    dir,
    files,
    mappings: compiled.map((m) => ({ id: m.id, revision: m.revision, contentHash: m.contentHash, file: m.file })),
    issues,
    errors,
    warnings: issues.length - errors,
  };
}

async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { json: { type: 'boolean' }, strict: { type: 'boolean' } });
  if (positionals.length > 1) throw new CliUsageError('validate takes one folder');
  const dir = positionals[0] ? path.resolve(io.cwd, positionals[0]) : defaultMappingsDir(io);
  await requireFolder(dir, 'the mappings folder');
  const report = await validateMappingSet(dir);
  const failed = report.errors > 0 || (values.strict === true && report.warnings > 0);
  if (values.json) {
    json(io, { ...report, ok: !failed });
    return failed ? EXIT_FAILURE : EXIT_OK;
  }
  for (const issue of report.issues) {
    io.stdout.write(`${shown(io, issue.file)}:${issue.line}:${issue.column}: ${issue.severity} [${issue.code}] ${issue.message}\n`);
  }
  const broken = new Set(report.issues.filter((i) => i.severity === 'error').map((i) => i.file)).size;
  if (report.files.length === 0) {
    io.stdout.write(`no mapping files (*.yaml, *.yml, *.json) under ${shown(io, dir)}\n`);
    return EXIT_FAILURE;
  }
  if (failed) {
    io.stdout.write(
      `\n✗ ${report.errors} error${report.errors === 1 ? '' : 's'}${report.warnings ? `, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}` : ''} in ${broken || report.files.length} of ${report.files.length} mapping files\n`,
    );
    return EXIT_FAILURE;
  }
  io.stdout.write(
    `✓ ${report.mappings.length} mapping${report.mappings.length === 1 ? '' : 's'} valid in ${shown(io, dir)}${report.warnings ? ` (${report.warnings} warning${report.warnings === 1 ? '' : 's'})` : ''}: ` +
      `${report.mappings.map((m) => `${m.id}@${m.revision}`).join(', ')}\n`,
  );
  return EXIT_OK;
}

// ─── test ─────────────────────────────────────────────────────────────────────────────────────────

/** One difference as `path: expected → actual`. */
export function formatChange(difference: GoldenDifference, labels: { expected: string; actual: string } = { expected: 'expected', actual: 'actual' }): string {
  const where = difference.path || '(document)';
  switch (difference.kind) {
    case 'missing':
      return `${where}: ${short(difference.expected)} → (missing)`;
    case 'extra':
      return `${where}: (not ${labels.expected}) → ${short(difference.actual)}`;
    case 'changed':
      return `${where}: ${short(difference.expected)} → ${short(difference.actual)}`;
  }
}

export interface MappingTestReport {
  ok: boolean;
  dir: string;
  passed: number;
  failed: number;
  /** Problems that kept mappings from loading at all. */
  loadIssues: ValidationIssue[];
  mappings: { id: string; revision: number; file: string; results: Omit<GoldenResult, 'output'>[] }[];
}

export async function testMappingSet(dir: string, wireSchemaFor: WireSchemaFor = knownWireSchema): Promise<MappingTestReport> {
  const inspected = await inspectSet(dir);
  const { compiled } = inspected;
  const issues = inspected.issues.filter((issue) => issue.severity === 'error');
  const mappings: MappingTestReport['mappings'] = [];
  let passed = 0;
  let failed = 0;
  for (const mapping of compiled) {
    const validate = outputValidator(mapping, wireSchemaFor);
    const results = await runGoldenTests(mapping, validate ? { validate } : {});
    for (const result of results) result.passed ? passed++ : failed++;
    mappings.push({ id: mapping.id, revision: mapping.revision, file: mapping.file, results: results.map(({ output: _output, ...rest }) => rest) });
  }
  return { ok: failed === 0 && issues.length === 0, dir, passed, failed, loadIssues: issues, mappings };
}

async function testCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { json: { type: 'boolean' } });
  if (positionals.length > 1) throw new CliUsageError('test takes one folder');
  const dir = positionals[0] ? path.resolve(io.cwd, positionals[0]) : defaultMappingsDir(io);
  await requireFolder(dir, 'the mappings folder');
  const report = await testMappingSet(dir);
  if (values.json) {
    json(io, report);
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  }
  for (const issue of report.loadIssues) {
    io.stdout.write(`${shown(io, issue.file)}:${issue.line}:${issue.column}: error [${issue.code}] ${issue.message}\n`);
  }
  if (report.loadIssues.length) io.stdout.write('(mappings that do not load have no golden tests run; fix them first — see `puente mappings validate`)\n\n');
  for (const mapping of report.mappings) {
    io.stdout.write(`${mapping.id}@${mapping.revision}  ${shown(io, mapping.file)}\n`);
    if (mapping.results.length === 0) io.stdout.write('  (no golden tests: add tests: [{ input, expect }] beside the mapping)\n');
    for (const result of mapping.results) {
      io.stdout.write(`  ${result.passed ? 'ok  ' : 'FAIL'}  ${result.description ?? shown(io, result.input)}\n`);
      if (result.passed) continue;
      if (result.error) io.stdout.write(`        error: ${result.error}\n`);
      for (const difference of result.differences) io.stdout.write(`        ${formatChange(difference)}\n`);
      for (const problem of result.problems) io.stdout.write(`        invalid output: ${problem}\n`);
    }
  }
  io.stdout.write(
    `\n${report.ok ? '✓' : '✗'} ${report.passed} passed, ${report.failed} failed` +
      `${report.loadIssues.length ? `, ${report.loadIssues.length} load error${report.loadIssues.length === 1 ? '' : 's'}` : ''}` +
      `  (each line: field: expected → actual)\n`,
  );
  return report.ok ? EXIT_OK : EXIT_FAILURE;
}

// ─── preview ──────────────────────────────────────────────────────────────────────────────────────

export interface PreviewReport {
  ok: boolean;
  mapping: { id: string; revision: number; contentHash: string; file: string };
  input: string;
  output?: unknown;
  /** The mapping threw (MappingError: field path and reason). */
  error?: string;
  validation?: ContractCheck;
  trace: { fields: FieldTrace[]; vars: FieldTrace[] };
}

/** A mapping given as a file, or as an id in the default mappings folder. */
async function resolveMapping(io: CliIo, given: string): Promise<{ mapping: CompiledMapping; text: string }> {
  const file = path.resolve(io.cwd, given);
  const info = await stat(file).catch(() => undefined);
  if (info?.isFile()) {
    // Loaded as the server loads it (expression limits are probed on the golden inputs too).
    const mapping = await loadMappingFile(file);
    return { mapping, text: await readFile(file, 'utf8') };
  }
  const dir = defaultMappingsDir(io);
  const registry = await loadMappingDirectory(dir).catch((error: unknown) => {
    if (error instanceof MappingLoadError) throw error;
    throw new CliUsageError(`${given} is neither a mapping file nor a mapping id in ${shown(io, dir)}`);
  });
  const mapping = registry.byId(given);
  if (!mapping) throw new CliUsageError(`${given} is neither a mapping file nor a mapping id in ${shown(io, dir)} (ids: ${registry.all.map((m) => m.id).join(', ')})`);
  return { mapping, text: await readFile(mapping.file, 'utf8') };
}

/** A stored event becomes the stage-1 input the pipeline would give; anything else is the input. */
async function previewInput(mapping: CompiledMapping, file: string, countryOf: (source: string) => string | undefined): Promise<unknown> {
  const value: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (mapping.source.system === 'fiscal-document' || !asStoredEvent(value)) return value;
  const item = corpusItemFor(file, value, { defaultSystem: mapping.source.system, countryOf });
  if ('reason' in item) throw new CliUsageError(`${path.basename(file)}: ${item.reason}`);
  return item.input;
}

export async function previewMapping(io: CliIo, mappingArg: string, inputArg: string, wireSchemaFor: WireSchemaFor = knownWireSchema): Promise<PreviewReport> {
  const { mapping, text } = await resolveMapping(io, mappingArg);
  const inputFile = path.resolve(io.cwd, inputArg);
  let input: unknown;
  try {
    input = await previewInput(mapping, inputFile, connectionCountries(io));
  } catch (error) {
    throw new CliUsageError(`cannot read the input ${inputArg}: ${(error as Error).message}`);
  }
  const traced = await traceMappingRun(() => mapping.run(input));
  const trace = explainTrace(traced.records, text);
  const base = {
    mapping: { id: mapping.id, revision: mapping.revision, contentHash: mapping.contentHash, file: mapping.file },
    input: inputFile,
    trace,
  };
  if (traced.error !== undefined) return { ...base, ok: false, error: (traced.error as Error).message ?? String(traced.error) };
  const output: unknown = JSON.parse(JSON.stringify(traced.result));
  const validation = checkOutput(mapping, output, wireSchemaFor);
  return { ...base, ok: !validation || validation.problems.length === 0, output, ...(validation ? { validation } : {}) };
}

function traceLine(io: CliIo, entry: FieldTrace, width: number, file: string): string {
  const how =
    entry.via === 'default' ? `default (${entry.origin} gave nothing)` : entry.via === 'when-false' ? `default (when was false; ${entry.origin} not used)` : entry.origin;
  const lookup = entry.lookup ? ` [key ${short(entry.lookup.key, 30)}${entry.lookup.hit === undefined ? '' : entry.lookup.hit ? ', entry' : ', not an entry: onMissing'}]` : '';
  const where = entry.line === undefined ? '' : `  ${shown(io, file)}:${entry.line}:${entry.column}`;
  return `  ${entry.field.padEnd(width)}  ${short(entry.value, 40).padEnd(24)}  ← ${how}${lookup}${where}\n`;
}

async function previewCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { json: { type: 'boolean' } });
  if (positionals.length !== 2) throw new CliUsageError('preview needs MAPPING (file or id) and INPUT (a JSON file)');
  const report = await previewMapping(io, positionals[0]!, positionals[1]!);
  if (values.json) {
    json(io, report);
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  }
  const { mapping } = report;
  io.stdout.write(`preview of ${mapping.id}@${mapping.revision} (${shown(io, mapping.file)}) on ${shown(io, report.input)}\n\n`);
  if (report.error !== undefined) {
    io.stdout.write(`✗ the mapping stops: ${report.error}\n`);
  } else {
    io.stdout.write(`output\n${JSON.stringify(report.output, null, 2).replace(/^/gm, '  ')}\n\n`);
    if (!report.validation) io.stdout.write(`validation: no contract known for target ${report.mapping.id}'s system; output not checked\n`);
    else if (report.validation.problems.length === 0) {
      const totals = report.validation.computed?.totals;
      io.stdout.write(`✓ valid against ${report.validation.contract}${totals ? ` (payable ${totals.payableAmount} ${report.validation.computed!.currency})` : ''}\n`);
    } else {
      io.stdout.write(`✗ not valid against ${report.validation.contract}:\n${report.validation.problems.map((p) => `  ${p}\n`).join('')}`);
    }
  }
  const entries = [...report.trace.vars, ...report.trace.fields];
  const width = Math.min(48, Math.max(5, ...entries.map((e) => e.field.length)));
  if (report.trace.vars.length) {
    io.stdout.write('\nvars\n');
    for (const entry of report.trace.vars) io.stdout.write(traceLine(io, entry, width, mapping.file));
  }
  io.stdout.write(`\ntrace (field  value  ← what produced it  where)${report.error !== undefined ? ', up to where the mapping stopped' : ''}\n`);
  for (const entry of report.trace.fields) io.stdout.write(traceLine(io, entry, width, mapping.file));
  return report.ok ? EXIT_OK : EXIT_FAILURE;
}

// ─── diff ─────────────────────────────────────────────────────────────────────────────────────────

const git = promisify(execFile);

/**
 * A folder as is; otherwise a git revision, whose copy of the mappings folder is written to a temp
 * folder with read-only git commands (ls-tree, show). Returns the folder and how to clean it up.
 */
async function mappingsAt(io: CliIo, given: string, mappingsDir: string): Promise<{ dir: string; label: string; cleanup: () => Promise<void> }> {
  const asFolder = path.resolve(io.cwd, given);
  if ((await stat(asFolder).catch(() => undefined))?.isDirectory()) return { dir: asFolder, label: shown(io, asFolder), cleanup: async () => undefined };
  const run = (gitArgs: string[]) => git('git', gitArgs, { cwd: io.cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' });
  let top: string;
  try {
    top = (await run(['rev-parse', '--show-toplevel'])).stdout.toString('utf8').trim();
    await run(['rev-parse', '--verify', '--quiet', `${given}^{commit}`]);
  } catch {
    throw new CliUsageError(`${given} is neither a folder nor a git revision of the repository here`);
  }
  const inRepo = path.relative(top, mappingsDir).split(path.sep).join('/');
  if (inRepo.startsWith('..')) throw new CliUsageError(`the mappings folder ${mappingsDir} is not inside the git repository ${top}`);
  const listing = (await run(['ls-tree', '-r', '-z', '--name-only', given, '--', `${inRepo}/`])).stdout.toString('utf8');
  const files = listing.split('\0').filter(Boolean);
  if (files.length === 0) throw new CliUsageError(`revision ${given} has no ${inRepo}/ folder`);
  const root = await mkdtemp(path.join(tmpdir(), 'puente-mappings-'));
  for (const file of files) {
    const target = path.join(root, ...file.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, (await run(['show', `${given}:${file}`])).stdout);
  }
  return { dir: path.join(root, ...inRepo.split('/')), label: given, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface SetDiffReport {
  ok: boolean;
  from: string;
  to: string;
  corpus: string;
  documents: DocumentDiff[];
  skipped: SkippedCorpusFile[];
  changed: number;
  unchanged: number;
}

async function loadSet(label: string, dir: string): Promise<MappingSet> {
  try {
    return await loadMappingDirectory(dir);
  } catch (error) {
    if (error instanceof MappingLoadError) throw new SetLoadFailure(label, error);
    throw error;
  }
}

class SetLoadFailure extends Error {
  constructor(
    readonly label: string,
    readonly loadError: MappingLoadError,
  ) {
    super(`the mappings of ${label} do not load:\n${loadError.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
  }
}

async function diffCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    json: { type: 'boolean' },
    from: { type: 'string' },
    to: { type: 'string' },
    corpus: { type: 'string' },
    source: { type: 'string', default: 'shopify' },
    'target-settings': { type: 'string' },
  });
  if (positionals.length > 0) throw new CliUsageError(`diff takes options only, not ${positionals.join(' ')}`);
  if (!values.from) throw new CliUsageError('diff needs --from REV_OR_DIR');
  if (!values.corpus) throw new CliUsageError('diff needs --corpus DIR (a folder of stored events as JSON files)');
  const corpus = path.resolve(io.cwd, values.corpus);
  await requireFolder(corpus, 'the corpus');
  let targetSettings: Record<string, unknown> | undefined;
  if (values['target-settings']) {
    try {
      targetSettings = JSON.parse(await readFile(path.resolve(io.cwd, values['target-settings']), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new CliUsageError(`--target-settings must be a JSON file like { "apidian": { "resolutionNumber": "…" } }: ${(error as Error).message}`);
    }
  }
  const mappingsDir = defaultMappingsDir(io);
  const from = await mappingsAt(io, values.from, mappingsDir);
  const to = values.to ? await mappingsAt(io, values.to, mappingsDir) : { dir: mappingsDir, label: shown(io, mappingsDir), cleanup: async () => undefined };
  try {
    let sets: [MappingSet, MappingSet];
    try {
      sets = [await loadSet(from.label, from.dir), await loadSet(to.label, to.dir)];
    } catch (error) {
      if (!(error instanceof SetLoadFailure)) throw error;
      if (values.json) json(io, { ok: false, error: error.message, issues: error.loadError.issues });
      else io.stderr.write(`puente: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    const { items, skipped } = await readCorpus(corpus, { defaultSystem: values.source!, countryOf: connectionCountries(io) });
    const documents = await diffMappingSets(sets[0], sets[1], items, targetSettings ? { targetSettings } : {});
    const changed = documents.filter((d) => d.changed).length;
    const unreadable = skipped.filter((s) => s.reason.startsWith('not readable'));
    const report: SetDiffReport = {
      ok: unreadable.length === 0,
      from: from.label,
      to: to.label,
      corpus,
      documents,
      skipped,
      changed,
      unchanged: documents.length - changed,
    };
    if (values.json) json(io, report);
    else printSetDiff(io, report);
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await from.cleanup();
    await to.cleanup();
  }
}

function printSetDiff(io: CliIo, report: SetDiffReport): void {
  io.stdout.write(`mappings ${report.from} → ${report.to} over ${shown(io, report.corpus)}\n\n`);
  const labels = { expected: 'in from', actual: 'to' };
  for (const document of report.documents) {
    io.stdout.write(`${shown(io, document.file)}  ${document.document ?? ''}  ${document.changed ? 'CHANGED' : 'unchanged'}\n`);
    for (const stage of document.stages) {
      // Same revision, different bytes: someone forgot to raise the revision; the hash tells them apart.
      const sameRevision = stage.from.mapping?.revision === stage.to.mapping?.revision && stage.from.mapping?.contentHash !== stage.to.mapping?.contentHash;
      const version = (run: { mapping?: { id: string; revision: number; contentHash: string } }) =>
        run.mapping ? `${run.mapping.id}@${run.mapping.revision}${sameRevision ? `#${run.mapping.contentHash.slice(0, 8)}` : ''}` : 'none';
      if (stage.status === 'unchanged') {
        if (stage.from.error) io.stdout.write(`  ${stage.stage}: fails in both: ${stage.from.error}\n`);
        continue;
      }
      io.stdout.write(`  ${stage.stage} (${version(stage.from)} → ${version(stage.to)})\n`);
      if (stage.from.error !== stage.to.error) {
        io.stdout.write(`    from: ${stage.from.error ? `fails: ${stage.from.error}` : 'maps'}\n    to:   ${stage.to.error ? `fails: ${stage.to.error}` : 'maps'}\n`);
      }
      for (const change of stage.changes) io.stdout.write(`    ${formatChange(change, labels)}\n`);
    }
  }
  for (const skip of report.skipped) io.stdout.write(`${shown(io, skip.file)}  skipped: ${skip.reason}\n`);
  io.stdout.write(
    `\n${report.documents.length} document${report.documents.length === 1 ? '' : 's'}: ${report.changed} changed, ${report.unchanged} unchanged` +
      `${report.skipped.length ? `; ${report.skipped.length} file${report.skipped.length === 1 ? '' : 's'} skipped` : ''}  (each line: field: from → to)\n`,
  );
}

// ─── entry ────────────────────────────────────────────────────────────────────────────────────────

const SUBCOMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  validate: validateCommand,
  test: testCommand,
  preview: previewCommand,
  diff: diffCommand,
};

/** `puente mappings SUBCOMMAND …`; returns the exit code. */
export async function runMappingsCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout).write(MAPPINGS_USAGE);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = SUBCOMMANDS[name];
  try {
    if (!command) throw new CliUsageError(`unknown mappings command "${name}"; use validate, test, preview or diff`);
    return await command(rest, io);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr.write(`puente mappings: ${error.message}\n\n${MAPPINGS_USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof MappingLoadError) {
      io.stderr.write(`puente mappings: ${error.issues.map((i) => formatIssue({ ...i, file: shown(io, i.file) })).join('\n')}\n`);
      return EXIT_FAILURE;
    }
    io.stderr.write(`puente mappings: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}
