/**
 * Hot reload: the running server watches the mappings folder. After a burst of changes settles, the
 * whole set is loaded, compiled, linted and its golden tests run; only a set that passes everything
 * replaces the live one, in a single assignment, so a document is never mapped by half a set. On any
 * failure the previous set stays live and the failure is kept for the admin API.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { MappingCatalog } from '../pipeline/mapping-port.js';
import { loadMappingCatalog } from './catalog.js';
import { runGoldenTests, type GoldenResult } from './golden.js';
import { MappingLoadError, type CompiledMapping } from './loader.js';
import type { MappingRegistry } from './registry.js';

export type LiveCatalog = MappingRegistry & MappingCatalog;

export interface MappingSetIssue {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface MappingReloadResult {
  ok: boolean;
  /** ISO instant the reload finished. */
  at: string;
  trigger: 'start' | 'change' | 'manual';
  /** Every problem found; empty when ok. */
  errors: MappingSetIssue[];
  /** Lint warnings of the set that is live (unused vars, unreachable conditions, …); they do not block. */
  warnings: MappingSetIssue[];
  /** Fingerprint of the set that is live after this reload. */
  setHash: string;
}

export interface ActiveMapping {
  id: string;
  revision: number;
  contentHash: string;
  file: string;
  description: string | undefined;
  source: CompiledMapping['source'];
  target: CompiledMapping['target'];
}

/** Checks a compiled set beyond compiling it; returns the problems found (empty when fine). */
export type MappingSetCheck = (mappings: readonly CompiledMapping[]) => Promise<MappingSetIssue[]> | MappingSetIssue[];

export interface LiveMappingsOptions {
  dir: string;
  log: Logger;
  /** Quiet time after the last change before reloading. Editors write a file in several steps. */
  debounceMs?: number;
  /** Extra output checks for golden tests (the target's wire schema, FiscalDocumentDraft). */
  validatorFor?: (mapping: CompiledMapping) => ((output: unknown) => string[]) | undefined;
  /** Lint, or any other check a set must pass before it goes live. */
  checks?: MappingSetCheck[];
  clock?: () => Date;
}

/** The set a server starts with failed its checks; there is no previous set to keep. */
export class MappingSetRejectedError extends Error {
  constructor(
    readonly dir: string,
    readonly issues: MappingSetIssue[],
  ) {
    super(`the mappings in ${dir} cannot be used:\n${issues.map((issue) => `  ${formatSetIssue(issue)}`).join('\n')}`);
    this.name = 'MappingSetRejectedError';
  }
}

export function formatSetIssue(issue: MappingSetIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return `${where}: ${issue.message}`;
}

const WATCHED_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function warningsOf(catalog: LiveCatalog): MappingSetIssue[] {
  return catalog.all.flatMap((m) => m.warnings.map(({ file, line, column, code, message }) => ({ file, line, column, message: `[${code}] ${message}` })));
}

export function setHashOf(mappings: readonly CompiledMapping[]): string {
  const lines = mappings.map((m) => `${m.id}@${m.revision}:${m.contentHash}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/**
 * Golden failures name fields and kinds of difference, never the values: fixtures may hold whatever
 * an admin copied from a real order, and these messages reach logs.
 */
function goldenIssue(mapping: CompiledMapping, result: GoldenResult): MappingSetIssue {
  const name = result.description ?? path.basename(result.input);
  const parts = [
    ...(result.error ? [`the mapping failed: ${result.error}`] : []),
    ...result.differences.slice(0, 10).map((d) => `${d.path || '(document)'} ${d.kind}`),
    ...(result.differences.length > 10 ? [`and ${result.differences.length - 10} more differences`] : []),
    ...result.problems.slice(0, 5).map((p) => `invalid output: ${p}`),
  ];
  return { file: mapping.file, message: `golden test "${name}" of ${mapping.id} fails: ${parts.join('; ')} — run \`puente mappings test\` to see the diff` };
}

export class LiveMappings {
  private active: { catalog: LiveCatalog; setHash: string };
  private last: MappingReloadResult;
  private running: Promise<MappingReloadResult> | undefined;
  private rerun: Promise<MappingReloadResult> | undefined;
  private watchers: FSWatcher[] = [];
  /** Folders watched one by one, where recursive watching is not available. */
  private watchedFolders: Set<string> | undefined;
  private onChange: ((event: string, filename: string | Buffer | null) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly clock: () => Date;

  private constructor(
    private readonly options: LiveMappingsOptions,
    catalog: LiveCatalog,
  ) {
    this.clock = options.clock ?? (() => new Date());
    const setHash = setHashOf(catalog.all);
    this.active = { catalog, setHash };
    this.last = { ok: true, at: this.clock().toISOString(), trigger: 'start', errors: [], warnings: warningsOf(catalog), setHash };
  }

  /**
   * Loads and checks the set in `dir`. Throws MappingSetRejectedError when it fails: a server must
   * not start on mappings that do not pass their own tests.
   */
  static async open(options: LiveMappingsOptions): Promise<LiveMappings> {
    const attempt = await checkedSet(options);
    if ('issues' in attempt) throw new MappingSetRejectedError(options.dir, attempt.issues);
    return new LiveMappings(options, attempt.catalog);
  }

  /** The live set. Read it once per document so one document never mixes two sets. */
  get current(): LiveCatalog {
    return this.active.catalog;
  }

  get lastReload(): MappingReloadResult {
    return this.last;
  }

  get dir(): string {
    return this.options.dir;
  }

  list(): ActiveMapping[] {
    return this.active.catalog.all.map((m) => ({
      id: m.id,
      revision: m.revision,
      contentHash: m.contentHash,
      file: path.relative(this.options.dir, m.file) || m.file,
      description: m.description,
      source: m.source,
      target: m.target,
    }));
  }

  /** Reloads now; a reload asked for while one runs happens once more after it, never beside it. */
  reload(trigger: MappingReloadResult['trigger'] = 'manual'): Promise<MappingReloadResult> {
    if (this.running) {
      this.rerun ??= this.running.then(() => {
        this.rerun = undefined;
        return this.reload(trigger);
      });
      return this.rerun;
    }
    this.running = this.reloadOnce(trigger).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async reloadOnce(trigger: MappingReloadResult['trigger']): Promise<MappingReloadResult> {
    const { log, dir } = this.options;
    let attempt: Awaited<ReturnType<typeof checkedSet>>;
    try {
      attempt = await checkedSet(this.options);
    } catch (error) {
      attempt = { issues: [{ file: dir, message: `cannot read the mappings: ${(error as Error).message}` }] };
    }
    const at = this.clock().toISOString();
    if ('issues' in attempt) {
      this.last = { ok: false, at, trigger, errors: attempt.issues, warnings: warningsOf(this.active.catalog), setHash: this.active.setHash };
      log.error(
        { dir, problems: attempt.issues.length, first: attempt.issues.slice(0, 5).map(formatSetIssue) },
        'mapping reload failed; the previous mappings stay active',
      );
      return this.last;
    }
    const setHash = setHashOf(attempt.catalog.all);
    const before = new Map(this.active.catalog.all.map((m) => [m.id, m]));
    const changed = attempt.catalog.all.filter((m) => before.get(m.id)?.contentHash !== m.contentHash).map((m) => `${m.id}@${m.revision}`);
    const removed = [...before.keys()].filter((id) => !attempt.catalog.byId(id));
    this.active = { catalog: attempt.catalog, setHash };
    this.last = { ok: true, at, trigger, errors: [], warnings: warningsOf(attempt.catalog), setHash };
    log.info({ dir, mappings: attempt.catalog.all.length, changed, removed }, 'mappings reloaded');
    return this.last;
  }

  /** Starts watching the folder; changes reload the set once they settle. */
  async watch(): Promise<void> {
    if (this.closed || this.watchers.length > 0) return;
    const onChange = (_event: string, filename: string | Buffer | null) => {
      const name = filename === null ? '' : String(filename);
      // Editor swap and backup files are not mappings; a folder event (no extension) may hide a rename.
      const ext = path.extname(name).toLowerCase();
      if (name !== '' && ext !== '' && !WATCHED_EXTENSIONS.has(ext)) return;
      this.schedule();
    };
    this.onChange = onChange;
    try {
      this.watchers.push(this.watchOne(this.options.dir, onChange, true));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') throw error;
      // No recursive watching here: watch every folder, and pick up new ones after each reload.
      this.watchedFolders = new Set();
      await this.watchNewFolders();
    }
  }

  private async watchNewFolders(): Promise<void> {
    if (!this.watchedFolders || !this.onChange || this.closed) return;
    for (const folder of await foldersUnder(this.options.dir).catch(() => [])) {
      if (this.watchedFolders.has(folder)) continue;
      this.watchedFolders.add(folder);
      this.watchers.push(this.watchOne(folder, this.onChange, false));
    }
  }

  private watchOne(folder: string, onChange: (event: string, filename: string | Buffer | null) => void, recursive: boolean): FSWatcher {
    const watcher = watch(folder, { recursive, persistent: false }, onChange);
    watcher.on('error', (error) => {
      this.options.log.error({ dir: folder, err: error.message }, 'cannot watch the mappings folder any more; restart to pick up changes');
    });
    return watcher;
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload('change').then(() => this.watchNewFolders());
    }, this.options.debounceMs ?? 300);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    await this.running?.catch(() => undefined);
    await this.rerun?.catch(() => undefined);
  }
}

/** Load + compile, then every check, then golden tests: the set, or every problem found. */
async function checkedSet(options: LiveMappingsOptions): Promise<{ catalog: LiveCatalog } | { issues: MappingSetIssue[] }> {
  let catalog: LiveCatalog;
  try {
    catalog = await loadMappingCatalog(options.dir);
  } catch (error) {
    if (error instanceof MappingLoadError) return { issues: error.issues };
    throw error;
  }
  const issues: MappingSetIssue[] = [];
  for (const check of options.checks ?? []) issues.push(...(await check(catalog.all)));
  for (const mapping of catalog.all) {
    const validate = options.validatorFor?.(mapping);
    const results = await runGoldenTests(mapping, validate ? { validate } : {});
    for (const result of results) if (!result.passed) issues.push(goldenIssue(mapping, result));
  }
  return issues.length > 0 ? { issues } : { catalog };
}

async function foldersUnder(dir: string): Promise<string[]> {
  const folders = [dir];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.startsWith('.')) folders.push(...(await foldersUnder(path.join(dir, entry.name))));
  }
  return folders;
}
