/**
 * The pipeline's view of the mapping engine (src/pipeline/mapping-port.ts): a folder of mappings,
 * loaded, compiled and checked together, answering "which mapping for this stage".
 */
import type { MappingCatalog } from '../pipeline/mapping-port.js';
import { loadMappingDirectory, type MappingRegistry } from './registry.js';

/** Loads every mapping under `dir`; throws MappingLoadError listing every problem of every file. */
export async function loadMappingCatalog(dir: string): Promise<MappingRegistry & MappingCatalog> {
  const registry: MappingRegistry & MappingCatalog = await loadMappingDirectory(dir);
  return registry;
}
