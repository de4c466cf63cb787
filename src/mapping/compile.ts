/**
 * Turns a mapping's `vars` and `fields` tree into plain functions, once, at load. Running a compiled
 * mapping never looks at the YAML tree again: each node became a closure over its compiled paths.
 *
 * The compiler validates as it walks: it decides what each map is (value node, forEach, list, object),
 * checks it against that node's zod schema from format.ts, and reports every problem with the location
 * of the node in the file, so an admin sees all mistakes at once. It also collects the lint findings
 * (unused vars, unreachable conditions, O(n²) expressions, …) as warnings or errors with a code.
 *
 * Synchronous unless it must not be: JSONata evaluates asynchronously, so a node whose subtree holds
 * an expression compiles to an async function, and so do its ancestors — but only they. A mapping
 * without expressions runs exactly as before, with no promise anywhere; in one with expressions,
 * every subtree free of them stays synchronous.
 */
import { z } from 'zod';
import { MappingError } from '../errors.js';
import {
  CONDITION_OPERATORS,
  ConstNode,
  ExprNode,
  FieldName,
  MAX_EXPRESSION_LENGTH,
  MODIFIER_KEYS,
  PathNode,
  SOURCE_KEYS,
  TemplateNode,
  VarNode,
  conditionVariants,
  forEachShape,
  itemShape,
  lookupNodeShape,
  type AsType,
  type Condition,
  type ConditionOperator,
  type Lookup,
} from './format.js';
import { ConversionError, compareDecimals, convert, converterFor, describeValue, negateDecimal, signOfDecimal, toDecimal } from './convert.js';
import { forEachLoop, objectBuilder, registerInline, type InlineNode, type NodeFunction } from './codegen.js';
import { contradictionIn } from './contradiction.js';
import {
  AmbiguousResult,
  BOUND_NAMES,
  ExpressionFailure,
  compileExpression,
  jsonataTruthy,
  toFieldValue,
  type GuardedExpression,
} from './expression.js';
import { PathSyntaxError, compilePath, parsePath, type PathFunction } from './path.js';
import { tracing } from './trace.js';

/** Where a node sits in the mapping file: keys and indexes from the document root. */
export type SourcePath = (string | number)[];

export type Severity = 'error' | 'warning';

export interface CompileIssue {
  at: SourcePath;
  /** Point at the key itself rather than its value (unknown keys, bad field names). */
  onKey?: boolean;
  message: string;
  /** Absent means error. */
  severity?: Severity;
  /** A stable name for the kind of problem (unused-var, forbidden-function, …); absent means invalid. */
  code?: string;
  /** For problems inside an expression: the 0-based character in the expression text. */
  offset?: number;
}

/** Per-run state: the input root, memoized vars, and the forEach indexes for error paths. */
interface RunContext {
  root: unknown;
  vars: Map<string, unknown>;
  indices: number[];
  /** $root and $runTime for expressions, made on first use. */
  bindings?: Record<string, unknown>;
}

type Evaluate = (scope: unknown, ctx: RunContext) => unknown;
type Append = (scope: unknown, ctx: RunContext, out: unknown[]) => void | Promise<void>;
type Predicate = (scope: unknown, ctx: RunContext) => boolean | Promise<boolean>;
type SyncPredicate = (scope: unknown, ctx: RunContext) => boolean;

/** What a false condition means, for the unreachable-when lint. */
type ConditionRole = 'node' | 'forEach' | 'where' | 'item';
const CONDITION_CONSEQUENCES: Record<ConditionRole, string> = {
  node: 'the node never gives its source (only its default, if any)',
  forEach: 'this forEach never produces anything',
  where: 'this forEach never keeps an item',
  item: 'this item is never produced',
};

/** Compiled functions that may return a promise: their subtree holds an expression. */
const ASYNC = new WeakSet<object>();
function markAsync<F extends object>(fn: F): F {
  ASYNC.add(fn);
  return fn;
}
const isAsync = (fn: object | null | undefined): boolean => fn !== null && fn !== undefined && ASYNC.has(fn);

/** Raised when an expression fails at run time; `site` is where the expression sits in the file. */
export class ExpressionError extends MappingError {
  constructor(
    path: string,
    message: string,
    readonly site: SourcePath,
    /** JSONata's code (D1012 = timeout …) or `ambiguous` for several values where one was expected. */
    readonly code: string,
    /** The expression broke a guardrail (time, depth, list size) rather than meeting odd data. */
    readonly isLimit: boolean,
  ) {
    super(path, message);
    this.name = 'ExpressionError';
  }
}

/**
 * What `$runTime` is: the document's issue time, which the pipeline fixes once per document and
 * passes in the mapping input (stage 1: `issuedAt`; stage 2: `document.issuedAt`). Never the clock.
 */
export function runTimeOf(input: unknown): unknown {
  if (!isPlainObject(input)) return undefined;
  if (typeof input.issuedAt === 'string') return input.issuedAt;
  const document = input.document;
  return isPlainObject(document) && typeof document.issuedAt === 'string' ? document.issuedAt : undefined;
}

function baseBindings(ctx: RunContext): Record<string, unknown> {
  return (ctx.bindings ??= { root: ctx.root, runTime: runTimeOf(ctx.root) });
}

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

/** A synchronous lookup's two halves, for inlining (codegen.ts): the key node and the table. */
const LOOKUP_PARTS = new WeakMap<object, { find: (key: unknown, ctx: RunContext) => unknown; key: Evaluate }>();
type InlineLookup = (key: unknown, ctx: { root: unknown }) => unknown;

/** How many forEach/list levels enclose an output path. */
const eachDepth = (path: OutputPath): number => path.filter((segment) => segment === EACH).length;

/** Missing, null and blank text all count as "no value": defaults and `required` treat them alike. */
export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'string') return false;
  if (value.length === 0) return true;
  // Blank text starts with white space: skip trim()'s copy for all other text (nearly every value).
  const first = value.charCodeAt(0);
  return (first <= 32 || first === 0xa0 || first >= 0x1680) && value.trim() === '';
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
  // The text is checked by compileExpressionAt, which can point inside it.
  expr: ExprNode.extend({ expr: z.string(), when: open }),
} as const;
const FOR_EACH_SCHEMA = z.strictObject({ ...forEachShape, where: open, when: open, fields: z.unknown() });
const ITEM_SCHEMA = z.strictObject({ ...itemShape, when: open, fields: z.unknown() });

type SourceKey = (typeof SOURCE_KEYS)[number];

export interface CompiledFields {
  /** A promise only when the mapping evaluates expressions at run time (`usesExpressions`). */
  run(input: unknown): Record<string, unknown> | Promise<Record<string, unknown>>;
  readonly usesExpressions: boolean;
}

export class MappingCompiler {
  readonly issues: CompileIssue[] = [];
  private readonly compiledVars = new Map<string, Evaluate>();
  private readonly compilingVars = new Set<string>();
  private readonly brokenVars = new Set<string>();
  private readonly usedVars = new Set<string>();
  private readonly usedLookups = new Set<string>();
  /** How many forEach loops enclose the node being compiled (per-item work makes $root scans O(n²)). */
  private loopDepth = 0;

  constructor(
    private readonly lookups: Record<string, Lookup>,
    private readonly vars: Record<string, unknown>,
  ) {}

  report(at: SourcePath, message: string, onKey = false, code?: string): void {
    this.issues.push({ at, message, ...(onKey ? { onKey } : {}), ...(code ? { code } : {}) });
  }

  /** A lint finding: a stable code, a severity and a sentence saying how to fix it. */
  lint(at: SourcePath, code: string, severity: Severity, message: string, options: { onKey?: boolean; offset?: number } = {}): void {
    this.issues.push({ at, code, severity, message, ...options });
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
    this.lintUnused();
    // Expressions folded to constants at load run synchronously: only JSONata at run time is async.
    const usesExpressions = evaluate !== undefined && isAsync(evaluate);
    if (evaluate && isAsync(evaluate)) {
      return {
        usesExpressions,
        run: async (input) => {
          const ctx: RunContext = { root: input, vars: new Map(), indices: [] };
          return ((await evaluate(input, ctx)) as Record<string, unknown> | undefined) ?? {};
        },
      };
    }
    return {
      usesExpressions,
      run: (input) => {
        const ctx: RunContext = { root: input, vars: new Map(), indices: [] };
        return (evaluate?.(input, ctx) as Record<string, unknown> | undefined) ?? {};
      },
    };
  }

  private lintUnused(): void {
    for (const name of Object.keys(this.vars)) {
      if (!this.usedVars.has(name) && !this.brokenVars.has(name)) {
        this.lint(['vars', name], 'unused-var', 'warning', `var ${name} is never used — remove it, or use it with { var: ${name} } or $${name} in an expression`, { onKey: true });
      }
    }
    for (const name of Object.keys(this.lookups)) {
      if (!this.usedLookups.has(name)) {
        this.lint(['lookups', name], 'unused-lookup', 'warning', `lookup ${name} is never used — remove it, or use it with { lookup: ${name}, key: … }`, { onKey: true });
      }
    }
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
    if (!Object.hasOwn(this.vars, name) || this.brokenVars.has(name)) return undefined;
    if (this.compilingVars.has(name)) {
      this.brokenVars.add(name);
      this.report(['vars', name], `var ${name} depends on itself (through var references) — break the cycle`);
      return undefined;
    }
    if ((BOUND_NAMES as readonly string[]).includes(name)) {
      this.brokenVars.add(name);
      this.report(['vars', name], `var ${name} would hide $${name}, which expressions use for ${name === 'root' ? 'the mapping input' : "the document's issue time"} — rename the var`, true, 'reserved-var-name');
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
    // An async var memoizes its promise: every reader awaits the one evaluation.
    const memoized: Evaluate = (_scope, ctx) => {
      if (ctx.vars.has(name)) return ctx.vars.get(name);
      const value = evaluate(ctx.root, ctx);
      ctx.vars.set(name, value);
      return value;
    };
    if (isAsync(evaluate)) markAsync(memoized);
    this.compiledVars.set(name, memoized);
    return memoized;
  }

  // ─── classification ───────────────────────────────────────────────────────────────────────────

  private sourcesOf(node: Record<string, unknown>): string[] {
    return SOURCE_KEYS.filter((key) => key in node);
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
      if (isAsync(append)) {
        return markAsync(async (scope: unknown, ctx: RunContext) => {
          const list: unknown[] = [];
          await append(scope, ctx, list);
          return list;
        });
      }
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
    const names = entries.map(([name]) => name);
    const evaluators = entries.map(([, evaluate]) => evaluate);
    const count = names.length;
    if (evaluators.some(isAsync)) {
      const awaited = evaluators.map(isAsync);
      return markAsync(async (scope: unknown, ctx: RunContext) => {
        const result: Record<string, unknown> = {};
        let filled = false;
        for (let i = 0; i < count; i++) {
          const pending = (evaluators[i] as Evaluate)(scope, ctx);
          const value = awaited[i] ? await pending : pending;
          if (value !== undefined) {
            result[names[i] as string] = value;
            filled = true;
          }
        }
        return filled ? result : undefined;
      });
    }
    return objectBuilder(names, evaluators as NodeFunction[], isEmpty) as Evaluate;
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
    if (appenders.some(isAsync)) {
      return markAsync(async (scope: unknown, ctx: RunContext) => {
        const list: unknown[] = [];
        for (const append of appenders) await append(scope, ctx, list);
        return list;
      });
    }
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
    const when = node.when === undefined ? undefined : this.compileConditionSpec(node.when, [...at, 'when'], out, 'forEach');
    this.loopDepth++;
    const where = node.where === undefined ? undefined : this.compileConditionSpec(node.where, [...at, 'where'], [...out, EACH], 'where');
    const fields = this.compileFieldsOf(node.fields, [...at, 'fields'], [...out, EACH]);
    this.loopDepth--;
    if (!list || !fields || where === null || when === null) return undefined;
    // Elements of this list sit at this depth of forEach nesting: error paths read ctx.indices up to it.
    const depth = eachDepth(out);
    if (isAsync(where) || isAsync(when) || isAsync(fields)) {
      return markAsync(async (scope: unknown, ctx: RunContext, target: unknown[]) => {
        if (when && !(await when(scope, ctx))) return;
        const items = list(scope, ctx.root);
        if (items === undefined || items === null) return;
        if (!Array.isArray(items)) {
          throw new MappingError(renderPath(out, ctx), `forEach ${node.forEach} must be a list, but the input has ${describeValue(items)} there`);
        }
        for (const item of items) {
          if (where && !(await where(item, ctx))) continue;
          ctx.indices[depth] = target.length;
          // Hold the element's place while its fields are awaited, so error indexes cannot shift.
          target.push({});
          target[target.length - 1] = (await fields(item, ctx)) ?? {};
        }
      });
    }
    const notAList = (items: unknown, ctx: RunContext): never => {
      throw new MappingError(renderPath(out, ctx), `forEach ${node.forEach} must be a list, but the input has ${describeValue(items)} there`);
    };
    return forEachLoop({ when: when as never, where: where as never, list, fields: fields as NodeFunction, depth, notAList: notAList as never }) as Append;
  }

  private compileItem(raw: Record<string, unknown>, at: SourcePath, out: OutputPath): Append | undefined {
    const node = this.validate(ITEM_SCHEMA, raw, at, 'item node');
    if (!node) return undefined;
    const when = node.when === undefined ? undefined : this.compileConditionSpec(node.when, [...at, 'when'], out, 'item');
    const fields = this.compileFieldsOf(node.fields, [...at, 'fields'], [...out, EACH]);
    if (!fields || when === null) return undefined;
    const depth = eachDepth(out);
    if (isAsync(when) || isAsync(fields)) {
      return markAsync(async (scope: unknown, ctx: RunContext, target: unknown[]) => {
        if (when && !(await when(scope, ctx))) return;
        ctx.indices[depth] = target.length;
        target.push({});
        target[target.length - 1] = (await fields(scope, ctx)) ?? {};
      });
    }
    const syncWhen = when as SyncPredicate | undefined;
    return (scope, ctx, target) => {
      if (syncWhen && !syncWhen(scope, ctx)) return;
      ctx.indices[depth] = target.length;
      target.push(fields(scope, ctx) ?? {});
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
    const source = sources[0] as SourceKey;
    type OpenValueNode = { default?: unknown; required?: boolean; as?: AsType; negate?: boolean; when?: unknown };
    const schema = VALUE_NODE_SCHEMAS[source] as unknown as z.ZodType<OpenValueNode>;
    const node = this.validate(schema, raw, at, `${source} node`);
    if (!node) return undefined;
    const when = node.when === undefined ? undefined : this.compileConditionSpec(node.when, [...at, 'when'], out, 'node');
    const produce = this.compileSource(source, node as Record<string, unknown>, at, out);
    this.lintValueNode(source, node as Record<string, unknown>, at);
    if (node.negate && node.as !== 'decimal') {
      this.report([...at, 'negate'], 'negate flips the sign of a decimal — add as: decimal to this node', true);
      return undefined;
    }
    if (!produce || when === null) return undefined;
    const modifiers: Modifiers = {
      when,
      fallback: node.default === null ? undefined : node.default,
      required: node.required === true,
      as: node.as,
      negate: node.negate === true,
      out,
      origin: describeSource(source, node as Record<string, unknown>),
      at,
    };
    const evaluate = withModifiers(produce, modifiers);
    // Paths and plain constants without `when` can be written into their object's function (codegen.ts).
    const value = (node as { const?: unknown }).const;
    const constant = source === 'const' && (value === null || typeof value !== 'object');
    const lookup = LOOKUP_PARTS.get(produce);
    if (!when && !isAsync(evaluate) && (source === 'path' || constant || lookup)) {
      const paths = (node as { path?: string | string[] }).path;
      registerInline(evaluate, {
        source: lookup
          ? { lookup: lookup.find as InlineLookup, key: lookup.key as NodeFunction }
          : source === 'path'
            ? { paths: typeof paths === 'string' ? [paths] : (paths as string[]) }
            : { constant: value },
        ...inlineParts(modifiers),
      });
    }
    return evaluate;
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
        this.usedVars.add(name);
        if (!(name in this.vars)) {
          this.report([...at, 'var'], `var ${name} is not defined — add it under vars: at the top of the file`, false, 'unknown-var');
          return undefined;
        }
        return this.compileVar(name);
      }
      case 'lookup':
        return this.compileLookup(node, at, out);
      case 'expr':
        return this.compileExprSource(node.expr as string, node.as as AsType | undefined, [...at, 'expr'], out);
    }
  }

  /** Lints that need the whole node: a default or a when that can never matter. */
  private lintValueNode(source: SourceKey, node: Record<string, unknown>, at: SourcePath): void {
    if (source !== 'const' || node.default === undefined || node.default === null) return;
    const sameAsConst = JSON.stringify(node.default) === JSON.stringify(node.const);
    if (node.when !== undefined && sameAsConst) {
      this.lint([...at, 'when'], 'redundant-when', 'warning', `this when changes nothing: the const and the default are both ${JSON.stringify(node.const)} — remove the when, or change the default`, { onKey: true });
    } else if (node.when === undefined && !isEmpty(node.const)) {
      this.lint([...at, 'default'], 'unreachable-default', 'warning', 'this default is never used: a const always gives its value — remove the default, or add the when it is the else-branch of', { onKey: true });
    }
  }

  // ─── expressions ──────────────────────────────────────────────────────────────────────────────

  /** Parses and checks an expression, reporting problems at their character in the file. */
  private compileExpressionAt(text: string, at: SourcePath): GuardedExpression | undefined {
    if (text.length > MAX_EXPRESSION_LENGTH) {
      this.report(at, `the expression is ${text.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH} — split it into vars, or move the logic into domain code`, false, 'expression-too-long');
      return undefined;
    }
    const { expression, problems } = compileExpression(text);
    for (const problem of problems) this.issues.push({ at, code: problem.code, message: problem.message, offset: problem.offset });
    if (!expression) return undefined;
    for (const scan of expression.facts.rootScans) {
      if (scan.iterated) {
        this.lint(at, 'root-scan-in-loop', 'warning', `${scan.variable} here reads a whole list again for every element of the list around it (O(n²): seconds on a long order) — compute it once under vars: and use it here as $name`, { offset: scan.offset });
      } else if (this.loopDepth > 0 && scan.variable === '$root') {
        this.lint(at, 'root-scan-in-loop', 'warning', `this expression runs once per forEach item, and ${scan.variable} here reads a whole list each time (O(n²): seconds on a long order) — compute it once under vars: and use it here as $name`, { offset: scan.offset });
      }
    }
    return expression;
  }

  /** The vars an expression reads, as [name, evaluator] pairs; undefined when one is unknown. */
  private varsOf(expression: GuardedExpression, at: SourcePath): [string, Evaluate][] | undefined {
    const pairs: [string, Evaluate][] = [];
    let broken = false;
    for (const name of expression.facts.vars) {
      this.usedVars.add(name);
      if (!(name in this.vars)) {
        const offset = Math.max(0, expression.text.indexOf(`$${name}`));
        this.issues.push({ at, code: 'unknown-var', offset, message: `$${name} is not defined — add ${name} under vars:, or read the input with $root.… ($runTime is the issue time)` });
        broken = true;
        continue;
      }
      const evaluate = this.compileVar(name);
      if (evaluate) pairs.push([name, evaluate]);
      else broken = true;
    }
    return broken ? undefined : pairs;
  }

  private compileExprSource(text: string, as: AsType | undefined, at: SourcePath, out: OutputPath): Evaluate | undefined {
    const expression = this.compileExpressionAt(text, at);
    if (!expression) return undefined;
    const { facts } = expression;
    if (as === 'decimal' && facts.computesAt !== undefined) {
      this.issues.push({
        at,
        code: 'money-in-expression',
        offset: facts.computesAt,
        message:
          'this decimal is computed in the expression, but JSONata computes in binary floating point (0.1 + 0.2 = 0.30000000000000004) — ' +
          'copy amounts as they are (path, or expr without arithmetic) and leave sums, taxes and rounding to domain code',
      });
      return undefined;
    }
    const vars = this.varsOf(expression, at);
    if (!vars) return undefined;
    // An expression that reads nothing is a constant: no JSONata at run time.
    if (facts.constant) {
      const value = toFieldValue(facts.constant.value);
      return () => copyJson(value);
    }
    const evaluate = this.expressionRunner(expression, vars, at, out);
    return markAsync(async (scope: unknown, ctx: RunContext) => {
      const result = await evaluate(scope, ctx);
      try {
        return toFieldValue(result);
      } catch (error) {
        if (error instanceof AmbiguousResult) throw new ExpressionError(renderPath(out, ctx), error.message, at, 'ambiguous', false);
        throw error;
      }
    });
  }

  /** Evaluates an expression with $root, $runTime and the vars it reads bound; failures name the field. */
  private expressionRunner(expression: GuardedExpression, vars: [string, Evaluate][], at: SourcePath, out: OutputPath): (scope: unknown, ctx: RunContext) => Promise<unknown> {
    return async (scope, ctx) => {
      let bindings = baseBindings(ctx);
      if (vars.length > 0) {
        bindings = { ...bindings };
        for (const [name, evaluate] of vars) bindings[name] = await evaluate(ctx.root, ctx);
      }
      try {
        return await expression.evaluate(scope, bindings);
      } catch (error) {
        if (!(error instanceof ExpressionFailure)) throw error;
        throw new ExpressionError(renderPath(out, ctx), `the expression failed: ${error.message}`, at, error.code, error.isLimit);
      }
    };
  }

  /** A condition written as an expression: JSONata's truthiness decides ($boolean). */
  private compileExpressionCondition(text: string, at: SourcePath, out: OutputPath): Predicate | null {
    const expression = this.compileExpressionAt(text, at);
    if (!expression) return null;
    const vars = this.varsOf(expression, at);
    if (!vars) return null;
    const { constant } = expression.facts;
    if (constant) {
      const holds = jsonataTruthy(constant.value);
      return () => holds;
    }
    const evaluate = this.expressionRunner(expression, vars, at, out);
    return markAsync(async (scope: unknown, ctx: RunContext) => jsonataTruthy(await evaluate(scope, ctx)));
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
    // Own entries only: a lookup named toString or constructor must not find Object.prototype's.
    const lookup = Object.hasOwn(this.lookups, name) ? this.lookups[name] : undefined;
    this.usedLookups.add(name);
    if (node.key === undefined) {
      this.report(at, 'a lookup node needs key: the value to look up, e.g. key: { path: rate, as: string }');
      return undefined;
    }
    const key = isPlainObject(node.key) && this.sourcesOf(node.key).length > 0
      ? this.compileValue(node.key, [...at, 'key'], out)
      : (this.report([...at, 'key'], 'key must be a value node such as { path: rate, as: string }'), undefined);
    if (!lookup) {
      const known = Object.keys(this.lookups);
      this.report([...at, 'lookup'], `lookup ${name} is not defined — add it under lookups:${known.length ? ` (defined: ${known.join(', ')})` : ''}`, false, 'unknown-lookup');
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
    const keyLabel = keyNoun(node.key);
    const choose = (entry: unknown): unknown => (pick === undefined ? entry : (entry as Record<string, unknown>)[pick]);
    // What each key gives, picked once here; objects are still copied per run so outputs never share them.
    const entries = new Map(Object.entries(lookup.entries).map(([entryKey, entry]) => [entryKey, choose(entry)]));
    const find = (keyValue: unknown, ctx: RunContext): unknown => {
      if (isEmpty(keyValue)) return undefined;
      const text = keyText(keyValue);
      if (text === undefined) {
        throw new MappingError(renderPath(out, ctx), `the key for lookup ${name} is ${describeValue(keyValue)}, not text or a number`);
      }
      const found = entries.get(text);
      if (found !== undefined || entries.has(text)) return copyJson(found);
      switch (lookup.onMissing) {
        case 'default':
          return copyJson(choose(lookup.default));
        case 'passthrough':
          return text;
        case 'fail':
          throw new MappingError(
            renderPath(out, ctx),
            `${keyLabel} ${text.length > 40 ? `${text.slice(0, 40)}…` : text} has no entry in lookup ${name} (onMissing: fail) — add it to the lookup`,
          );
      }
    };
    if (isAsync(key)) return markAsync(async (scope: unknown, ctx: RunContext) => find(await key(scope, ctx), ctx));
    const produce: Evaluate = (scope, ctx) => find(key(scope, ctx), ctx);
    LOOKUP_PARTS.set(produce, { find, key });
    return produce;
  }

  // ─── conditions ───────────────────────────────────────────────────────────────────────────────

  /**
   * Returns null when the condition is broken (already reported). `role` says what a false condition
   * means, for the unreachable-when lint: a node without value, a forEach without items, ….
   */
  compileConditionSpec(raw: unknown, at: SourcePath, out: OutputPath, role: ConditionRole = 'node'): Predicate | null {
    if (Array.isArray(raw) && raw.length === 0) {
      this.report(at, 'an empty list of conditions — remove it or add a condition');
      return null;
    }
    const members = Array.isArray(raw) ? raw : [raw];
    const all = members.map((item, index) => this.compileCondition(item, Array.isArray(raw) ? [...at, index] : at, out));
    if (all.some((predicate) => predicate === null)) return null;
    this.lintCondition(members, at, role);
    const predicates = all as Predicate[];
    if (predicates.length === 1) return predicates[0] as Predicate;
    if (predicates.some(isAsync)) {
      return markAsync(async (scope: unknown, ctx: RunContext) => {
        for (const predicate of predicates) if (!(await predicate(scope, ctx))) return false;
        return true;
      });
    }
    const sync = predicates as SyncPredicate[];
    return (scope, ctx) => {
      for (const predicate of sync) if (!predicate(scope, ctx)) return false;
      return true;
    };
  }

  /** unreachable-when and constant-when: conditions whose outcome is known at load. */
  private lintCondition(members: unknown[], at: SourcePath, role: ConditionRole): void {
    const consequence = CONDITION_CONSEQUENCES[role];
    const constants = members.map((member) => (typeof member === 'string' ? compileExpression(member).expression?.facts.constant : undefined));
    const falseAt = constants.findIndex((constant) => constant !== undefined && !jsonataTruthy(constant.value));
    if (falseAt >= 0) {
      this.lint(members.length > 1 ? [...at, falseAt] : at, 'unreachable-when', 'warning', `this condition is always false, so ${consequence} — fix the condition or remove it with what it guards`);
      return;
    }
    const structural = members.filter((member): member is Condition => isPlainObject(member));
    const reason = structural.length > 1 ? contradictionIn(structural) : undefined;
    if (reason) {
      this.lint(at, 'unreachable-when', 'warning', `these conditions can never all hold (${reason}), so ${consequence} — fix one of them`);
      return;
    }
    if (constants.every((constant) => constant !== undefined)) {
      this.lint(at, 'constant-when', 'warning', 'this condition is always true — remove it');
    }
  }

  private compileCondition(raw: unknown, at: SourcePath, out: OutputPath): Predicate | null {
    if (typeof raw === 'string') return this.compileExpressionCondition(raw, at, out);
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
      let bound: string;
      try {
        bound = toDecimal(operand);
      } catch (error) {
        if (!(error instanceof ConversionError)) throw error;
        this.report([...at, operator], `${operator} needs a decimal number: ${error.message}`);
        return null;
      }
      const wanted = operator === 'lessThan' ? -1 : 1;
      if (bound === '0' || /^0\.0+$/.test(bound)) {
        // Against zero (free shipping, empty discounts) only the sign matters.
        return (scope, ctx) => {
          const value = read(scope, ctx.root);
          if (isEmpty(value)) return false;
          let decimal: string;
          try {
            decimal = toDecimal(value);
          } catch (error) {
            return fail(ctx, error);
          }
          return signOfDecimal(decimal) === wanted;
        };
      }
      return (scope, ctx) => {
        const value = read(scope, ctx.root);
        if (isEmpty(value)) return false;
        let decimal: string;
        try {
          decimal = toDecimal(value);
        } catch (error) {
          return fail(ctx, error);
        }
        return compareDecimals(decimal, bound) === wanted;
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
      ? (a: unknown, b: unknown) => a !== null && b !== null && a !== undefined && compareDecimals(a as string, b as string) === 0
      : (a: unknown, b: unknown) => a === b;
    const negated = operator === 'notEquals' || operator === 'notIn';
    if (!as) {
      // Strict comparison needs no conversion: the common case, kept to a plain loop.
      const matchesMissing = comparands.includes(null);
      return (scope, ctx) => {
        const value = read(scope, ctx.root);
        const found = value === undefined ? matchesMissing : comparands.includes(value);
        return negated ? !found : found;
      };
    }
    return (scope, ctx) => {
      let value = read(scope, ctx.root);
      if (as && !isEmpty(value)) {
        try {
          value = convert(value, as);
        } catch (error) {
          fail(ctx, error);
        }
      }
      let found = false;
      for (const candidate of comparands) {
        if (same(value, candidate) || (value === undefined && candidate === null)) {
          found = true;
          break;
        }
      }
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
  /** The node's place in the file, for traces (src/mapping/trace.ts). */
  at: SourcePath;
}

function withModifiers(produce: Evaluate, m: Modifiers): Evaluate {
  const { when, fallback, required, as, negate, out, origin, at } = m;
  const hasFallback = fallback !== undefined;
  if (isAsync(produce) || isAsync(when)) {
    const finish = finisher(m);
    return markAsync(async (scope: unknown, ctx: RunContext) => {
      const skipped = when !== undefined && !(await when(scope, ctx));
      return finish(skipped ? undefined : await produce(scope, ctx), skipped, ctx);
    });
  }
  if (!when && !hasFallback && !required && !as && !negate) {
    // Most nodes have no modifiers: only "blank is no value" and the trace hook remain.
    return (scope, ctx) => {
      const value = produce(scope, ctx);
      if (isEmpty(value)) return undefined;
      const sink = tracing.sink;
      if (sink) sink({ field: renderPath(out, ctx), node: at, origin, via: 'source', value });
      return value;
    };
  }
  const syncWhen = when as SyncPredicate | undefined;
  const conversion = as ? converterFor(as) : undefined;
  return (scope, ctx) => {
    // A false `when` counts as "no value", so `default` gives the else-branch: { const: a, when: …, default: b }.
    const skipped = syncWhen !== undefined && !syncWhen(scope, ctx);
    let value = skipped ? undefined : produce(scope, ctx);
    let fromDefault = false;
    if (isEmpty(value)) {
      if (hasFallback) {
        value = copyJson(fallback);
        fromDefault = true;
      } else if (required) {
        throw new MappingError(renderPath(out, ctx), `is required, but ${origin} gave no value and there is no default — fix the source data or add a default`);
      } else return undefined;
    }
    if (conversion) {
      try {
        value = (conversion as (value: unknown) => unknown)(value);
      } catch (error) {
        if (error instanceof ConversionError) {
          throw new MappingError(renderPath(out, ctx), `${error.message} (read from ${origin}, as: ${as})`);
        }
        throw error;
      }
    }
    if (negate) value = negateDecimal(value as string);
    // Off unless `puente mappings preview` traces this run: one property read per value node.
    const sink = tracing.sink;
    if (sink) sink({ field: renderPath(out, ctx), node: at, origin, via: fromDefault ? (skipped ? 'when-false' : 'default') : 'source', value });
    return value;
  };
}

/** A node's modifiers as the closures an inlined node calls (codegen.ts): same semantics as withModifiers. */
function inlineParts(m: Modifiers): Pick<InlineNode, 'empty' | 'convert' | 'trace'> {
  const { fallback, required, as, negate, out, origin, at } = m;
  const empty = fallback !== undefined
    ? () => copyJson(fallback)
    : required
      ? (ctx: RunContext) => {
          throw new MappingError(renderPath(out, ctx), `is required, but ${origin} gave no value and there is no default — fix the source data or add a default`);
        }
      : () => undefined;
  const conversion = as ? converterFor(as) : undefined;
  const convert = conversion
    ? (value: unknown, ctx: RunContext) => {
        let converted: unknown;
        try {
          converted = conversion(value);
        } catch (error) {
          if (error instanceof ConversionError) throw new MappingError(renderPath(out, ctx), `${error.message} (read from ${origin}, as: ${as})`);
          throw error;
        }
        return negate ? negateDecimal(converted as string) : converted;
      }
    : undefined;
  const trace = (ctx: RunContext, value: unknown, fromDefault: boolean) => {
    tracing.sink?.({ field: renderPath(out, ctx), node: at, origin, via: fromDefault ? 'default' : 'source', value });
  };
  return {
    empty: empty as InlineNode['empty'],
    trace: trace as InlineNode['trace'],
    ...(convert ? { convert: convert as InlineNode['convert'] } : {}),
    // Without negate, convert is the plain `as` conversion, whose fast paths codegen may take.
    ...(as && !negate ? { as } : {}),
  };
}

/** withModifiers' steps after the source, for the async form. */
function finisher(m: Modifiers): (value: unknown, skipped: boolean, ctx: RunContext) => unknown {
  const { fallback, required, as, negate, out, origin, at } = m;
  return (produced, skipped, ctx) => {
    let value = produced;
    let fromDefault = false;
    if (isEmpty(value)) {
      if (fallback !== undefined) {
        value = copyJson(fallback);
        fromDefault = true;
      } else if (required) {
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
    const sink = tracing.sink;
    if (sink) sink({ field: renderPath(out, ctx), node: at, origin, via: fromDefault ? (skipped ? 'when-false' : 'default') : 'source', value });
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
    case 'expr':
      return 'the expression';
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
          `unknown key "${key}" in ${issue.path.length > 0 ? issue.path.map(String).join('.') : what} — remove it or fix its spelling`,
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
