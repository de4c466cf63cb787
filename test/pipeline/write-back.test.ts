/**
 * Write-back queue on the real store: an issued document is queued for its source, written once the
 * source takes it, retried with a growing pause while it fails, and given up (kept as failed) after
 * a day — never touching the document itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IssuedDocumentNotice, SourceConnector } from '../../src/connector.js';
import { Connections } from '../../src/pipeline/connections.js';
import { WriteBacks, type WriteBackEntry } from '../../src/pipeline/write-back.js';
import type { DocumentRecord } from '../../src/store/store.js';
import { ManualClock, SOURCE, ScriptedTarget, connectionFor, openTempStore, silentLog, type TempStore } from './harness.js';

let temp: TempStore;
afterEach(async () => {
  await temp?.close();
});

async function issuedDocument(): Promise<DocumentRecord> {
  const { document } = await temp.store.createDocument({
    idempotencyKey: `${SOURCE}|order:42|invoice`,
    connectionId: 'shop',
    target: 'apidian',
    kind: 'invoice',
    source: SOURCE,
    orderId: '42',
    eventId: 'evt_1',
    series: 'SETP',
  });
  return temp.store.updateDocument(document.id, {
    status: 'issued',
    result: { fiscalNumber: 'SETP990000001', uuid: 'cufe-1', links: { pdf: 'https://x/pdf' }, issuedAt: '2026-03-14T15:30:00.000Z' },
  });
}

describe('write-back', () => {
  it('queues an issued document, retries while the store refuses with a growing pause, then writes it once', async () => {
    const clock = new ManualClock();
    temp = await openTempStore(clock.now);
    const written: IssuedDocumentNotice[] = [];
    let failures = 2;
    const shopify: SourceConnector = {
      name: 'shopify',
      async writeBack(notice) {
        if (failures-- > 0) throw new Error('Shopify answered 502');
        written.push(notice);
      },
    };
    const writeBacks = new WriteBacks(temp.store, new Connections([connectionFor(new ScriptedTarget())]), { shopify }, silentLog, clock.now);
    const document = await issuedDocument();
    await writeBacks.enqueue(document);

    expect(await writeBacks.runDue()).toBe(0);
    let [entry] = await writeBacks.list();
    expect(entry).toMatchObject({ status: 'pending', attempts: 1, lastError: 'Shopify answered 502' });
    expect(Date.parse(entry!.nextAttemptAt) - clock.time).toBe(60_000);

    // Not due yet: nothing is tried.
    expect(await writeBacks.runDue()).toBe(0);
    expect((await writeBacks.list())[0]!.attempts).toBe(1);

    clock.advance(60_000);
    await writeBacks.runDue();
    [entry] = await writeBacks.list();
    expect(entry).toMatchObject({ attempts: 2 });
    expect(Date.parse(entry!.nextAttemptAt) - clock.time).toBe(120_000);

    clock.advance(120_000);
    expect(await writeBacks.runDue()).toBe(1);
    expect(written).toEqual([
      {
        source: SOURCE,
        orderId: '42',
        documentId: document.id,
        kind: 'invoice',
        fiscalNumber: 'SETP990000001',
        uuid: 'cufe-1',
        links: { pdf: 'https://x/pdf' },
        issuedAt: '2026-03-14T15:30:00.000Z',
      },
    ]);
    expect(await writeBacks.list()).toEqual([]);
    expect((await temp.store.getDocument(document.id))!.status).toBe('issued');
  });

  it('gives up after a day of failures and keeps the entry, marked failed, for the admin views', async () => {
    const clock = new ManualClock();
    temp = await openTempStore(clock.now);
    const shopify: SourceConnector = {
      name: 'shopify',
      writeBack: async () => {
        throw new Error('401 from Shopify');
      },
    };
    const writeBacks = new WriteBacks(temp.store, new Connections([connectionFor(new ScriptedTarget())]), { shopify }, silentLog, clock.now);
    await writeBacks.enqueue(await issuedDocument());
    for (let hour = 0; hour <= 25; hour++) {
      await writeBacks.runDue();
      // Still retried late in the day, not given up at the first failure.
      if (hour === 20) expect((await writeBacks.list())[0]).toMatchObject({ status: 'pending' });
      clock.advance(60 * 60_000);
    }
    const [entry] = await writeBacks.list();
    expect(entry).toMatchObject<Partial<WriteBackEntry>>({ status: 'failed', lastError: '401 from Shopify' });
    expect(entry!.attempts).toBeGreaterThan(5);
    const attempts = entry!.attempts;
    clock.advance(24 * 60 * 60_000);
    await writeBacks.runDue();
    expect((await writeBacks.list())[0]!.attempts).toBe(attempts);
  });

  it('queues nothing for a source that does not write back', async () => {
    const clock = new ManualClock();
    temp = await openTempStore(clock.now);
    const writeBacks = new WriteBacks(temp.store, new Connections([connectionFor(new ScriptedTarget())]), { shopify: { name: 'shopify' } }, silentLog, clock.now);
    await writeBacks.enqueue(await issuedDocument());
    expect(await writeBacks.list()).toEqual([]);
  });
});
