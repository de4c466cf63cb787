import { describe, expect, it } from 'vitest';
import { snapshotChunks, type SnapshotPart } from '../../src/store/snapshot.js';

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

const data = {
  schemaVersion: 2,
  events: {
    evt_1: { id: 'evt_1', payload: { note: 'María "la" Pérez\n\u2028 ñandú €', lines: [1, 2, { q: '3' }] }, absent: null },
    'evt_"odd"': { id: 'evt_"odd"', deliveries: 2 },
  },
  documents: {},
  batches: { bat_1: { id: 'bat_1', documentIds: ['doc_1'] } },
  counters: { 'SETP\u0000x': 7 },
  allocations: { A: [{ seriesKey: 'A', number: 1, documentId: 'doc_1' }, { seriesKey: 'A', number: 2, documentId: 'doc_2' }], B: [] },
  logCommit: 12,
};

function records(key: string, table: Record<string, unknown>): SnapshotPart {
  return { key, kind: 'records', ids: Object.keys(table), records: Object.values(table) };
}

function partsOf(value: typeof data): SnapshotPart[] {
  return [
    { key: 'schemaVersion', kind: 'value', value: value.schemaVersion },
    records('events', value.events),
    records('documents', value.documents),
    records('batches', value.batches),
    { key: 'counters', kind: 'value', value: value.counters },
    { key: 'allocations', kind: 'lists', entries: Object.entries(value.allocations) },
    { key: 'logCommit', kind: 'value', value: value.logCommit },
  ];
}

describe('snapshotChunks', () => {
  it('produces exactly the text JSON.stringify gives for the whole document, whatever the chunk size', async () => {
    for (const chunkChars of [1, 7, 64, 1_000_000]) {
      const chunks = snapshotChunks(partsOf(data), { chunkChars });
      const text = (await collect(chunks)).join('');
      expect(text).toBe(JSON.stringify(data));
      expect(chunks.stats.chars).toBe(text.length);
    }
  });

  it('cuts the text into chunks of about the requested size', async () => {
    const events = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`evt_${i}`, { id: `evt_${i}`, note: 'x'.repeat(100) }]));
    const chunks = await collect(snapshotChunks([records('events', events)], { chunkChars: 1_000 }));
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    // A chunk closes at the first record that takes it past the size, so it exceeds it by less than one record.
    for (const chunk of chunks) expect(chunk.length).toBeLessThan(1_000 + 200);
    expect(JSON.parse(chunks.join(''))).toEqual({ events });
  });

  it('stringifies nothing before the consumer asks, and gives the loop a turn after every record when the slice is 0 ms', async () => {
    const record = { id: 'r', status: 'at capture' };
    const turns: number[] = [];
    let stringified = 0;
    const counting = { toJSON: () => (stringified++, 'counted') };
    const chunks = snapshotChunks(
      [
        { key: 'records', kind: 'records', ids: ['r', 'c1', 'c2'], records: [record, counting, counting] },
        { key: 'lists', kind: 'lists', entries: [['L', Array.from({ length: 600 }, (_, i) => i)]] },
      ],
      { sliceMs: 0, yieldToLoop: async () => void turns.push(stringified) },
    );
    expect(stringified).toBe(0);
    const text = (await collect(chunks)).join('');
    // One turn after each of the three records, then every 256 list elements (2) and after the list (1).
    expect(turns).toEqual([0, 1, 2, 2, 2, 2]);
    expect(JSON.parse(text)).toMatchObject({ records: { r: record, c1: 'counted', c2: 'counted' } });
  });

  it('refuses a record that is not a JSON value, naming where it is', async () => {
    const chunks = snapshotChunks([{ key: 'events', kind: 'records', ids: ['evt_1'], records: [undefined] }]);
    await expect(collect(chunks)).rejects.toThrow('the snapshot cannot hold events.evt_1: it is not a JSON value');
  });
});
