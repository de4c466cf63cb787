import { describe, expect, it } from 'vitest';
import { PathSyntaxError, compilePath } from '../../src/mapping/path.js';

const order = {
  currency: 'COP',
  note_attributes: [
    { name: 'colour', value: 'green' },
    { name: 'NIT', value: '900123456' },
    { name: 'NIT', value: 'second' },
    { name: 'Razón social', value: 'Tostadora Andina SAS' },
  ],
  payment_gateway_names: ['shopify_payments', 'manual'],
  line_items: [{ id: '1', variant_id: 44 }, { id: '2', variant_id: 45 }],
};

describe('path syntax', () => {
  const read = (path: string, scope: unknown = order, root: unknown = { order }) => compilePath(path)(scope, root);

  it('reads dotted keys', () => {
    expect(read('currency')).toBe('COP');
    expect(read('order.currency', { order })).toBe('COP');
  });

  it('reads [n] indexes, negative ones from the end', () => {
    expect(read('payment_gateway_names[0]')).toBe('shopify_payments');
    expect(read('payment_gateway_names[-1]')).toBe('manual');
    expect(read('payment_gateway_names[5]')).toBeUndefined();
    expect(read('line_items[1].id')).toBe('2');
  });

  it('[key=value] picks the first element whose key equals the value', () => {
    expect(read('note_attributes[name=NIT].value')).toBe('900123456');
    expect(read('note_attributes[name=nope].value')).toBeUndefined();
  });

  it('[key=value] compares as text, so numeric ids match', () => {
    expect(read('line_items[variant_id=45].id')).toBe('2');
  });

  it('a quoted filter value may hold spaces and accents', () => {
    expect(read('note_attributes[name="Razón social"].value')).toBe('Tostadora Andina SAS');
    expect(read("note_attributes[name='Razón social'].value")).toBe('Tostadora Andina SAS');
  });

  it('$root reads from the mapping input whatever the current scope is', () => {
    expect(read('$root.order.currency', { something: 'else' })).toBe('COP');
    expect(read('$root', 1, 'the root')).toBe('the root');
  });

  it('gives undefined through missing or null steps instead of throwing', () => {
    expect(read('billing_address.company')).toBeUndefined();
    expect(read('a.b', { a: null })).toBeUndefined();
    expect(read('currency[0]')).toBeUndefined();
    expect(read('line_items.id')).toBeUndefined();
  });

  it('never reaches the prototype chain', () => {
    expect(read('constructor', {})).toBeUndefined();
    expect(read('__proto__', {})).toBeUndefined();
    expect(read('a.toString', { a: {} })).toBeUndefined();
  });

  it.each([
    ['a..b', 'expected a key name'],
    ['a.', 'cannot end with a dot'],
    ['a[0', 'never closed'],
    ['a[]', 'index such as [0]'],
    ['a[=x]', 'index such as [0]'],
    ['$order.x', 'only $root may start with $'],
    ['a b', 'spaces'],
    ['a]', 'unexpected'],
  ])('rejects %s with a reason', (path, reason) => {
    expect(() => compilePath(path)).toThrow(PathSyntaxError);
    expect(() => compilePath(path)).toThrow(reason);
  });
});
