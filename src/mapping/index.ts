/** The mapping engine's public surface. */
export { API_VERSION, MappingFile, FISCAL_DOCUMENT_SYSTEM, type AsType } from './format.js';
export {
  MappingLoadError,
  analyzeMappingText,
  compileMappingText,
  formatIssue,
  loadMappingFile,
  type CompiledMapping,
  type MappingAnalysis,
  type MappingIssue,
  type MappingProvenance,
} from './loader.js';
export { lintMapping, type LintIssue, type LintSeverity } from './lint.js';
export { ExpressionError, runTimeOf } from './compile.js';
export { EXPRESSION_LIMITS } from './expression.js';
export { MappingRegistry, loadMappingDirectory, type MappingSelector } from './registry.js';
export { loadMappingCatalog } from './catalog.js';
export {
  diffJson,
  formatDifference,
  formatGoldenResult,
  runGoldenTests,
  type GoldenDifference,
  type GoldenOptions,
  type GoldenResult,
} from './golden.js';
export { compilePath, PathSyntaxError } from './path.js';
