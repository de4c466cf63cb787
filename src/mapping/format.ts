/**
 * The mapping file format, v1 (`apiVersion: puente.mapping/v1`), defined once here in zod.
 *
 * The same schemas serve three purposes: the TypeScript types of a parsed mapping, the loader's
 * validation (node by node, so every error names the node it is about), and the JSON Schema that
 * editors use (schemas/mapping.v1.schema.json, written by write-json-schema.ts).
 *
 * The format is closed: unknown keys are errors. A field in `fields` is one of
 *   - a value node:   exactly one source (path | const | template | lookup | var | expr) plus modifiers,
 *   - a forEach node: `forEach: <path>` with optional `where`, `when` and nested `fields`,
 *   - a list:         forEach nodes and item nodes (`{ fields, when? }`) whose outputs are concatenated,
 *   - an object:      a plain map of field name → field (nested output object).
 * Which one a map is follows from its keys (a source key → value node, `forEach` → forEach node,
 * otherwise an object), so the structural words below cannot be used as output field names.
 *
 * `expr` and conditions written as text are guarded JSONata (expression.ts): an allow-listed subset,
 * compiled once at load. Every other node compiles to plain functions.
 */
import { z } from 'zod';
import { DOCUMENT_KINDS } from '../domain/fiscal-document.js';
import { SOURCE_EVENT_KINDS } from '../connector.js';

export const API_VERSION = 'puente.mapping/v1';

/** Keys that produce a value. A value node has exactly one of them. */
export const SOURCE_KEYS = ['path', 'const', 'template', 'lookup', 'var', 'expr'] as const;
/** Sources the format reserves for a later version (none left: expr landed in v1). */
export const RESERVED_SOURCE_KEYS = [] as const;
export const MODIFIER_KEYS = ['default', 'required', 'as', 'negate', 'when'] as const;
/** Words that give a map its meaning; an output field cannot be called like this. */
export const STRUCTURAL_KEYS = [
  ...SOURCE_KEYS,
  ...RESERVED_SOURCE_KEYS,
  ...MODIFIER_KEYS,
  'key',
  'pick',
  'forEach',
  'where',
  'fields',
] as const;

export const AS_TYPES = [
  'string',
  'integer',
  'decimal',
  'boolean',
  /** YYYY-MM-DD, the local date in the offset the datetime carries. */
  'date',
  /** HH:MM:SS, the local time in the offset the datetime carries. */
  'time',
  /** HH:MM:SS±hh:mm, the local time followed by its offset (Z is written +00:00). */
  'offsetTime',
  /** An ISO 8601 datetime with offset, checked and passed through. */
  'datetime',
] as const;
export const AsType = z
  .enum(AS_TYPES)
  .describe(
    'Convert the value: string | integer | decimal (exact decimal string, never via float) | boolean | ' +
      'date (YYYY-MM-DD) | time (HH:MM:SS) | offsetTime (HH:MM:SS±hh:mm) | datetime (ISO with offset). ' +
      'Dates and times are read in the offset the input carries, never in the machine time zone.',
  );
export type AsType = z.infer<typeof AsType>;

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const structuralWords = STRUCTURAL_KEYS.join('|');
/** Output field names: identifiers or kebab-case, minus the structural words. */
export const FIELD_NAME_PATTERN = new RegExp(
  `^(?!(?:${structuralWords}|__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_-]*$`,
);

export const PathText = z
  .string()
  .min(1)
  .describe(
    'Where to read the value: dotted keys, [n] index (negative counts from the end), [key=value] filter ' +
      '(first element whose key equals value). Relative to the current forEach item; $root. starts at the ' +
      'mapping input. Example: order.note_attributes[name=NIT].value',
  );
export const PathSpec = z
  .union([PathText, z.array(PathText).min(1)])
  .describe('A path, or a list of paths: the first one that gives a non-empty value wins.');

export const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

// ─── Conditions (where / when) ──────────────────────────────────────────────────────────────────

const conditionBase = {
  path: PathText,
  as: AsType.optional().describe('Convert the value before comparing (decimal compares numerically).'),
};
export const CONDITION_OPERATORS = ['equals', 'notEquals', 'in', 'notIn', 'exists', 'lessThan', 'greaterThan'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** One schema per operator, so the loader can validate a condition against the operator it names. */
export const conditionVariants = {
  equals: z.strictObject({ ...conditionBase, equals: Scalar }),
  notEquals: z.strictObject({ ...conditionBase, notEquals: Scalar }),
  in: z.strictObject({ ...conditionBase, in: z.array(Scalar).min(1) }),
  notIn: z.strictObject({ ...conditionBase, notIn: z.array(Scalar).min(1) }),
  exists: z.strictObject({ path: PathText, exists: z.boolean() }),
  lessThan: z.strictObject({ path: PathText, lessThan: z.union([z.string(), z.number()]) }),
  greaterThan: z.strictObject({ path: PathText, greaterThan: z.union([z.string(), z.number()]) }),
} satisfies Record<ConditionOperator, z.ZodType>;

export const Condition = z
  .union([
    conditionVariants.equals,
    conditionVariants.notEquals,
    conditionVariants.in,
    conditionVariants.notIn,
    conditionVariants.exists,
    conditionVariants.lessThan,
    conditionVariants.greaterThan,
  ])
  .describe(
    'A structural condition on one path with exactly one operator: equals | notEquals | in | notIn | ' +
      'exists | lessThan | greaterThan (the last two compare decimals exactly). Values compare strictly ' +
      '(1 and "1" differ) unless `as` converts them first.',
  )
  .meta({ id: 'Condition' });
export type Condition = z.infer<typeof Condition>;

/** The longest expression a mapping may hold; longer logic belongs in domain code. */
export const MAX_EXPRESSION_LENGTH = 1000;

export const ExpressionText = z
  .string()
  .min(1)
  .max(MAX_EXPRESSION_LENGTH)
  .describe(
    'A guarded JSONata expression (at most 1,000 characters): paths, comparisons, and/or, ?:, ??, & and the ' +
      'allowed $functions. $ is the current item, $root the mapping input, $runTime the document\'s issue time, ' +
      '$<var> a var of this file. No lambdas, regexes, :=, ranges, $eval, $now, $random or $round.',
  );

export const ConditionSpec = z
  .union([ExpressionText, Condition, z.array(z.union([Condition, ExpressionText])).min(1)])
  .describe('A condition written as an expression, one structural condition, or a list of them that must all hold.');
export type ConditionSpec = z.infer<typeof ConditionSpec>;

// ─── Value nodes ────────────────────────────────────────────────────────────────────────────────

export const modifiers = {
  default: z.json().optional().describe('Used when the source gives nothing (missing, null or blank text).'),
  required: z
    .boolean()
    .optional()
    .describe('Fail the document (with this field path) when neither the source nor the default gives a value.'),
  as: AsType.optional(),
  negate: z
    .boolean()
    .optional()
    .describe('Flip the sign of a decimal (needs as: decimal). Exact: the digits are kept, only the sign changes.'),
  when: ConditionSpec.optional().describe(
    'Use the source only when this condition holds; otherwise the node has no value, so `default` (the else-branch) and `required` apply.',
  ),
};

export const PathNode = z.strictObject({ path: PathSpec, ...modifiers }).meta({ id: 'PathNode' });
export const ConstNode = z
  .strictObject({ const: z.json().describe('A fixed value, copied as written.'), ...modifiers })
  .meta({ id: 'ConstNode' });
export const TemplateNode = z
  .strictObject({
    template: z
      .string()
      .describe('Text with {{path}} placeholders, e.g. "shopify:{{shop}}". Empty when any placeholder is empty.'),
    ...modifiers,
  })
  .meta({ id: 'TemplateNode' });
export const ExprNode = z
  .strictObject({
    expr: ExpressionText.describe(
      'A guarded JSONata expression computing the value (never money: amounts are copied with path and computed by domain code). ' +
        'A path that matches several items gives several values, which a field refuses: wrap it in [ ] for a list.',
    ),
    ...modifiers,
  })
  .meta({ id: 'ExprNode' });
export const VarNode = z
  .strictObject({ var: z.string().regex(identifier).describe('The name of an entry in `vars`.'), ...modifiers })
  .meta({ id: 'VarNode' });

export type ValueNode =
  | z.infer<typeof PathNode>
  | z.infer<typeof ConstNode>
  | z.infer<typeof TemplateNode>
  | z.infer<typeof VarNode>
  | z.infer<typeof ExprNode>
  | LookupNodeShape;

export interface LookupNodeShape {
  lookup: string;
  key: ValueNode;
  pick?: string | undefined;
  default?: z.infer<typeof modifiers.default>;
  required?: boolean | undefined;
  as?: AsType | undefined;
  negate?: boolean | undefined;
  when?: ConditionSpec | undefined;
}

/** A lookup node with its key left open, so the loader can validate the key node on its own. */
export const lookupNodeShape = {
  lookup: z.string().regex(identifier).describe('The name of an entry in `lookups`.'),
  pick: z.string().min(1).optional().describe('When the entries are objects: the field of the entry to use.'),
  ...modifiers,
};

export const ValueNode: z.ZodType<ValueNode> = z
  .lazy(() =>
    z.union([
      PathNode,
      ConstNode,
      TemplateNode,
      VarNode,
      ExprNode,
      z
        .strictObject({ ...lookupNodeShape, key: ValueNode.describe('The value looked up (numbers are turned into text).') })
        .meta({ id: 'LookupNode' }),
    ]),
  )
  .meta({ id: 'ValueNode' });

// ─── Structure: objects, forEach, lists ─────────────────────────────────────────────────────────

export type FieldNode = ValueNode | ForEachNodeShape | ListItemNode[] | FieldMap;
export interface FieldMap {
  [field: string]: FieldNode;
}
export interface ForEachNodeShape {
  forEach: string;
  where?: ConditionSpec | undefined;
  when?: ConditionSpec | undefined;
  fields: FieldMap;
}
export interface ItemNodeShape {
  fields: FieldMap;
  when?: ConditionSpec | undefined;
}
export type ListItemNode = ForEachNodeShape | ItemNodeShape;

export const FieldName = z
  .string()
  .regex(FIELD_NAME_PATTERN, 'must be a field name (letters, digits, _ or -) that is not a structural word of the format');

export const forEachShape = {
  forEach: PathText.describe('The list to iterate; a missing list gives []. Inside, paths are relative to the item.'),
  where: ConditionSpec.optional().describe('Keep only the items for which this holds (checked on each item).'),
  when: ConditionSpec.optional().describe('Produce the list only when this holds (checked before iterating).'),
};
export const itemShape = {
  when: ConditionSpec.optional().describe('Produce this one element only when this holds.'),
};

export const FieldMap: z.ZodType<FieldMap> = z
  .lazy(() => z.record(FieldName, FieldNode))
  .describe('Output fields, by name.')
  .meta({ id: 'FieldMap' });
export const ForEachNode: z.ZodType<ForEachNodeShape> = z
  .lazy(() => z.strictObject({ ...forEachShape, fields: FieldMap }))
  .meta({ id: 'ForEachNode' });
export const ItemNode: z.ZodType<ItemNodeShape> = z
  .lazy(() => z.strictObject({ ...itemShape, fields: FieldMap }))
  .meta({ id: 'ItemNode' });
export const ListNode = z
  .array(z.union([ForEachNode, ItemNode]))
  .min(1)
  .describe('A list of forEach nodes and item nodes; their elements are concatenated in order.')
  .meta({ id: 'ListNode' });
export const FieldNode: z.ZodType<FieldNode> = z
  .lazy(() => z.union([ValueNode, ForEachNode, ListNode, FieldMap]))
  .meta({ id: 'FieldNode' });

// ─── Lookups, vars, the file ────────────────────────────────────────────────────────────────────

export const LOOKUP_MISS_POLICIES = ['fail', 'default', 'passthrough'] as const;
export const Lookup = z
  .strictObject({
    entries: z
      .record(z.string(), z.json())
      .describe('key → value. Keys are text: write "0.19", not 0.19, to keep them exact.'),
    onMissing: z
      .enum(LOOKUP_MISS_POLICIES)
      .describe('fail: the document needs attention · default: use `default` · passthrough: use the key itself'),
    default: z.json().optional().describe('The value for keys not in entries (onMissing: default).'),
    description: z.string().optional(),
  })
  .meta({ id: 'Lookup' });
export type Lookup = z.infer<typeof Lookup>;

export const SystemName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lower-case system name such as shopify');
/** The canonical document, the system between stage 1 and stage 2. */
export const FISCAL_DOCUMENT_SYSTEM = 'fiscal-document';

export const MappingSource = z
  .strictObject({
    system: SystemName.describe('shopify, woocommerce, … or fiscal-document for stage 2 mappings.'),
    events: z.array(z.enum(SOURCE_EVENT_KINDS)).min(1).optional().describe('Stage 1: the source events this mapping handles.'),
  })
  .meta({ id: 'MappingSource' });
export const MappingTarget = z
  .strictObject({
    system: SystemName.describe('fiscal-document for stage 1, the target API (apidian, …) for stage 2.'),
    document: z.enum(DOCUMENT_KINDS),
  })
  .meta({ id: 'MappingTarget' });

export const GoldenTest = z.strictObject({
  input: z.string().min(1).describe('JSON file with the mapping input, relative to the mapping file.'),
  expect: z.string().min(1).describe('JSON file with the exact expected output, relative to the mapping file.'),
  description: z.string().optional(),
});
export type GoldenTest = z.infer<typeof GoldenTest>;

export const MappingFile = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('DocumentMapping'),
    metadata: z.strictObject({
      id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
      revision: z.number().int().positive().describe('Raise it on every change; documents record it.'),
      description: z.string().optional(),
    }),
    source: MappingSource,
    target: MappingTarget,
    lookups: z.record(z.string().regex(identifier), Lookup).optional(),
    vars: z
      .record(z.string().regex(identifier), ValueNode)
      .optional()
      .describe('Named values computed once per document from the mapping input root, used with `var:` or as $name in expressions.'),
    fields: FieldMap,
    tests: z.array(GoldenTest).optional(),
  })
  .describe('A Puente document mapping (format v1).');
export type MappingFile = z.infer<typeof MappingFile>;

/**
 * The file with its tree left open: the loader validates the envelope with this, then walks lookups,
 * vars and fields entry by entry with the schemas above, so each error can point at its own node.
 */
export const MappingEnvelope = MappingFile.extend({
  lookups: z.record(z.string().regex(identifier), z.unknown()).optional(),
  vars: z.record(z.string().regex(identifier), z.unknown()).optional(),
  fields: z.record(z.string(), z.unknown()),
});
