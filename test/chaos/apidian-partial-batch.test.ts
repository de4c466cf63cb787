/**
 * One failed add-to-batch must not cost the whole batch: the documents already in the zip are sent,
 * the one that failed and those after it are retried later. Under the chaos run's 20 % failures a
 * batch of n documents needs n + 1 requests to succeed; failing all of them on any one failure made
 * large batches almost never get through.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { FiscalDocument } from '../../src/domain/fiscal-document.js';
import { createApidianTarget, type ApidianReceipt, type ApidianTarget } from '../../connectors/apidian/target.js';
import { exampleInvoice } from '../../connectors/apidian/sandbox/examples.js';
import { APIDIAN_SANDBOX_TARGET_DEFAULTS, startApidianSandbox, type RunningApidianSandbox } from '../../connectors/apidian/sandbox/index.js';

function outgoing(id: string, number: number): OutgoingDocument {
  const wire = exampleInvoice(number);
  return { documentId: id, idempotencyKey: `idem-${id}`, kind: 'invoice', series: 'SETP', number: String(number), wire, fiscal: {} as FiscalDocument };
}

let sandbox: RunningApidianSandbox;
let target: ApidianTarget | undefined;
beforeAll(async () => {
  sandbox = await startApidianSandbox({ port: 0, seed: true, requestsPerMinute: 6000 });
});
afterEach(async () => {
  await target?.close();
  target = undefined;
});
afterAll(() => sandbox.close());

/** A target whose n-th add-to-batch request gets `answer` instead of reaching the sandbox. */
function failingAddToBatch(nth: number, answer: () => Response): ApidianTarget {
  let adds = 0;
  const fetchThrough: typeof fetch = async (input, init) => {
    if (String(input).includes('/add-to-batch/') && ++adds === nth) return answer();
    return fetch(input, init);
  };
  target = createApidianTarget(
    {
      ...APIDIAN_SANDBOX_TARGET_DEFAULTS,
      resolutions: structuredClone(APIDIAN_SANDBOX_TARGET_DEFAULTS.resolutions) as never,
      baseUrl: `${sandbox.url}/api`,
      requestsPerMinute: 6000,
    },
    { fetch: fetchThrough, client: { retry: { retries: 0, minTimeout: 1, maxTimeout: 5 } } },
  );
  return target;
}

async function heldNumbers(): Promise<number[]> {
  const response = await fetch(`${sandbox.url}/_sandbox/documents?all=1`);
  return ((await response.json()) as { documents: { number: number }[] }).documents.map((d) => d.number).sort();
}

describe('APIDIAN submit when one add-to-batch fails', () => {
  it('a 500 on the second document: the first is sent and issued; the second may be in the zip, so it must be looked up (unknown outcome); the third is retried', async () => {
    const t = failingAddToBatch(2, () => new Response(JSON.stringify({ message: 'Server Error' }), { status: 500, headers: { 'content-type': 'application/json' } }));
    const batch: OutgoingBatch = { batchId: 'partial-1', kind: 'invoice', series: 'SETP', documents: [outgoing('a', 990000201), outgoing('b', 990000202), outgoing('c', 990000203)] };

    const submission = await t.submit(batch);
    expect(submission.results.map((r) => [r.documentId, r.outcome, r.outcome === 'failed' ? r.kind : ''])).toEqual([
      ['a', 'pending', ''],
      ['b', 'failed', 'unknown_outcome'],
      ['c', 'failed', 'retryable'],
    ]);
    const receipt = submission.receipt as ApidianReceipt;
    expect(Object.keys(receipt.documents)).toEqual(['a']);

    const status = await t.status(receipt, batch);
    expect(status.done).toBe(true);
    expect(status.results).toEqual([expect.objectContaining({ documentId: 'a', outcome: 'issued', fiscalNumber: 'SETP990000201' })]);
    // Only the document that was in the zip reached DIAN; the others can be sent later without a duplicate.
    expect(await heldNumbers()).toEqual([990000201]);
    expect(await t.lookup(batch.documents[1]!)).toBeNull();
  });

  it('a 429 still stops the whole batch: nothing is sent while the account is told to wait', async () => {
    const t = failingAddToBatch(2, () => new Response(JSON.stringify({ message: 'Too Many Attempts.' }), { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '30' } }));
    const batch: OutgoingBatch = { batchId: 'partial-2', kind: 'invoice', series: 'SETP', documents: [outgoing('d', 990000301), outgoing('e', 990000302)] };
    const submission = await t.submit(batch);
    expect(submission.receipt).toBeUndefined();
    expect(submission.results.map((r) => (r.outcome === 'failed' ? r.kind : r.outcome))).toEqual(['rate_limited', 'rate_limited']);
    expect(await heldNumbers()).not.toContain(990000301);
  });
});

describe('APIDIAN submit when an add-to-batch answer is lost after the sandbox took the document', () => {
  it('the zip that goes out carries it, and its lookup finds it issued — so it is never sent a second time', async () => {
    // The second add-to-batch reaches the sandbox (stored in the zip) but its answer is lost every time.
    let adds = 0;
    const fetchThrough: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('/add-to-batch/') && ++adds >= 2) throw new TypeError('fetch failed: socket hang up');
      return response;
    };
    target = createApidianTarget(
      {
        ...APIDIAN_SANDBOX_TARGET_DEFAULTS,
        resolutions: structuredClone(APIDIAN_SANDBOX_TARGET_DEFAULTS.resolutions) as never,
        baseUrl: `${sandbox.url}/api`,
        requestsPerMinute: 6000,
      },
      { fetch: fetchThrough, client: { retry: { retries: 1, minTimeout: 1, maxTimeout: 5 } } },
    );
    const batch: OutgoingBatch = { batchId: 'lost-1', kind: 'invoice', series: 'SETP', documents: [outgoing('f', 990000401), outgoing('g', 990000402)] };
    const submission = await target.submit(batch);
    expect(submission.results.map((r) => [r.documentId, r.outcome, r.outcome === 'failed' ? r.kind : ''])).toEqual([
      ['f', 'pending', ''],
      ['g', 'failed', 'unknown_outcome'],
    ]);
    // Reconcile before resend: DIAN has it, from the zip that went out.
    expect(await target.lookup(batch.documents[1]!)).toMatchObject({ outcome: 'issued', fiscalNumber: 'SETP990000402' });
  });
});
