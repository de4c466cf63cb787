/**
 * The functions of object nodes, generated per node so that a compiled mapping runs close to the
 * speed of hand-written code (bench/mapping-languages.ts measures it).
 *
 * Why generate at all: a closure shared by every object node stores every field through one code
 * site, for every shape of object; V8 can only do that the slow (megamorphic) way, and the calls from
 * such shared code into each field's own closure cannot be inlined. A function per node has property
 * stores and reads that name their keys, as an object literal in hand-written code does, and calls
 * that V8 can inline.
 *
 * Why it is safe: mapping text enters the generated code in two forms only — output field names,
 * which must match [A-Za-z_][A-Za-z0-9_-]* (checked again here), and input path keys; both are
 * written as JSON string literals, which JSON.stringify escapes so that no key can end its literal.
 * Array indexes are written from parsed integers. Everything else a node does (defaults, conversions,
 * lookups, expressions, error messages, traces) stays in ordinary closures, passed in as values. No
 * expression text of the admin is ever turned into JavaScript. Where code generation is disabled
 * (node --disallow-code-generation-from-strings), plain closures are used.
 */
import { isPlainDecimal } from './convert.js';
import type { AsType } from './format.js';
import { compilePath, parsePath, type ParsedPath, type PathFunction } from './path.js';
import { tracing } from './trace.js';

/** What every compiled node is: given the current scope and the run's context, its value. */
export type NodeFunction = (scope: unknown, ctx: { root: unknown }) => unknown;

/**
 * A value node simple enough to be written into its object's function: its value comes from paths
 * (the first with a value wins) or is a constant, with no `when`. The rest of what the node does is
 * in its closures, with exactly the semantics of the node's own function.
 */
export interface InlineNode {
  source:
    | { paths: string[] }
    | { constant: unknown }
    /** `lookup` maps the key node's value (undefined, text or number) to the entry, per the miss policy. */
    | { lookup: (key: unknown, ctx: { root: unknown }) => unknown; key: NodeFunction };
  /** The source gave nothing: the default's copy, or throws (required), or undefined. */
  empty: (ctx: { root: unknown }) => unknown;
  /** `as` and `negate`, with their errors; absent when the node has neither. */
  convert?: (value: unknown, ctx: { root: unknown }) => unknown;
  /** The node's `as`, when `convert` does no more than it: values already in that form skip the call. */
  as?: AsType;
  /** Reports the value to a trace (only called while tracing.sink is set). */
  trace: (ctx: { root: unknown }, value: unknown, fromDefault: boolean) => void;
}

const INLINE = new WeakMap<object, InlineNode>();

/** Marks `evaluate` (the node's own function) as writable inline with `spec`. */
export function registerInline(evaluate: object, spec: InlineNode): void {
  INLINE.set(evaluate, spec);
}

const SAFE_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export interface ForEachLoopParts {
  when: ((scope: unknown, ctx: never) => boolean) | undefined;
  where: ((item: unknown, ctx: never) => boolean) | undefined;
  list: PathFunction;
  fields: NodeFunction;
  /** How many forEach levels enclose this one: where its index goes in ctx.indices. */
  depth: number;
  notAList: (items: unknown, ctx: never) => never;
}
type ForEachLoop = (scope: unknown, ctx: { root: unknown; indices: number[] }, target: unknown[]) => void;

/**
 * The loop of a synchronous forEach node, as text: each node gets its own copy (see perNode), so the
 * calls to its list, where and fields are each to a single function, which V8 inlines. The text is
 * a constant of this module; the node's parts come in as values.
 */
const FOR_EACH_LOOP = `
const { when, where, list, fields, depth, notAList } = parts;
return function loop(scope, ctx, target) {
  if (when !== undefined && !when(scope, ctx)) return;
  const items = list(scope, ctx.root);
  if (items === undefined || items === null) return;
  if (!Array.isArray(items)) notAList(items, ctx);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (where !== undefined && !where(item, ctx)) continue;
    ctx.indices[depth] = target.length;
    const element = fields(item, ctx);
    target.push(element === undefined ? {} : element);
  }
};`;

let copies = 0;

/**
 * A fresh function from constant source text (no mapping text in it: the parts come in as its
 * argument). The numbered comment makes each a script of its own rather than a cached, shared one,
 * so each has its own inline caches. Undefined where code generation is disabled.
 */
function perNode<F>(source: string, parts: unknown): F | undefined {
  try {
    return new Function('parts', `// copy ${++copies}\n${source}`)(parts) as F;
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    return undefined;
  }
}

export function forEachLoop(parts: ForEachLoopParts): ForEachLoop {
  const copy = perNode<ForEachLoop>(FOR_EACH_LOOP, parts);
  if (copy) return copy;
  const { when, where, list, fields, depth, notAList } = parts as unknown as {
    when?: (scope: unknown, ctx: unknown) => boolean;
    where?: (item: unknown, ctx: unknown) => boolean;
    list: PathFunction;
    fields: NodeFunction;
    depth: number;
    notAList: (items: unknown, ctx: unknown) => never;
  };
  return (scope, ctx, target) => {
    if (when !== undefined && !when(scope, ctx)) return;
    const items = list(scope, ctx.root);
    if (items === undefined || items === null) return;
    if (!Array.isArray(items)) notAList(items, ctx);
    for (const item of items as unknown[]) {
      if (where !== undefined && !where(item, ctx)) continue;
      ctx.indices[depth] = target.length;
      const element = fields(item, ctx);
      target.push(element === undefined ? {} : element);
    }
  };
}

/** Code reading `path` into variable `target` (undefined where the input has nothing there). */
function readCode(parsed: ParsedPath, target: string, label: string, fallback: string): string {
  const lines = [`${label}: { ${target} = ${parsed.fromRoot ? 'ctx.root' : 'scope'};`];
  for (const step of parsed.steps) {
    if (step.kind === 'key') {
      lines.push(`if (${target} === null || typeof ${target} !== 'object' || Array.isArray(${target})) { ${target} = undefined; break ${label}; }`);
      lines.push(`${target} = ${target}[${JSON.stringify(step.key)}];`);
    } else if (step.kind === 'index') {
      const index = Math.trunc(step.index);
      lines.push(`if (!Array.isArray(${target})) { ${target} = undefined; break ${label}; }`);
      lines.push(index >= 0 ? `${target} = ${target}[${index}];` : `${target} = ${target}[${target}.length - ${-index}];`);
    } else {
      return fallback;
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/** A path can be written inline unless a key is also an Object.prototype member (read as own only). */
function inlinable(parsed: ParsedPath): boolean {
  return parsed.steps.every((step) => step.kind === 'index' || (step.kind === 'key' && !(step.key in Object.prototype)));
}

interface Generated {
  /** Code that leaves the field's value in v<i>. */
  code: string;
  /** Values the code refers to, by name. */
  refs: Record<string, unknown>;
}

/** The empty test of compile.ts's isEmpty, written out so the usual non-empty value costs no call. */
const emptyTest = (v: string) =>
  `(${v} === undefined || ${v} === null || (typeof ${v} === 'string' && (${v}.length === 0 || ((${v}.charCodeAt(0) <= 32 || ${v}.charCodeAt(0) >= 160) && I(${v})))))`;

/** Code leaving the node's value in `v${id}` (`id` is unique within the object's function). */
function inlineField(id: string, spec: InlineNode, isEmpty: (value: unknown) => boolean): Generated {
  const v = `v${id}`;
  const refs: Record<string, unknown> = { [`E${id}`]: spec.empty, [`R${id}`]: spec.trace, I: isEmpty, T: tracing };
  const lines: string[] = [`let ${v};`];
  const { source } = spec;
  if ('constant' in source) {
    refs[`K${id}`] = source.constant;
    lines.push(`${v} = K${id};`);
  } else if ('lookup' in source) {
    // The key node is written inline too when it can be; the lookup itself stays a closure.
    const keySpec = INLINE.get(source.key);
    if (keySpec) {
      const key = inlineField(`${id}k`, keySpec, isEmpty);
      Object.assign(refs, key.refs);
      lines.push(key.code);
    } else {
      refs[`KE${id}`] = source.key;
      lines.push(`const v${id}k = KE${id}(scope, ctx);`);
    }
    refs[`L${id}`] = source.lookup;
    lines.push(`${v} = L${id}(v${id}k, ctx);`);
  } else {
    const reads = source.paths.map((text, j) => {
      const parsed = parsePath(text);
      const reader = `P${id}_${j}`;
      refs[reader] = compilePath(text) satisfies PathFunction;
      const viaFunction = `${v} = ${reader}(scope, ctx.root);`;
      return inlinable(parsed) ? readCode(parsed, v, `r${id}_${j}`, viaFunction) : viaFunction;
    });
    if (reads.length === 1) lines.push(reads[0] as string);
    else lines.push(`f${id}: {`, ...reads.map((read) => `${read}\nif (!${emptyTest(v)}) break f${id};`), `${v} = undefined;`, '}');
  }
  lines.push(`let d${id} = false;`, `if (${emptyTest(v)}) { ${v} = E${id}(ctx); d${id} = true; }`, `if (${v} !== undefined) {`);
  if (spec.convert) {
    refs[`C${id}`] = spec.convert;
    const convert = `${v} = C${id}(${v}, ctx);`;
    // Values already in the target form (the usual case) pass without a call; the test is one of a
    // fixed few, chosen by the node's `as`.
    switch (spec.as) {
      case 'string':
        lines.push(`if (typeof ${v} !== 'string') ${convert}`);
        break;
      case 'boolean':
        lines.push(`if (typeof ${v} !== 'boolean') ${convert}`);
        break;
      case 'decimal':
        refs.PD = isPlainDecimal;
        lines.push(`if (typeof ${v} !== 'string' || !PD(${v})) ${convert}`);
        break;
      default:
        lines.push(convert);
    }
  }
  lines.push(`if (T.sink !== undefined) R${id}(ctx, ${v}, d${id});`, '}');
  return { code: lines.join('\n'), refs };
}

/**
 * The function of an object node with these fields: each field's value, in order, then the object
 * with the fields that have one — or undefined when none has (an empty object is left out).
 */
export function objectBuilder(names: string[], evaluators: NodeFunction[], isEmpty: (value: unknown) => boolean): NodeFunction {
  if (names.every((name) => SAFE_FIELD_NAME.test(name))) {
    try {
      const refs: Record<string, unknown> = {};
      const reads = evaluators.map((evaluate, i) => {
        const spec = INLINE.get(evaluate);
        if (spec) {
          const generated = inlineField(String(i), spec, isEmpty);
          Object.assign(refs, generated.refs);
          return generated.code;
        }
        refs[`e${i}`] = evaluate;
        return `const v${i} = e${i}(scope, ctx);`;
      });
      // When every field has a value (the usual case) the object is made as one literal, in one step.
      const allSet = names.length === 0 ? 'false' : names.map((_, i) => `v${i} !== undefined`).join(' && ');
      const literal = `{ ${names.map((name, i) => `${JSON.stringify(name)}: v${i}`).join(', ')} }`;
      const stores = names.map((name, i) => `if (v${i} !== undefined) { r[${JSON.stringify(name)}] = v${i}; filled = true; }`);
      const unpack = Object.keys(refs).map((name) => `const ${name} = refs.${name};`);
      const body = [
        ...unpack,
        'return function object(scope, ctx) {',
        ...reads,
        `if (${allSet}) return ${literal};`,
        'const r = {};',
        'let filled = false;',
        ...stores,
        'return filled ? r : undefined;',
        '};',
      ].join('\n');
      return new Function('refs', body)(refs) as NodeFunction;
    } catch (error) {
      if (!(error instanceof EvalError)) throw error;
      // Code generation is disabled in this process: plain closures below.
    }
  }
  const count = names.length;
  return (scope, ctx) => {
    const result: Record<string, unknown> = {};
    let filled = false;
    for (let i = 0; i < count; i++) {
      const value = (evaluators[i] as NodeFunction)(scope, ctx);
      if (value !== undefined) {
        result[names[i] as string] = value;
        filled = true;
      }
    }
    return filled ? result : undefined;
  };
}
