/**
 * Generated JSON texts shaped to trip an id-preserving parser: ids and `_ids` lists at any depth, number
 * literals in every form (odd ones and integers past 2^53 included), escapes in keys and values, raw
 * non-ASCII text and whitespace between tokens. Keys are unique per object, so that the value kept
 * for a key is not a question (body-scan.test.ts has an example of a repeated key).
 */
import fc from 'fast-check';

const numberLiteral = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
  fc.constantFrom('0', '-0', '5.0', '5e0', '50E-1', '-0.0', '1e2', '0.5', '9007199254740993', '9007199254740991', '1e300', '12.5e1', '01', '-01', '00'),
);
const key = fc.constantFrom('id', 'order_id', 'line_item_ids', 'tag_ids', 'note', 'quantity', 'rate', '__proto__', 'a\\"_id', 'x\\"id', 'a\\\\', '\\u0069d', 'x_\\u0069ds', 'valid', 'descripción', '_id', 'ids');
const otherValue = fc.constantFrom(
  '"5.0"', '"-0"', 'true', 'null', 'false', '"a\\u0026b"', '"12345678901234567890"', '"{\\"id\\": 5, \\"x_ids\\": [1]}"',
  '"café"', '"línea\\nnueva\\t\\/"', '"\\ud83d\\ude00"', '""',
);
const space = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');

const tied = fc.letrec<{ text: string; object: string; array: string }>((tie) => ({
  text: fc.oneof({ depthSize: 'small', withCrossShrink: true }, numberLiteral, otherValue, tie('object'), tie('array')),
  object: fc
    .tuple(fc.uniqueArray(fc.tuple(key, tie('text')), { maxLength: 5, selector: ([k]) => k }), space)
    .map(([members, ws]) => `{${members.map(([k, v]) => `${ws}"${k}":${ws}${v}`).join(',')}${ws}}`),
  array: fc.tuple(fc.array(tie('text'), { maxLength: 5 }), space).map(([items, ws]) => `[${items.join(`,${ws}`)}]`),
}));

/** Any JSON value, mostly valid. */
export const jsonText = tied.text;
/** A JSON object, as a webhook body is. */
export const jsonObjectText = tied.object;
