/**
 * `npm run bench`: measures mapping throughput and webhook ingest (Puente against a bare HMAC
 * server, then Puente at a fixed rate), prints a summary and rewrites the Results section of
 * BENCHMARKS.md. Everything runs on 127.0.0.1 and stops by itself in about a minute and a half.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchIngest, type IngestSettings } from './ingest.js';
import { benchMapping, type MappingSettings } from './mapping.js';
import { runMappingLanguageBench } from './mapping-languages.js';
import { renderSummary, verdictsOf, writeBenchmarksFile, type BenchResults } from './report.js';
import { benchStoreGrowth, renderStoreGrowth, STORE_GROWTH, writeStoreGrowthSection } from './store-growth.js';

const BENCHMARKS_FILE = path.resolve(import.meta.dirname, '../BENCHMARKS.md');
/** If anything hangs, give up rather than run forever. */
const WATCHDOG_MS = 12 * 60_000;

const INGEST: IngestSettings = {
  concurrency: 32,
  closedWarmupMs: 2_000,
  closedDurationMs: 8_000,
  diagnosticDurationMs: 5_000,
  openRatePerSecond: 500,
  openWarmupMs: 2_000,
  openDurationMs: 10_000,
  distinctOrders: 2_000,
};

const MAPPING: MappingSettings = { warmupMs: 1_000, samples: 5, sampleMs: 600 };

/** The filesystem the store's temp directory lives on: fsync costs nothing on tmpfs, so it matters. */
function filesystemOf(dir: string): string {
  try {
    const lines = execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n');
    const [device, type] = lines[lines.length - 1]!.split(/\s+/);
    return `${type} (${device}, ${dir})`;
  } catch {
    return `unknown filesystem (${dir})`;
  }
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 1000} s; giving up.`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAverageBefore = os.loadavg();
  const progress = (line: string) => console.log(`bench: ${line}`);

  progress('mapping a 20-line order…');
  const mapping = await benchMapping(MAPPING);
  progress('the same order as hand-written TypeScript, one JSONata expression and the compiled mapping file…');
  const languages = await runMappingLanguageBench();
  const ingest = await benchIngest(INGEST, progress);
  const storeGrowth = await benchStoreGrowth(STORE_GROWTH, progress);

  const cpus = os.cpus();
  const results: BenchResults = {
    run: {
      startedAt,
      node: process.versions.node,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
      cores: cpus.length,
      memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
      dataFilesystem: filesystemOf(os.tmpdir()),
      loadAverageBefore,
      loadAverageAfter: os.loadavg(),
      wallSeconds: (performance.now() - started) / 1000,
    },
    ingest,
    mapping,
    languagesMarkdown: languages.markdown,
  };

  console.log(`\n${renderSummary(results)}\n`);
  writeBenchmarksFile(BENCHMARKS_FILE, results);
  console.log(`${renderStoreGrowth(storeGrowth)}\n`);
  writeStoreGrowthSection(BENCHMARKS_FILE, storeGrowth);
  const verdicts = verdictsOf(results);
  console.log(`bench: wrote ${path.relative(process.cwd(), BENCHMARKS_FILE) || BENCHMARKS_FILE}`);
  if (!verdicts.ingestShareMet || !verdicts.openLoopP99Met) console.log('bench: a target was missed; see BENCHMARKS.md');
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
