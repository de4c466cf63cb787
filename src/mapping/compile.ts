/**
 * Turns a mapping's `vars` and `fields` tree into plain functions, once, at load. Running a compiled
 * mapping never looks at the YAML tree again: each node became a closure over its compiled paths.
 *
 * The compiler validates as it walks: it decides what each map is (value node, forEach, list, object),
 * checks it against that node's zod schema from format.ts, and reports every problem with the location
 * of the node in the file, so an admin sees all mistakes at once.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { MappingError } from '../errors.js';
import {
  CONDITION_OPERATORS,
  ConstNode,
  FieldName,
  MODIFIER_KEYS,
  PathNode,
  RESERVED_SOURCE_KEYS,
  SOURCE_KEYS,
  TemplateNode,
  VarNode,
  conditionVariants,
  forEachShape,
  itemShape,
  lookupNodeShape,
  type AsType,
  type ConditionOperator,
  type Lookup,
} from './format.js';
import { ConversionError, convert, describeValue, negateDecimal, toDecimal } from './convert.js';
import { PathSyntaxError, compilePath, parsePath, type PathFunction } from './path.js';

/** Where a node sits in the mapping file: keys and indexes from the document root. */
export type SourcePath = (string | number)[];

export interface CompileIssue {
  at: SourcePath;
  /** Point at the key itself rather than its value (unknown keys, bad field names). */
  onKey?: boolean;
  message: string;
}

/** Per-run state: the input root, memoized vars, and the forEach indexes for error paths. */
interface RunContext {
  root: unknown;
  vars: Map<string, unknown>;
  indices: number[];
}

type Evaluate = (scope: unknown, ctx: RunContext) => unknown;
type Append = (scope: unknown, ctx: RunContext, out: unknown[]) => void;
type Predicate = (scope: unknown, ctx: RunContext) => boolean;

/** A segment of an output field path; EACH stands for the index of the current forEach element. */
const EACH = Symbol('each');
type OutputPath = readonly (string | typeof EACH)[];

function renderPath(path: OutputPath, ctx: RunContext): string {
  let text = '';
  let depth = 0;
  for (const segment of path) {
    if (segment === EACH) text += `[${ctx.indices[depth++] ?? '?'}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

/** Missing, null and blank text all count as "no value": defaults and `required` treat them alike. */
export function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keyText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

const copyJson = <T>(value: T): T => (typeof value === 'object' && value !== null ? structuredClone(value) : value);

// Node schemas with their recursive or union-typed parts left open: those parts are walked separately,
// so their errors point at themselves instead of surfacing as one "invalid union" at the parent.
const open = z.unknown().optional();
const VALUE_NODE_SCHEMAS = {
  path: PathNode.extend({ when: open }),
  const: ConstNode.extend({ when: open }),
  template: TemplateNode.extend({ when: open }),
  var: VarNode.extend({ when: open }),
  lookup: z.strictObject({ ...lookupNodeShape, key: z.unknown(), when: open }),
} as const;
const FOR_EACH_SCHEMA = z.strictObject({ ...forEachShape, where: open, when: open, fields: z.unknown() });
const ITEM_SCHEMA = z.strictObject({ ...itemShape, when: open, fields: z.unknown() });

type SourceKey = (typeof SOURCE_KEYS)[number];

export interface CompiledFields {
  run(input: unknown): Record<string, unknown>;
}

export class MappingCompiler {
  readonly issues: CompileIssue[] = [];
  private readonly compiledVars = new Map<string, Evaluate>();
  private readonly compilingVars = new Set<string>();
  private readonly brokenVars = new Set<string>();

  constructor(
    private readonly lookups: Record<string, Lookup>,
    private readonly vars: Record<string, unknown>,
  ) {}

  report(at: SourcePath, message: string, onKey = false): void {
    this.issues.push(onKey ? { at, message, onKey } : { at, message });
  }

  /** Validates with a zod schema and reports each issue at the node it concerns. */
  validate<T>(schema: z.ZodType<T>, raw: unknown, at: SourcePath, what: string): T | undefined {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) reportZodIssue(this, issue, at, what, raw);
    return undefined;
  }

  compileMapping(fields: Record<string, unknown>): CompiledFields {
    this.checkLookups();
    for (const name of Object.keys(this.vars)) this.compileVar(name);
    const evaluate = this.compileObject(fields, ['fields'], []);
    return {
      run: (input) => {
        const ctx: RunContext = { root: input, vars: new Map(), indices: [] };
        return (evaluate?.(input, ctx) as Record<string, unknown> | undefined) ?? {};
      },
    };
  }

  // ─── lookups and vars ─────────────────────────────────────────────────────────────────────────

  private checkLookups(): void {
    for (const [name, lookup] of Object.entries(this.lookups)) {
      if (lookup.onMissing === 'default' && lookup.default === undefined) {
        this.report(['lookups', name, 'onMissing'], `lookup ${name} has onMissing: default but no default — add default: <value>`);
      }
      if (lookup.onMissing !== 'default' && lookup.default !== undefined) {
        this.report(
          ['lookups', name, 'default'],
          `lookup ${name} has a default but onMissing: ${lookup.onMissing} never uses it — set onMissing: default or remove default`,
          true,
        );
      }
    }
  }

  private compileVar(name: string): Evaluate | undefined {
    const done = this.compiledVars.get(name);
    if (done) return done;
    if (!(name in this.vars) || this.brokenVars.has(name)) return undefined;
    if (this.compilingVars.has(name)) {
      this.brokenVars.add(name);
      this.report(['vars', name], `var ${name} depends on itself (through var references) — break the cycle`);
      return undefined;
    }
    this.compilingVars.add(name);
    const node = this.vars[name];
    const evaluate = isPlainObject(node) && this.sourcesOf(node).length > 0
      ? this.compileValue(node, ['vars', name], ['vars', name])
      : (this.report(['vars', name], `var ${name} must be a value node such as { path: order.email }`), undefined);
    this.compilingVars.delete(name);
    if (!evaluate) {
      this.brokenVars.add(name);
      return undefined;
    }
    const memoized: Evaluate = (_scope, ctx) => {
      if (ctx.vars.has(name)) return ctx.vars.get(name);
      const value = evaluate(ctx.root, ctx);
      ctx.vars.set(name, value);
      return value;
    };
    this.compiledVars.set(name, memoized);
    return memoized;
  }

  // ─── classification ───────────────────────────────────────────────────────────────────────────

  private sourcesOf(node: Record<string, unknown>): string[] {
    return [...SOURCE_KEYS, ...RESERVED_SOURCE_KEYS].filter((key) => key in node);
  }

  /** A field: value node, forEach node, list, or nested object. */
  compileField(raw: unknown, at: SourcePath, out: OutputPath): Evaluate | undefined {
    if (Array.isArray(raw)) return this.compileList(raw, at, out);
    if (!isPlainObject(raw)) {
      const hint = typeof raw === 'string' ? ` — write { path: ${raw} } to read it, or { const: ${JSON.stringify(raw)} } for a fixed value` : ' — write { const: <value> } for a fixed value';
      this.report(at, `a field must be a value node, a forEach node, a list or a map of fields, not ${describeValue(raw)}${hint}`);
      return undefined;
    }
    if ('forEach' in raw) {
      const append = this.compileForEach(raw, at, out);
      if (!append) return undefined;
      return (scope, ctx) => {
        const list: unknown[] = [];
        append(scope, ctx, list);
        return list;
      };
    }
    if (this.sourcesOf(raw).length > 0) return this.compileValue(raw, at, out);
    const misplaced = Object.keys(raw).filter((key) => (MODIFIER_KEYS as readonly string[]).includes(key) || ['key', 'pick', 'where', 'fields'].includes(key));
    if (misplaced.length > 0) {
      const words = misplaced.join(', ');
      const fix = misplaced.some((key) => key === 'fields' || key === 'where')
        ? 'add forEach: <list path> to make it a forEach node'
        : `add one source: ${listWords(SOURCE_KEYS)}`;
      this.report(at, `this node has ${words} but no source — ${fix}`);
      return undefined;
    }
    return this.compileObject(raw, at, out);
  }

  private compileObject(raw: Record<string, unknown>, at: SourcePath, out: OutputPath): Evaluate | undefined {
    const entries: [string, Evaluate][] = [];
    let broken = false;
    for (const [name, child] of Object.entries(raw)) {
      if (!FieldName.safeParse(name).success) {
        this.report([...at, name], `"${name}" cannot be an output field name: use letters, digits, _ or -, and none of the format's own words (path, const, forEach, …)`, true);
        broken = true;
        continue;
      }
      const evaluate = this.compileField(child, [...at, name], [...out, name]);
      if (evaluate) entries.push([name, evaluate]);
      else broken = true;
    }
    if (broken) return undefined;
    return (scope, ctx) => {
      const result: Record<string, unknown> = {};
      let filled = false;
      for (const [name, evaluate] of entries) {
        const value = evaluate(scope, ctx);
        if (value !== undefined) {
          result[name] = value;
          filled = true;
        }
      }
      // An object none of whose fields has a value is left out, like an empty value.
      return filled ? result : undefined;
    };
  }

  private compileList(raw: unknown[], at: SourcePath, out: OutputPath): Evaluate | undefined {
    if (raw.length === 0) {
      this.report(at, 'an empty list produces nothing — write { const: [] } for a fixed empty list, or add forEach nodes');
      return undefined;
    }
    const appenders: Append[] = [];
    let broken = false;
    raw.forEach((item, index) => {
      const itemAt = [...at, index];
      let append: Append | undefined;
      if (isPlainObject(item) && 'forEach' in item) append = this.compileForEach(item, itemAt, out);
      else if (isPlainObject(item) && 'fields' in item) append = this.compileItem(item, itemAt, out);
      else this.report(itemAt, 'each entry of a list must be a forEach node ({ forEach, fields }) or an item node ({ fields, when? })');
      if (append) appenders.push(append);
      else broken = true;
    });
    if (broken) return undefined;
    return (scope, ctx) => {
      const list: unknown[] = [];
      for (const append of appenders) append(scope, ctx, list);
      return list;
    };
  }

  private compileForEach(raw: Record<string, unknown>, at: SourcePath, out: OutputPath): Append | undefined {
    const node = this.validate(FOR_EACH_SCHEMA, raw, at, 'forEach node');
    if (!node) return undefined;
    const list = this.compilePathText(node.forEach, [...at, 'forEach']);
    const where = node.where === undefined ? undefined : this.compileConditionSpec(node.where, [...at, 'where'], [...out, EACH]);
    const when = node.when === undefined ? undefined : this.compileConditionSpec(node.when, [...at, 'when'], out);
    const fields = this.compileFieldsOf(node.fields, [...at, 'fields'], [...out, EACH]);
    if (!list || !fields || where === null || when === null) return undefined;
    return (scope, ctx, target) => {
      if (when && !when(scope, ctx)) return;
      const items = list(scope, ctx.root);
      if (items === undefined || items === null) return;
      if (!Array.isArray(items)) {
        throw new MappingError(renderPath(out, ctx), `forEach ${node.forEach} must be a list, but the input has ${describeValue(items)} there`);
      }
      const depth = ctx.indices.length;
      for (const item of items) {
        if (where && !where(item, ctx)) continue;
        ctx.indices[depth] = target.length;
        target.push(fields(item, ctx) ?? {});
      }
      ctx.indices.length = depth;
    };
  }

  private compileItem(raw: Record<string, unknown>, at: SourcePath, out: OutputPath): Append | undefined {
    const node = this.validate(ITEM_SCHEMA, raw, at, 'item node');
    if (!node) return undefined;
    const when = node.when === undefined ? undefined : this.compileConditionSpec(node.when, [...at, 'when'], out);
    const fields = this.compileFieldsOf(node.fields, [...at, 'fields'], [...out, EACH]);
    if (!fields || when === null) return undefined;
    return (scope, ctx, target) => {
      if (when && !when(scope, ctx)) return;
      const depth = ctx.indices.length;
      ctx.indices[depth] = target.length;
      target.push(fields(scope, ctx) ?? {});
      ctx.indices.length = depth;
    };
  }

  private compileFieldsOf(raw: unknown, at: SourcePath, out: OutputPath): Evaluate | undefined {
    if (!isPlainObject(raw) || this.sourcesOf(raw).length > 0 || 'forEach' in raw) {
      this.report(at, 'fields must be a map of output field name → node');
      return undefined;
    }
    return this.compileObject(raw, at, out);
  }

  // ─── value nodes ──────────────────────────────────────────────────────────────────────────────

  compileValue(raw: Record<string, unknown>, at: SourcePath, out: OutputPath): Evaluate | undefined {
    const sources = this.sourcesOf(raw);
    if (sources.length > 1) {
      this.report(at, `node has ${sources.length === 2 ? 'two' : sources.length} sources (${sources.join(', ')}): keep exactly one`);
      return undefined;
    }
    const source = sources[0] as SourceKey | 'expr';
    if (source === 'expr') {
      this.report([...at, 'expr'], 'expr is not supported in mapping format v1 yet — use path, const, template, lookup or var', true);
      return undefined;
    }
    type OpenValueNode = { default?: unknown; required?: boolean; as?: AsType; negate?: boolean; when?: unknown };
    const schema = VALUE_NODE_SCHEMAS[source] as unknown as z.ZodType<OpenValueNode>;
    const node = this.validate(schema, raw, at, `${source} node`);
    if (!node) return undefined;
    const when = node.when === undefined ? undefined : this.compileConditionSpec(node.when, [...at, 'when'], out);
    const produce = this.compileSource(source, node as Record<string, unknown>, at, out);
    if (node.negate && node.as !== 'decimal') {
      this.report([...at, 'negate'], 'negate flips the sign of a decimal — add as: decimal to this node', true);
      return undefined;
    }
    if (!produce || when === null) return undefined;
    return withModifiers(produce, {
      when,
      fallback: node.default === null ? undefined : node.default,
      required: node.required === true,
      as: node.as,
      negate: node.negate === true,
      out,
      origin: describeSource(source, node as Record<string, unknown>),
    });
  }

  private compileSource(source: SourceKey, node: Record<string, unknown>, at: SourcePath, out: OutputPath): Evaluate | undefined {
    switch (source) {
      case 'path':
        return this.compilePathSource(node.path as string | string[], [...at, 'path']);
      case 'const': {
        const value = node.const;
        return () => copyJson(value);
      }
      case 'template':
        return this.compileTemplate(node.template as string, [...at, 'template'], out);
      case 'var': {
        const name = node.var as string;
        if (!(name in this.vars)) {
          this.report([...at, 'var'], `var ${name} is not defined — add it under vars: at the top of the file`);
          return undefined;
        }
        return this.compileVar(name);
      }
      case 'lookup':
        return this.compileLookup(node, at, out);
    }
  }

  private compilePathText(text: string, at: SourcePath): PathFunction | undefined {
    try {
      return compilePath(text);
    } catch (error) {
      if (error instanceof PathSyntaxError) {
        this.report(at, `${error.message} — see the path syntax: a.b, list[0], list[name=NIT], $root.a`);
        return undefined;
      }
      throw error;
    }
  }

  private compilePathSource(spec: string | string[], at: SourcePath): Evaluate | undefined {
    if (typeof spec === 'string') {
      const read = this.compilePathText(spec, at);
      return read && ((scope, ctx) => read(scope, ctx.root));
    }
    const readers = spec.map((text, index) => this.compilePathText(text, [...at, index]));
    if (readers.some((read) => !read)) return undefined;
    const chain = readers as PathFunction[];
    return (scope, ctx) => {
      for (const read of chain) {
        const value = read(scope, ctx.root);
        if (!isEmpty(value)) return value;
      }
      return undefined;
    };
  }

  private compileTemplate(text: string, at: SourcePath, out: OutputPath): Evaluate | undefined {
    const literals: string[] = [];
    const readers: PathFunction[] = [];
    const placeholder = /\{\{([^{}]*)\}\}/g;
    let last = 0;
    let broken = false;
    for (const match of text.matchAll(placeholder)) {
      literals.push(text.slice(last, match.index));
      const read = this.compilePathText((match[1] ?? '').trim(), at);
      if (read) readers.push(read);
      else broken = true;
      last = match.index + match[0].length;
    }
    literals.push(text.slice(last));
    if (literals.some((literal) => literal.includes('{{') || literal.includes('}}'))) {
      this.report(at, 'template has a {{ without its }} (or the reverse) — placeholders look like {{order.name}}');
      return undefined;
    }
    if (readers.length === 0 && !broken) {
      this.report(at, 'template has no {{placeholder}} — use const for fixed text');
      return undefined;
    }
    if (broken) return undefined;
    return (scope, ctx) => {
      let result = literals[0] as string;
      for (let i = 0; i < readers.length; i++) {
        const value = (readers[i] as PathFunction)(scope, ctx.root);
        // One empty placeholder empties the whole text, so default/required apply instead of "shopify:".
        if (isEmpty(value)) return undefined;
        const text = keyText(value);
        if (text === undefined) {
          throw new MappingError(renderPath(out, ctx), `template placeholder ${i + 1} gives ${describeValue(value)}, not text or a number`);
        }
        result += text + (literals[i + 1] as string);
      }
      return result;
    };
  }

  private compileLookup(node: Record<string, unknown>, at: SourcePath, out: OutputPath): Evaluate | undefined {
    const name = node.lookup as string;
    const pick = node.pick as string | undefined;
    const lookup = this.lookups[name];
    if (node.key === undefined) {
      this.report(at, 'a lookup node needs key: the value to look up, e.g. key: { path: rate, as: string }');
      return undefined;
    }
    const key = isPlainObject(node.key) && this.sourcesOf(node.key).length > 0
      ? this.compileValue(node.key, [...at, 'key'], out)
      : (this.report([...at, 'key'], 'key must be a value node such as { path: rate, as: string }'), undefined);
    if (!lookup) {
      const known = Object.keys(this.lookups);
      this.report([...at, 'lookup'], `lookup ${name} is not defined — add it under lookups:${known.length ? ` (defined: ${known.join(', ')})` : ''}`);
      return undefined;
    }
    if (pick !== undefined) {
      const lacking = Object.entries(lookup.entries).filter(([, entry]) => !isPlainObject(entry) || !(pick in entry)).map(([k]) => k);
      if (lacking.length > 0) {
        this.report([...at, 'pick'], `pick: ${pick} needs every entry of lookup ${name} to be an object with ${pick}; these are not: ${lacking.slice(0, 5).join(', ')}`);
        return undefined;
      }
      if (lookup.default !== undefined && !(isPlainObject(lookup.default) && pick in lookup.default)) {
        this.report([...at, 'pick'], `pick: ${pick} needs the default of lookup ${name} to be an object with ${pick}`);
        return undefined;
      }
    }
    if (!key) return undefined;
    const entries = new Map(Object.entries(lookup.entries));
    const keyLabel = keyNoun(node.key);
    const choose = (entry: unknown): unknown =>
      copyJson(pick === undefined ? entry : (entry as Record<string, unknown>)[pick]);
    return (scope, ctx) => {
      const keyValue = key(scope, ctx);
      if (isEmpty(keyValue)) return undefined;
      const text = keyText(keyValue);
      if (text === undefined) {
        throw new MappingError(renderPath(out, ctx), `the key for lookup ${name} is ${describeValue(keyValue)}, not text or a number`);
      }
      if (entries.has(text)) return choose(entries.get(text));
      switch (lookup.onMissing) {
        case 'default':
          return choose(lookup.default);
        case 'passthrough':
          return text;
        case 'fail':
          throw new MappingError(
            renderPath(out, ctx),
            `${keyLabel} ${text.length > 40 ? `${text.slice(0, 40)}…` : text} has no entry in lookup ${name} (onMissing: fail) — add it to the lookup`,
          );
      }
    };
  }

  // ─── conditions ───────────────────────────────────────────────────────────────────────────────

  /** Returns null when the condition is broken (already reported). */
  compileConditionSpec(raw: unknown, at: SourcePath, out: OutputPath): Predicate | null {
    if (typeof raw === 'string') {
      this.report(at, 'conditions written as expressions are not supported in mapping format v1 yet — write { path: <path>, equals: <value> } (or notEquals, in, notIn, exists, lessThan, greaterThan)');
      return null;
    }
    if (Array.isArray(raw)) {
      if (raw.length === 0) {
        this.report(at, 'an empty list of conditions — remove it or add a condition');
        return null;
      }
      const all = raw.map((item, index) => this.compileCondition(item, [...at, index], out));
      if (all.some((predicate) => predicate === null)) return null;
      const predicates = all as Predicate[];
      return (scope, ctx) => predicates.every((predicate) => predicate(scope, ctx));
    }
    return this.compileCondition(raw, at, out);
  }

  private compileCondition(raw: unknown, at: SourcePath, out: OutputPath): Predicate | null {
    if (!isPlainObject(raw)) {
      this.report(at, 'a condition is a map such as { path: current_quantity, notIn: [0, "0"] }');
      return null;
    }
    const operators = CONDITION_OPERATORS.filter((op) => op in raw);
    if (operators.length !== 1) {
      this.report(
        at,
        operators.length === 0
          ? `a condition needs one operator: ${listWords(CONDITION_OPERATORS)}`
          : `condition has ${operators.length === 2 ? 'two' : operators.length} operators (${operators.join(', ')}): keep exactly one`,
      );
      return null;
    }
    const operator = operators[0] as ConditionOperator;
    const node = this.validate(conditionVariants[operator] as z.ZodType<Record<string, unknown>>, raw, at, `${operator} condition`);
    if (!node) return null;
    const read = this.compilePathText(node.path as string, [...at, 'path']);
    if (!read) return null;
    const as = node.as as AsType | undefined;
    const operand = node[operator];

    const fail = (ctx: RunContext, error: unknown): never => {
      if (error instanceof ConversionError) {
        throw new MappingError(renderPath(out, ctx), `condition on ${node.path as string}: ${error.message}`);
      }
      throw error;
    };

    if (operator === 'exists') {
      const wanted = operand === true;
      return (scope, ctx) => !isEmpty(read(scope, ctx.root)) === wanted;
    }
    if (operator === 'lessThan' || operator === 'greaterThan') {
      let bound: Decimal;
      try {
        bound = new Decimal(toDecimal(operand));
      } catch (error) {
        if (!(error instanceof ConversionError)) throw error;
        this.report([...at, operator], `${operator} needs a decimal number: ${error.message}`);
        return null;
      }
      const less = operator === 'lessThan';
      return (scope, ctx) => {
        const value = read(scope, ctx.root);
        if (isEmpty(value)) return false;
        let decimal: Decimal;
        try {
          decimal = new Decimal(toDecimal(value));
        } catch (error) {
          return fail(ctx, error);
        }
        return less ? decimal.lt(bound) : decimal.gt(bound);
      };
    }

    // equals / notEquals / in / notIn
    const wantedList = (Array.isArray(operand) ? operand : [operand]) as unknown[];
    let comparands: unknown[];
    try {
      comparands = as ? wantedList.map((value) => (value === null ? null : convert(value, as))) : wantedList;
    } catch (error) {
      if (!(error instanceof ConversionError)) throw error;
      this.report([...at, operator], `cannot compare as ${as}: ${error.message}`);
      return null;
    }
    const same = as === 'decimal'
      ? (a: unknown, b: unknown) => a !== null && b !== null && new Decimal(a as string).eq(b as string)
      : (a: unknown, b: unknown) => a === b;
    const negated = operator === 'notEquals' || operator === 'notIn';
    return (scope, ctx) => {
      let value = read(scope, ctx.root);
      if (as && !isEmpty(value)) {
        try {
          value = convert(value, as);
        } catch (error) {
          fail(ctx, error);
        }
      }
      const found = comparands.some((candidate) => same(value, candidate) || (value === undefined && candidate === null));
      return negated ? !found : found;
    };
  }
}

// ─── helpers ──────────────────────────────────────────────────────────────────────────────────────

interface Modifiers {
  when: Predicate | undefined;
  fallback: unknown;
  required: boolean;
  as: AsType | undefined;
  negate: boolean;
  out: OutputPath;
  origin: string;
}

function withModifiers(produce: Evaluate, m: Modifiers): Evaluate {
  const { when, fallback, required, as, negate, out, origin } = m;
  const hasFallback = fallback !== undefined;
  return (scope, ctx) => {
    // A false `when` counts as "no value", so `default` gives the else-branch: { const: a, when: …, default: b }.
    let value = when && !when(scope, ctx) ? undefined : produce(scope, ctx);
    if (isEmpty(value)) {
      if (hasFallback) value = copyJson(fallback);
      else if (required) {
        throw new MappingError(renderPath(out, ctx), `is required, but ${origin} gave no value and there is no default — fix the source data or add a default`);
      } else return undefined;
    }
    if (as) {
      try {
        value = convert(value, as);
      } catch (error) {
        if (error instanceof ConversionError) {
          throw new MappingError(renderPath(out, ctx), `${error.message} (read from ${origin}, as: ${as})`);
        }
        throw error;
      }
    }
    if (negate) value = negateDecimal(value as string);
    return value;
  };
}

function describeSource(source: SourceKey, node: Record<string, unknown>): string {
  switch (source) {
    case 'path':
      return Array.isArray(node.path) ? `paths ${(node.path as string[]).join(', ')}` : `path ${node.path as string}`;
    case 'const':
      return 'const';
    case 'template':
      return 'the template';
    case 'var':
      return `var ${node.var as string}`;
    case 'lookup':
      return `lookup ${node.lookup as string}`;
  }
}

/** How a lookup miss names its key: by the last key of its path ("rate 0.07"), else "key". */
function keyNoun(keyNode: unknown): string {
  if (!isPlainObject(keyNode) || typeof keyNode.path !== 'string') return 'key';
  try {
    const steps = parsePath(keyNode.path).steps;
    const last = steps[steps.length - 1];
    return last?.kind === 'key' ? last.key : 'key';
  } catch {
    return 'key';
  }
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Turns a zod issue into a sentence that says what is wrong and how to fix it, at its node. */
export function reportZodIssue(
  compiler: { report: MappingCompiler['report'] },
  issue: z.core.$ZodIssue,
  at: SourcePath,
  what: string,
  raw: unknown,
): void {
  const where = [...at, ...(issue.path as (string | number)[])];
  const field = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  const input = valueAt(raw, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        compiler.report(
          [...where, key],
          key === 'expr'
            ? 'expr is not supported in mapping format v1 yet — use path, const, template, lookup or var'
            : `unknown key "${key}" in ${issue.path.length > 0 ? issue.path.map(String).join('.') : what} — remove it or fix its spelling`,
          true,
        );
      }
      return;
    case 'invalid_type':
      compiler.report(
        where,
        input === undefined
          ? `${field || `${what}: `}is missing — add it (${issue.expected} expected)`
          : `${field}expected ${issue.expected}, found ${describeValue(input)}`,
      );
      return;
    case 'invalid_value':
      compiler.report(where, `${field}${describeValue(input)} is not allowed — use ${listWords(issue.values.map((v) => JSON.stringify(v)))}`);
      return;
    case 'invalid_union': {
      // Unions of plain types (text | number | …): say which types fit instead of "Invalid input".
      const expected = [...new Set(issue.errors.flat().filter((e) => e.code === 'invalid_type' && e.path.length === 0).map((e) => (e as { expected: string }).expected))];
      compiler.report(
        where,
        expected.length > 0
          ? `${field}expected ${listWords(expected)}, found ${describeValue(input)}`
          : `${field}${describeValue(input)} does not have any of the accepted shapes here — see schemas/mapping.v1.schema.json`,
      );
      return;
    }
    default:
      compiler.report(where, `${field}${issue.message}`);
  }
}

export { EACH };
