import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseShopifyJson, ShopifyJsonError } from '../../connectors/shopify/payload-json.js';

function parseError(text: string, limits?: { maxDepth: number; maxArrayLength: number }): ShopifyJsonError {
  try {
    parseShopifyJson(text, limits);
  } catch (error) {
    if (error instanceof ShopifyJsonError) return error;
    throw error;
  }
  throw new Error('expected a ShopifyJsonError');
}

describe('parseShopifyJson: ids stay exact', () => {
  it('keeps an id beyond 2^53 digit for digit, where JSON.parse rounds it', () => {
    const text = '{"id":5678901234567890123,"order_id":5678901234567890999}';
    expect(JSON.parse(text).id).not.toBe(5678901234567890123n.toString()); // the corruption we avoid
    expect(parseShopifyJson(text)).toEqual({ id: '5678901234567890123', order_id: '5678901234567890999' });
  });

  it('turns every id and *_id integer into a string, small ones too, at any depth', () => {
    const text =
      '{"id":450789469,"line_items":[{"id":466157049,"variant_id":39072856,"product_id":632910392,"quantity":3}],' +
      '"customer":{"id":207119551,"default_address":{"customer_id":207119551}},"location_id":null,' +
      '"admin_graphql_api_id":"gid://shopify/Order/450789469"}';
    expect(parseShopifyJson(text)).toEqual({
      id: '450789469',
      line_items: [{ id: '466157049', variant_id: '39072856', product_id: '632910392', quantity: 3 }],
      customer: { id: '207119551', default_address: { customer_id: '207119551' } },
      location_id: null,
      admin_graphql_api_id: 'gid://shopify/Order/450789469',
    });
  });

  it('turns the integers of *_ids arrays into strings', () => {
    expect(parseShopifyJson('{"line_item_ids":[5678901234567890123,12],"counts":[1,2]}')).toEqual({
      line_item_ids: ['5678901234567890123', '12'],
      counts: [1, 2],
    });
  });

  it('keeps other unsafe integers as exact strings but leaves safe numbers, rates and money alone', () => {
    const parsed = parseShopifyJson(
      '{"order_number":1001,"rate":0.19,"subtotal":195.66,"weight":-12,"big":12345678901234567890,"exp":1e21,"neg":-0}',
    ) as Record<string, unknown>;
    expect(parsed).toEqual({ order_number: 1001, rate: 0.19, subtotal: 195.66, weight: -12, big: '12345678901234567890', exp: 1e21, neg: -0 });
    expect(Object.is(parsed.neg, -0)).toBe(true);
  });

  it('never touches digits inside strings, including keys that look like ids and escaped text', () => {
    const text =
      '{"note":"pedido 5678901234567890123, \\"id\\":42","name":"#1001","id_text":"99","tags":"id:5678901234567890123",' +
      '"url":"https:\\/\\/puente-demo.myshopify.com\\/a?b=1\\u0026c=2","nit":"900373115-3","emoji":"\\ud83d\\ude00"}';
    expect(parseShopifyJson(text)).toEqual({
      note: 'pedido 5678901234567890123, "id":42',
      name: '#1001',
      id_text: '99',
      tags: 'id:5678901234567890123',
      url: 'https://puente-demo.myshopify.com/a?b=1&c=2',
      nit: '900373115-3',
      emoji: '😀',
    });
  });

  it('creates __proto__ as an own property, as JSON.parse does, without changing the prototype', () => {
    const parsed = parseShopifyJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseShopifyJson: malformed input and bounds', () => {
  it.each([
    ['', 'unexpected end of input'],
    ['{"id":1,}', 'property name'],
    ['{"id":01}', "expected ',' or '}'"],
    ['{"a":1} x', 'after the JSON value'],
    ['{"a":"unterminated}', 'unterminated string'],
    ['{"a":"bad \\x escape"}', 'invalid escape'],
    ['{"a":"tab\there"}', 'control character'],
    ['{"a":tru}', 'unexpected token'],
    ['{"a":1.}', 'decimal point'],
    ['{"a":-}', 'invalid number'],
    ['[1 2]', "expected ',' or ']'"],
  ])('rejects %j with a syntax error that says what was expected', (text, fragment) => {
    const error = parseError(text);
    expect(error.reason).toBe('syntax');
    expect(error.message).toContain(fragment);
  });

  it('reports where the problem is by path and offset, never by quoting body values', () => {
    const error = parseError('{"customer":{"email":"ana@example.com","phone":+57}}');
    expect(error.path).toBe('$.customer.phone');
    expect(error.offset).toBe(47);
    expect(error.message).not.toContain('ana@example.com');
  });

  it('accepts 64 levels of nesting and refuses 65', () => {
    const nest = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    expect(() => parseShopifyJson(nest(64))).not.toThrow();
    const error = parseError(nest(65));
    expect(error.reason).toBe('too_deep');
    expect(error.message).toContain('deeper than 64');
  });

  it('accepts arrays of 10,000 elements and refuses 10,001, naming the array', () => {
    const array = (n: number) => `{"line_items":[${new Array(n).fill('0').join(',')}]}`;
    expect((parseShopifyJson(array(10_000)) as { line_items: unknown[] }).line_items).toHaveLength(10_000);
    const error = parseError(array(10_001));
    expect(error.reason).toBe('array_too_long');
    expect(error.path).toBe('$.line_items');
    expect(error.message).toContain('more than 10000 elements');
  });
});

/** JSON documents with no id-like keys and only exactly representable integers: where we must equal JSON.parse. */
function isPlainDocument(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isInteger(value) || Number.isSafeInteger(value);
  if (Array.isArray(value)) return value.every(isPlainDocument);
  if (value && typeof value === 'object') {
    return Object.entries(value).every(
      ([key, v]) => key !== 'id' && !key.endsWith('_id') && !key.endsWith('_ids') && isPlainDocument(v),
    );
  }
  return true;
}

describe('parseShopifyJson agrees with JSON.parse', () => {
  it('on any document without ids or unsafe integers', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, pretty) => {
        fc.pre(isPlainDocument(value));
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(parseShopifyJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('on which texts are valid JSON at all (mutated documents)', () => {
    fc.assert(
      fc.property(
        fc.json({ maxDepth: 4 }),
        fc.nat(),
        fc.constantFrom('', '"', '\\', ',', ':', '{', '}', '[', ']', '0', '-', '.', 'e', ' ', 'x'),
        (text, at, insert) => {
          const i = text.length === 0 ? 0 : at % text.length;
          for (const mutated of [text.slice(0, i) + insert + text.slice(i), text.slice(0, i) + insert + text.slice(i + 1)]) {
            let reference = true;
            try {
              JSON.parse(mutated);
            } catch {
              reference = false;
            }
            let ours = true;
            try {
              parseShopifyJson(mutated);
            } catch (error) {
              expect(error).toBeInstanceOf(ShopifyJsonError);
              ours = false;
            }
            expect(ours).toBe(reference);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('parseShopifyJson: odd number forms under ids', () => {
  it('-0 and integer-valued fractions under id keys are read as written: the literal for an integer, a number otherwise', () => {
    expect(parseShopifyJson('{"id": -0, "order_id": 5.0, "x_ids": [5e0, 7]}')).toEqual({ id: '-0', order_id: 5, x_ids: [5, '7'] });
    expect(parseShopifyJson('{"tag_ids": [[], 5.0], "x_ids": ["]", 5.0]}')).toEqual({ tag_ids: [[], 5], x_ids: [']', 5] });
    expect(Object.is((parseShopifyJson('{"rate": -0}') as { rate: number }).rate, -0)).toBe(true);
  });
});
