import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanShopifyBody } from '../../connectors/shopify/body-scan.js';
import { parseShopifyJson } from '../../connectors/shopify/payload-json.js';
import { demoOrder } from '../../connectors/shopify/samples/index.js';
import { jsonObjectText, jsonText } from './json-bodies.js';

const HEAD = ['id', 'order_id', 'note', 'tag_ids'];
const scan = (text: string, limits?: { maxDepth: number; maxArrayLength: number }) => scanShopifyBody(Buffer.from(text), HEAD, limits);

/** The members of `value` named in HEAD, as the scan hands them back. */
function headOf(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(HEAD.filter((key) => Object.hasOwn(value, key)).map((key) => [key, value[key]]));
}

describe('scanShopifyBody', () => {
  it('reads a demo order as the exact parser does, without building it: ids quoted in its text, head members parsed', () => {
    for (let n = 0; n < 20; n++) {
      const { body } = demoOrder(n);
      const scanned = scanShopifyBody(Buffer.from(body), ['id', 'total_price', 'refunds']);
      expect(scanned).toBeDefined();
      const exact = parseShopifyJson(body) as Record<string, unknown>;
      expect(JSON.parse(scanned!.text)).toStrictEqual(exact);
      expect(scanned!.head).toStrictEqual({ id: exact.id, total_price: exact.total_price, refunds: exact.refunds });
      expect(typeof scanned!.head.id).toBe('string');
    }
  });

  it('quotes ids, *_id and the integers right inside *_ids lists, at any depth, and nothing else', () => {
    const scanned = scan('{"id": 5678901234567890123, "a": {"order_id": -0, "tag_ids": [1, [2], {"n": 3}], "n": 7, "rate": 1e2}, "note": "id: 5"}');
    expect(JSON.parse(scanned!.text)).toStrictEqual({ id: '5678901234567890123', a: { order_id: '-0', tag_ids: ['1', [2], { n: 3 }], n: 7, rate: 100 }, note: 'id: 5' });
    expect(scanned!.head).toStrictEqual({ id: '5678901234567890123', note: 'id: 5' });
  });

  it.each([
    ['an escape in a key', '{"x\\"id": 5}'],
    ['an id written with a fraction', '{"id": 5.0}'],
    ['an id written with an exponent', '{"order_id": 5e0}'],
    ['an integer a double cannot hold', '{"weight": 9007199254740993}'],
    ['a number past the doubles, which JSON would write back as null', '{"weight": 1e400}'],
    ['-0, which JSON would write back as 0', '{"delta": -0.0}'],
    ['a top-level array', '[1]'],
    ['malformed JSON', '{"id": 1,}'],
    ['a number with a leading zero', '{"n": 01}'],
    ['a raw control character in a string', '{"note": "a\u0001b"}'],
    ['a bad escape', '{"note": "\\x"}'],
    ['text after the value', '{} x'],
  ])('leaves %s to the exact parser', (_why, body) => {
    expect(scan(body)).toBeUndefined();
  });

  it('a key repeated in one object: every value is held to the limits, as the exact parser holds them; the last one is kept', () => {
    expect(scan('{"note": [[[1]]], "note": 1}', { maxDepth: 2, maxArrayLength: 10 })).toBeUndefined();
    const scanned = scan('{"id": 1, "id": 2}');
    expect([JSON.parse(scanned!.text), scanned!.head]).toStrictEqual([{ id: '2' }, { id: '2' }]);
    expect(parseShopifyJson('{"id": 1, "id": 2}')).toStrictEqual({ id: '2' });
  });

  it('leaves nesting or lists past the limits to the exact parser', () => {
    expect(scan('{"a": [[1]]}', { maxDepth: 3, maxArrayLength: 10 })).toBeDefined();
    expect(scan('{"a": [[1]]}', { maxDepth: 2, maxArrayLength: 10 })).toBeUndefined();
    expect(scan('{"a": [1, 2, 3]}', { maxDepth: 5, maxArrayLength: 3 })).toBeDefined();
    expect(scan('{"a": [1, 2, 3]}', { maxDepth: 5, maxArrayLength: 2 })).toBeUndefined();
  });

  it('agrees with the exact parser on every body it vouches for, and vouches for most plain ones', () => {
    let vouched = 0;
    fc.assert(
      fc.property(jsonObjectText, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), (body, maxDepth, maxArrayLength) => {
        for (const limits of [{ maxDepth, maxArrayLength }, undefined]) {
          const scanned = scan(body, limits);
          if (scanned === undefined) continue;
          vouched++;
          const exact = parseShopifyJson(body, limits) as Record<string, unknown>;
          expect(JSON.parse(scanned.text)).toStrictEqual(exact);
          expect(scanned.head).toStrictEqual(headOf(exact));
        }
      }),
      { numRuns: 3000 },
    );
    expect(vouched).toBeGreaterThan(600);
  });

  it('never vouches for a text the exact parser refuses (mutated bodies)', () => {
    fc.assert(
      fc.property(
        fc.oneof(jsonObjectText, jsonText),
        fc.nat(),
        fc.constantFrom('', '"', '\\', ',', ':', '{', '}', '[', ']', '0', '-', '.', 'e', ' ', 'x', '\n', 'é'),
        (text, at, insert) => {
          const i = text.length === 0 ? 0 : at % text.length;
          for (const mutated of [text.slice(0, i) + insert + text.slice(i), text.slice(0, i) + insert + text.slice(i + 1)]) {
            const scanned = scan(mutated);
            if (scanned === undefined) continue;
            expect(JSON.parse(scanned.text)).toStrictEqual(parseShopifyJson(mutated));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
