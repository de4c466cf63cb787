/**
 * All mappings of a folder, loaded and compiled together, and the way the pipeline finds the one it
 * needs: stage 1 by source system + event (+ document kind), stage 2 by target system + document kind.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SourceEventKind } from '../connector.js';
import type { DocumentKind } from '../domain/fiscal-document.js';
import { MappingLoadError, loadMappingFile, type CompiledMapping, type MappingIssue } from './loader.js';

export { runGoldenTests, diffJson, formatGoldenResult, type GoldenResult, type GoldenDifference } from './golden.js';

export interface MappingSelector {
  source?: { system: string; event?: SourceEventKind };
  target?: { system: string; document?: DocumentKind };
}

const MAPPING_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** Folders that hold data next to mappings, not mappings. */
const SKIPPED_FOLDERS = new Set(['fixtures', 'node_modules']);

/** What makes two mappings compete for the same job. */
function jobsOf(mapping: CompiledMapping): string[] {
  const target = `${mapping.target.system} ${mapping.target.document}`;
  const events = mapping.source.events ?? ['(any event)'];
  return events.map((event) => `${mapping.source.system} ${event} → ${target}`);
}

export class MappingRegistry {
  private readonly byIdMap = new Map<string, CompiledMapping>();

  /** Throws MappingLoadError when two mappings share an id or would both handle the same job. */
  constructor(mappings: readonly CompiledMapping[]) {
    const issues: MappingIssue[] = [];
    const jobs = new Map<string, CompiledMapping>();
    for (const mapping of mappings) {
      const twin = this.byIdMap.get(mapping.id);
      if (twin) {
        issues.push({ file: mapping.file, line: 1, column: 1, message: `mapping id ${mapping.id} is already used by ${twin.file} — give one of them another metadata.id` });
        continue;
      }
      this.byIdMap.set(mapping.id, mapping);
      for (const job of jobsOf(mapping)) {
        const rival = jobs.get(job);
        if (rival) {
          issues.push({ file: mapping.file, line: 1, column: 1, message: `mappings ${rival.id} (${rival.file}) and ${mapping.id} both handle ${job} — keep one` });
        } else jobs.set(job, mapping);
      }
    }
    if (issues.length > 0) throw new MappingLoadError(issues);
  }

  get all(): CompiledMapping[] {
    return [...this.byIdMap.values()];
  }

  byId(id: string): CompiledMapping | undefined {
    return this.byIdMap.get(id);
  }

  /**
   * The one mapping matching every given criterion, or undefined. Throws when several match, which can
   * only happen with a partial selector (the constructor refuses mappings that share a full job).
   */
  select(selector: MappingSelector): CompiledMapping | undefined {
    const { source, target } = selector;
    const found = this.all.filter(
      (mapping) =>
        (!source ||
          (mapping.source.system === source.system &&
            (source.event === undefined || (mapping.source.events?.includes(source.event) ?? false)))) &&
        (!target ||
          (mapping.target.system === target.system && (target.document === undefined || mapping.target.document === target.document))),
    );
    if (found.length > 1) {
      throw new Error(`several mappings match ${JSON.stringify(selector)}: ${found.map((m) => m.id).join(', ')} — say which document kind`);
    }
    return found[0];
  }

  /** Stage 1 (pipeline MappingCatalog): source event → FiscalDocumentDraft of the given kind. */
  forSource(system: string, event: SourceEventKind, document: DocumentKind): CompiledMapping | undefined {
    return this.select({ source: { system, event }, target: { system: 'fiscal-document', document } });
  }

  /** Stage 2 (pipeline MappingCatalog): FiscalDocument → a target's wire document. */
  forTarget(system: string, document: DocumentKind): CompiledMapping | undefined {
    return this.select({ source: { system: 'fiscal-document' }, target: { system, document } });
  }
}

async function mappingFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
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

/**
 * Loads every *.yaml, *.yml and *.json file under `dir` (subfolders included, `fixtures/` folders
 * skipped). Problems of all files are reported together in one MappingLoadError.
 */
export async function loadMappingDirectory(dir: string): Promise<MappingRegistry> {
  const files = await mappingFilesUnder(dir);
  const mappings: CompiledMapping[] = [];
  const issues: MappingIssue[] = [];
  for (const file of files) {
    try {
      mappings.push(await loadMappingFile(file));
    } catch (error) {
      if (error instanceof MappingLoadError) issues.push(...error.issues);
      else throw error;
    }
  }
  if (issues.length > 0) throw new MappingLoadError(issues);
  return new MappingRegistry(mappings);
}
