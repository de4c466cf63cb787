/**
 * Mapping throughput on a 20-line Shopify order: the shipped stage-1 mapping alone, and stage 1 +
 * domain totals + the shipped stage-2 APIDIAN mapping — the in-memory work the Preparer does for
 * each invoice (store reads and writes excluded).
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { apidianWireSchemas } from '../connectors/apidian/wire.js';
import { parseShopifyJson } from '../connectors/shopify/payload-json.js';
import {
  SAMPLE_PAID_ORDER,
  SAMPLE_SHOP,
  buildOrder,
  orderFigures,
  toShopifyJson,
  type SampleOrder,
} from '../connectors/shopify/samples/index.js';
import { FiscalDocumentDraft, type FiscalDocument, type FiscalDocumentDraftInput } from '../src/domain/fiscal-document.js';
import { normalizeColombianIdentification } from '../src/domain/identifiers.js';
import { computeDocument } from '../src/domain/totals.js';
import { loadMappingCatalog } from '../src/mapping/catalog.js';
import { median } from './stats.js';

const MAPPINGS_DIR = path.resolve(import.meta.dirname, '../mappings');
const LINES = 20;
/** What a connection hands the stage-2 mapping as `target` (as in the APIDIAN golden fixtures). */
const TARGET_SETTINGS = { resolutionNumber: '18760000001' };

export interface MappingSettings {
  warmupMs: number;
  samples: number;
  sampleMs: number;
}

export interface Throughput {
  name: string;
  /** Median of the samples, documents per second. */
  perSecond: number;
  minPerSecond: number;
  maxPerSecond: number;
  /** Median time per document, microseconds. */
  microsPerDocument: number;
  iterations: number;
}

export interface MappingResults {
  settings: MappingSettings;
  lines: number;
  bodyBytes: number;
  payableAmount: string;
  rows: Throughput[];
}

/** SAMPLE_PAID_ORDER grown to 20 lines (its three products in turn, varying quantities), discount and shipping kept. */
export function twentyLineOrder(): SampleOrder {
  const lines = Array.from({ length: LINES }, (_, i) => {
    const product = SAMPLE_PAID_ORDER.lines[i % SAMPLE_PAID_ORDER.lines.length]!;
    return { ...product, id: 15234567891000n + BigInt(i), quantity: 1 + (i % 4) };
  });
  return { ...SAMPLE_PAID_ORDER, id: 6123456789999n, orderNumber: 1999, lines };
}

/** The buyer's tax id typed and check-digit verified, as the Preparer does for Colombian connections. */
function withIdentification(draft: unknown): FiscalDocumentDraftInput {
  const typed = draft as { buyer?: { identification?: { type?: string; number?: string } } };
  const identification = typed.buyer?.identification;
  if (!identification) return draft as FiscalDocumentDraftInput;
  const normalized = normalizeColombianIdentification(String(identification.number ?? ''), identification.type as never);
  return { ...typed, buyer: { ...typed.buyer, identification: normalized } } as FiscalDocumentDraftInput;
}

function numbered(fiscal: FiscalDocument): FiscalDocument {
  fiscal.series = 'SETP';
  fiscal.number = '990000001';
  return fiscal;
}

interface Workload {
  name: string;
  work: () => unknown;
}

/** Runs `work` for at least `ms`; returns documents per second. */
function sample(work: () => unknown, ms: number): { rate: number; n: number } {
  let sink: unknown;
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  // Check the clock every 8 documents: cheap next to a mapping, fine-grained enough to end on time.
  do {
    for (let i = 0; i < 8; i++) sink = work();
    n += 8;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink === undefined) throw new Error('the measured work produced nothing');
  return { rate: n / (elapsed / 1000), n };
}

/**
 * Warms every workload up, then takes the samples round-robin (sample 1 of each, then sample 2 of
 * each…), so a burst of background load on a shared machine hits all rows alike instead of one.
 */
function measureAll(workloads: Workload[], settings: MappingSettings): Throughput[] {
  for (const { work } of workloads) sample(work, settings.warmupMs);
  const rates = workloads.map(() => [] as number[]);
  const iterations = workloads.map(() => 0);
  for (let s = 0; s < settings.samples; s++) {
    workloads.forEach(({ work }, i) => {
      const { rate, n } = sample(work, settings.sampleMs);
      rates[i]!.push(rate);
      iterations[i]! += n;
    });
  }
  return workloads.map(({ name }, i) => {
    const perSecond = median(rates[i]!);
    return {
      name,
      perSecond,
      minPerSecond: Math.min(...rates[i]!),
      maxPerSecond: Math.max(...rates[i]!),
      microsPerDocument: 1e6 / perSecond,
      iterations: iterations[i]!,
    };
  });
}

export async function benchMapping(settings: MappingSettings): Promise<MappingResults> {
  const catalog = await loadMappingCatalog(MAPPINGS_DIR);
  const stage1 = catalog.forSource('shopify', 'order.paid', 'invoice');
  const stage2 = catalog.forTarget('apidian', 'invoice');
  if (!stage1 || !stage2) throw new Error(`the shipped mappings under ${MAPPINGS_DIR} lack shopify order.paid → invoice or invoice → apidian`);

  const order = twentyLineOrder();
  const body = toShopifyJson(buildOrder(order));
  // Ids as strings, exactly as the Shopify receiver hands the payload to the inbox.
  const input = { order: parseShopifyJson(body), issuedAt: '2026-03-14T10:30:00-05:00', shop: SAMPLE_SHOP, country: 'CO' };

  const mapToApidian = () => {
    const fiscal = numbered(computeDocument(withIdentification(stage1.run(input))));
    return stage2.run({ document: fiscal, target: TARGET_SETTINGS });
  };
  const mapAsPreparer = () => {
    const draft = FiscalDocumentDraft.parse(withIdentification(stage1.run(input)));
    const fiscal = numbered(computeDocument(draft));
    const checked = apidianWireSchemas.invoice.safeParse(stage2.run({ document: fiscal, target: TARGET_SETTINGS }));
    if (!checked.success) throw new Error(`the APIDIAN invoice is not valid: ${checked.error.issues[0]?.message}`);
    return checked.data;
  };

  // Benchmark the success path only: the document must be complete and reconcile to the cent.
  const fiscal = computeDocument(withIdentification(stage1.run(input)));
  const expectedTotal = orderFigures(order).total.toFixed(2);
  // The paid shipping line is invoiced as one more line.
  if (fiscal.lines.length !== LINES + 1) throw new Error(`stage 1 produced ${fiscal.lines.length} lines for a ${LINES}-line order with shipping`);
  if (fiscal.totals.payableAmount !== expectedTotal) {
    throw new Error(`the invoice total ${fiscal.totals.payableAmount} differs from the order total ${expectedTotal}`);
  }
  mapAsPreparer();

  const draft = withIdentification(stage1.run(input));
  const computed = numbered(computeDocument(draft));
  const rows = measureAll(
    [
      { name: 'stage 1 only (Shopify order → FiscalDocument draft)', work: () => stage1.run(input) },
      { name: 'computeDocument only (draft → lines, tax summary, totals)', work: () => computeDocument(draft) },
      { name: 'stage 2 only (FiscalDocument → APIDIAN invoice)', work: () => stage2.run({ document: computed, target: TARGET_SETTINGS }) },
      { name: 'stage 1 + computeDocument + stage 2 (→ APIDIAN invoice)', work: mapToApidian },
      { name: 'as the Preparer: + draft parse + APIDIAN wire-schema validation', work: mapAsPreparer },
    ],
    settings,
  );
  return { settings, lines: LINES, bodyBytes: Buffer.byteLength(body), payableAmount: fiscal.totals.payableAmount, rows };
}
