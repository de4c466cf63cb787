import { describe, expect, it } from 'vitest';
import { MappingError } from '../../src/errors.js';
import { compile, runField } from './helpers.js';

function mappingError(run: () => unknown): MappingError {
  try {
    run();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error('expected a MappingError');
}

describe('value nodes: sources', () => {
  it('path reads the input', () => {
    expect(runField('{ path: order.currency }', { order: { currency: 'COP' } })).toBe('COP');
  });

  it('a list of paths takes the first non-empty value (missing, null and blank text are empty)', () => {
    const node = "{ path: ['order.note_attributes[name=NIT].value', order.billing_address.company], default: '222222222222' }";
    const withNit = { order: { note_attributes: [{ name: 'NIT', value: '900123456' }], billing_address: { company: 'X SAS' } } };
    const withCompany = { order: { note_attributes: [{ name: 'NIT', value: '   ' }], billing_address: { company: '1020304050' } } };
    const withNothing = { order: { note_attributes: [], billing_address: { company: null } } };
    expect(runField(node, withNit)).toBe('900123456');
    expect(runField(node, withCompany)).toBe('1020304050');
    expect(runField(node, withNothing)).toBe('222222222222');
  });

  it('const copies its value, and a later change of one output does not leak into the next', () => {
    const mapping = compile('fields:\n  tags: { const: [a, b] }');
    const first = mapping.run({});
    (first.tags as string[]).push('c');
    expect(mapping.run({}).tags).toEqual(['a', 'b']);
  });

  it('template fills {{path}} placeholders', () => {
    expect(runField('{ template: "shopify:{{shop}}/{{order.name}}" }', { shop: 'a.myshopify.com', order: { name: '#1001' } })).toBe(
      'shopify:a.myshopify.com/#1001',
    );
    expect(runField('{ template: "{{order.id}}-{{refund.id}}" }', { order: { id: 6 }, refund: { id: '7' } })).toBe('6-7');
  });

  it('a template with an empty placeholder is empty, so default and required apply', () => {
    expect(runField('{ template: "shopify:{{shop}}", default: unknown }', {})).toBe('unknown');
    expect(runField('{ template: "shopify:{{shop}}" }', {})).toBeUndefined();
    const error = mappingError(() => compile('fields:\n  source: { template: "shopify:{{shop}}", required: true }').run({}));
    expect(error.path).toBe('source');
  });

  it('var evaluates a named value once per run from the input root, also inside forEach', () => {
    const mapping = compile(`
vars:
  currency: { path: order.currency, default: COP }
fields:
  currency: { var: currency }
  lines:
    forEach: order.line_items
    fields:
      currency: { var: currency }`);
    expect(mapping.run({ order: { currency: 'USD', line_items: [{}, {}] } })).toEqual({
      currency: 'USD',
      lines: [{ currency: 'USD' }, { currency: 'USD' }],
    });
    expect(mapping.run({ order: {} }).currency).toBe('COP');
  });
});

describe('lookups', () => {
  const lookups = (onMissing: string, extra = '') => `
lookups:
  taxByRate:
    entries: { "0.19": { code: IVA, percent: "19" }, "0": { code: IVA, percent: "0" } }
    onMissing: ${onMissing}
    ${extra}`;

  it('finds the entry by the key text and picks a field of it', () => {
    const node = '{ lookup: taxByRate, key: { path: rate, as: string }, pick: code }';
    expect(runField(node, { rate: 0.19 }, lookups('fail'))).toBe('IVA');
    expect(runField(node, { rate: 0 }, lookups('fail'))).toBe('IVA');
  });

  it('numbers used as keys are written in their shortest form even without as: string', () => {
    expect(runField('{ lookup: taxByRate, key: { path: rate }, pick: percent }', { rate: 0.19 }, lookups('fail'))).toBe('19');
  });

  it('gives the whole entry without pick', () => {
    expect(runField('{ lookup: taxByRate, key: { path: rate } }', { rate: 0.19 }, lookups('fail'))).toEqual({ code: 'IVA', percent: '19' });
  });

  it('onMissing: fail stops with the field path, the key and how to fix it', () => {
    const mapping = compile(`${lookups('fail')}
fields:
  lines:
    forEach: line_items
    fields:
      taxes:
        forEach: tax_lines
        fields:
          code: { lookup: taxByRate, key: { path: rate, as: string }, pick: code }`);
    const input = { line_items: [{ tax_lines: [{ rate: 0.19 }] }, { tax_lines: [] }, { tax_lines: [{ rate: 0.07 }] }] };
    const error = mappingError(() => mapping.run(input));
    expect(error.path).toBe('lines[2].taxes[0].code');
    expect(error.message).toBe(
      'lines[2].taxes[0].code: rate 0.07 has no entry in lookup taxByRate (onMissing: fail) — add it to the lookup',
    );
  });

  it('onMissing: default uses the lookup default (pick applies to it too)', () => {
    const extra = 'default: { code: ZZ, percent: "0" }';
    expect(runField('{ lookup: taxByRate, key: { path: rate }, pick: code }', { rate: 0.07 }, lookups('default', extra))).toBe('ZZ');
  });

  it('onMissing: passthrough gives the key itself', () => {
    expect(runField('{ lookup: taxByRate, key: { path: rate } }', { rate: 0.07 }, lookups('passthrough'))).toBe('0.07');
  });

  it('an empty key gives no value, so the node default applies instead of a lookup miss', () => {
    expect(runField('{ lookup: taxByRate, key: { path: rate }, pick: code, default: NONE }', {}, lookups('fail'))).toBe('NONE');
  });

  it('reads only own entries, never the prototype', () => {
    expect(runField('{ lookup: taxByRate, key: { path: k } }', { k: 'constructor' }, lookups('passthrough'))).toBe('constructor');
  });
});

describe('modifiers', () => {
  it('default applies to missing, null and blank values, but not to 0 or false', () => {
    expect(runField('{ path: a, default: x }', {})).toBe('x');
    expect(runField('{ path: a, default: x }', { a: null })).toBe('x');
    expect(runField('{ path: a, default: x }', { a: '  ' })).toBe('x');
    expect(runField('{ path: a, default: x }', { a: 0 })).toBe(0);
    expect(runField('{ path: a, default: x }', { a: false })).toBe(false);
  });

  it('required fails with the field path and the source it read, but never the input values', () => {
    const mapping = compile(`
fields:
  buyer:
    identification:
      number: { path: [order.nit, order.company], required: true }`);
    const error = mappingError(() => mapping.run({ order: { email: 'secret@example.com' } }));
    expect(error.path).toBe('buyer.identification.number');
    expect(error.message).toContain('paths order.nit, order.company gave no value');
    expect(error.message).not.toContain('secret@example.com');
  });

  it('a field without value is left out, and so is an object none of whose fields has one', () => {
    const mapping = compile(`
fields:
  currency: { path: order.currency }
  address:
    city: { path: order.billing_address.city }
    countryCode: { path: order.billing_address.country_code }`);
    expect(mapping.run({ order: {} })).toEqual({});
    expect(mapping.run({ order: { billing_address: { city: 'Cali' } } })).toEqual({ address: { city: 'Cali' } });
  });

  it('as converts after the default, and reports conversion errors with the field path', () => {
    expect(runField('{ path: q, as: decimal, default: 1 }', {})).toBe('1');
    const error = mappingError(() => compile('fields:\n  lines:\n    forEach: items\n    fields:\n      quantity: { path: q, as: decimal }').run({ items: [{ q: 'two' }] }));
    expect(error.path).toBe('lines[0].quantity');
    expect(error.message).toContain('is not a decimal number');
    expect(error.message).toContain('path q, as: decimal');
  });

  it('negate flips the sign of a decimal exactly', () => {
    expect(runField('{ path: amount, as: decimal, negate: true }', { amount: '-5042.02' })).toBe('5042.02');
    expect(runField('{ path: amount, as: decimal, negate: true }', { amount: -0.1 })).toBe('0.1');
  });

  it('when gates the source; when false, default acts as the else-branch', () => {
    const node = "{ const: partial_return, when: { path: 'refund.refund_line_items[0]', exists: true }, default: discount }";
    expect(runField(node, { refund: { refund_line_items: [{ id: '1' }] } })).toBe('partial_return');
    expect(runField(node, { refund: { refund_line_items: [] } })).toBe('discount');
    expect(runField('{ const: 1, when: { path: free, equals: true } }', { free: false })).toBeUndefined();
  });
});

describe('forEach, where, lists, $root', () => {
  const order = {
    currency: 'COP',
    line_items: [
      { sku: 'A', current_quantity: 2, tax_lines: [{ rate: 0.19 }] },
      { sku: 'B', current_quantity: 0 },
      { sku: '', variant_id: '77', current_quantity: '0' },
      { sku: '', variant_id: '78', current_quantity: 1 },
    ],
    shipping_lines: [{ price: '0.00' }, { price: '12000.00' }],
  };

  it('iterates with paths relative to the item, skips items failing where, and reaches the root with $root', () => {
    const mapping = compile(`
fields:
  lines:
    forEach: order.line_items
    where: { path: current_quantity, notIn: [0, "0"] }
    fields:
      code: { path: [sku, variant_id], required: true }
      currency: { path: $root.order.currency }`);
    expect(mapping.run({ order })).toEqual({ lines: [{ code: 'A', currency: 'COP' }, { code: '78', currency: 'COP' }] });
  });

  it('a forEach over a missing path gives [], over a non-list it fails with the field path', () => {
    const mapping = compile('fields:\n  lines:\n    forEach: order.line_items\n    fields:\n      code: { path: sku }');
    expect(mapping.run({ order: {} })).toEqual({ lines: [] });
    const error = mappingError(() => mapping.run({ order: { line_items: { sku: 'A' } } }));
    expect(error.path).toBe('lines');
    expect(error.message).toContain('must be a list');
  });

  it('a list concatenates forEach nodes and item nodes, with error indexes counted across them', () => {
    const mapping = compile(`
fields:
  lines:
    - forEach: order.line_items
      where: { path: current_quantity, greaterThan: 0 }
      fields:
        code: { path: sku }
    - forEach: order.shipping_lines
      where: { path: price, greaterThan: 0 }
      fields:
        code: { const: ENVIO }
        price: { path: price, as: decimal }
    - when: { path: order.gift, exists: true }
      fields:
        code: { const: GIFT }
        note: { path: order.gift_note, required: true }`);
    // The blank sku gives no value, so that element is an empty object.
    expect(mapping.run({ order })).toEqual({
      lines: [{ code: 'A' }, {}, { code: 'ENVIO', price: '12000.00' }],
    });
    expect(mapping.run({ order: { ...order, gift: 'card', gift_note: 'hi' } }).lines).toHaveLength(4);
    expect(mappingError(() => mapping.run({ order: { ...order, gift: 'card' } })).path).toBe('lines[3].note');
  });

  it('where conditions combine (all must hold) and compare strictly unless as converts', () => {
    const items = [{ q: 1 }, { q: '1' }, { q: '1.0' }, { q: 2 }];
    const run = (where: string) =>
      (compile(`fields:\n  out:\n    forEach: items\n    where: ${where}\n    fields:\n      q: { path: q }`).run({ items }).out as unknown[]).length;
    expect(run('{ path: q, equals: 1 }')).toBe(1);
    expect(run('{ path: q, as: decimal, equals: 1 }')).toBe(3);
    expect(run('{ path: q, in: [1, "1"] }')).toBe(2);
    expect(run('[{ path: q, notEquals: 2 }, { path: q, lessThan: "1.5" }]')).toBe(3);
    expect(run('{ path: missing, exists: false }')).toBe(4);
  });

  it('nested forEach error paths carry every index', () => {
    const mapping = compile(`
fields:
  lines:
    forEach: items
    fields:
      taxes:
        forEach: taxes
        fields:
          code: { path: code, required: true }`);
    const error = mappingError(() => mapping.run({ items: [{ taxes: [{ code: 'IVA' }] }, { taxes: [{ code: 'IVA' }, {}] }] }));
    expect(error.path).toBe('lines[1].taxes[1].code');
  });
});
