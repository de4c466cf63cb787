/**
 * A hot reload swaps the whole set, and a document is prepared with one set from stage 1 to stage 2:
 * the preparer reads the live set once per document.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER } from '../../connectors/shopify/samples/index.js';
import { compileMappingText } from '../../src/mapping/index.js';
import type { MappingCatalog } from '../../src/pipeline/mapping-port.js';
import { Preparer } from '../../src/pipeline/preparer.js';
import { paidEvent, pipeline, shippedMappings, silentLog, type Pipeline } from '../pipeline/harness.js';

let p: Pipeline;
beforeEach(async () => {
  p = await pipeline();
});
afterEach(() => p.close());

it('a set swapped in while a document is being prepared does not reach that document', async () => {
  const shipped = await shippedMappings();
  // The set that goes live mid-document has a stage-2 invoice mapping that cannot map anything.
  const broken = compileMappingText(
    [
      'apiVersion: puente.mapping/v1',
      'kind: DocumentMapping',
      'metadata: { id: apidian-invoice, revision: 9 }',
      'source: { system: fiscal-document }',
      'target: { system: apidian, document: invoice }',
      'fields:',
      '  number: { path: document.numero, required: true }',
      '',
    ].join('\n'),
    'apidian/invoice.yaml',
  );
  const next: MappingCatalog = {
    forSource: (system, event, kind) => shipped.forSource(system, event, kind),
    forTarget: (system, kind) => (kind === 'invoice' ? broken : shipped.forTarget(system, kind)),
    byId: (id) => shipped.byId(id),
  };
  let reads = 0;
  // The live set as the server's LiveMappings gives it: the first read sees the old set, every later one the new.
  const preparer = new Preparer(p.store, p.connections, () => (reads++ === 0 ? shipped : next), silentLog, p.clock.now);

  await p.inbox.accept([paidEvent(SAMPLE_PAID_ORDER)]);
  await p.events.processPending();
  const [pending] = await p.store.listDocuments({ status: 'pending' });
  expect(await preparer.prepare(pending!)).toBe('ready');
  const document = await p.document(pending!.id);
  const stageOne = shipped.forSource('shopify', 'order.paid', 'invoice')!;
  const stageTwo = shipped.forTarget('apidian', 'invoice')!;
  expect(document.provenance?.mappings).toEqual([stageOne, stageTwo].map(({ id, revision, contentHash }) => ({ id, revision, contentHash })));
  expect(stageTwo.contentHash).not.toBe(broken.contentHash);
  expect(reads).toBe(1);
});
