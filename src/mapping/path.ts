/**
 * Path syntax: `order.note_attributes[name=NIT].value`, `payment_gateway_names[0]`, `$root.order.currency`.
 *
 * - dotted keys; a key is any run of characters other than `.`, `[` and `]`
 * - `[n]` picks the n-th element of a list (negative n counts from the end)
 * - `[key=value]` picks the first element of a list whose `key` equals `value` (compared as text, so
 *   numeric ids match too); the value may be quoted ("…" or '…') to hold spaces or brackets
 * - a leading `$root` starts at the mapping input instead of the current forEach item
 *
 * A path is compiled once into a function. Reading only follows own properties, so a path can never
 * reach Object.prototype (`constructor`, `__proto__`).
 */

export type PathFunction = (scope: unknown, root: unknown) => unknown;

export class PathSyntaxError extends Error {
  constructor(
    readonly pathText: string,
    readonly position: number,
    reason: string,
  ) {
    super(`path "${pathText}" is not valid at character ${position + 1}: ${reason}`);
    this.name = 'PathSyntaxError';
  }
}

type Step =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'filter'; key: string; value: string };

export const ROOT_MARKER = '$root';

export interface ParsedPath {
  fromRoot: boolean;
  steps: Step[];
}

export function parsePath(text: string): ParsedPath {
  let i = 0;
  const steps: Step[] = [];
  const fail = (reason: string): never => {
    throw new PathSyntaxError(text, Math.min(i, text.length), reason);
  };
  if (text.length === 0) fail('a path cannot be empty');
  if (/\s/.test(text.replace(/\[[^\]]*\]/g, ''))) fail('spaces are only allowed inside quoted [key="value"] filters');

  let fromRoot = false;
  if (text === ROOT_MARKER || text.startsWith(`${ROOT_MARKER}.`) || text.startsWith(`${ROOT_MARKER}[`)) {
    fromRoot = true;
    i = ROOT_MARKER.length;
    if (text[i] === '.') i++;
    if (i === text.length && text.length > ROOT_MARKER.length) fail('expected a key after "$root."');
  } else if (text.startsWith('$')) {
    fail('only $root may start with $; write $root.order.currency to read from the mapping input');
  }

  let expectKey = !fromRoot || (i < text.length && text[i] !== '[');
  while (i < text.length) {
    if (expectKey) {
      const start = i;
      while (i < text.length && text[i] !== '.' && text[i] !== '[' && text[i] !== ']') i++;
      if (i === start) fail('expected a key name (a dot or a bracket is out of place)');
      steps.push({ kind: 'key', key: text.slice(start, i) });
      expectKey = false;
      continue;
    }
    const c = text[i];
    if (c === '.') {
      i++;
      if (i === text.length) fail('a path cannot end with a dot');
      expectKey = true;
    } else if (c === '[') {
      steps.push(parseBracket());
    } else {
      fail(`unexpected "${c}"`);
    }
  }
  return { fromRoot, steps };

  function parseBracket(): Step {
    const open = i;
    i++;
    const close = findClosingBracket(text, i);
    if (close < 0) {
      i = open;
      fail('"[" is never closed');
    }
    const inner = text.slice(i, close);
    i = close + 1;
    if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
    const eq = inner.indexOf('=');
    if (eq <= 0) {
      i = open;
      fail('a bracket holds an index such as [0] or a filter such as [name=NIT]');
    }
    const key = inner.slice(0, eq).trim();
    let value = inner.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_-]+$/.test(key)) {
      i = open;
      fail(`the filter key "${key}" must be a plain field name`);
    }
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      if (value.length < 2 || value[value.length - 1] !== quote) {
        i = open;
        fail('a quoted filter value must end with the same quote');
      }
      value = value.slice(1, -1);
    }
    return { kind: 'filter', key, value };
  }
}

function findClosingBracket(text: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ']') {
      return j;
    }
  }
  return -1;
}

function ownProperty(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function compileStep(step: Step): (value: unknown) => unknown {
  switch (step.kind) {
    case 'key': {
      const { key } = step;
      // Keys that Object.prototype also has (constructor, toString, __proto__ …) are read only as own
      // properties; any other key cannot reach the prototype of plain data, so it is read directly.
      if (key in Object.prototype) return (value) => ownProperty(value, key);
      return (value) =>
        value === null || typeof value !== 'object' || Array.isArray(value) ? undefined : (value as Record<string, unknown>)[key];
    }
    case 'index': {
      const { index } = step;
      return (value) => {
        if (!Array.isArray(value)) return undefined;
        return value[index < 0 ? value.length + index : index];
      };
    }
    case 'filter': {
      const { key, value: wanted } = step;
      return (value) => {
        if (!Array.isArray(value)) return undefined;
        for (const element of value) {
          if (scalarText(ownProperty(element, key)) === wanted) return element;
        }
        return undefined;
      };
    }
  }
}

/**
 * A path as one generated function whose property reads name their keys, like hand-written code.
 * Closures shared by every path would read all keys through one code site, which V8 can only do the
 * slow (megamorphic) way. Safe by construction: keys enter the code only as JSON string literals
 * (JSON.stringify escapes any character that could end them); index and filter steps, and keys that
 * Object.prototype has, are closures passed in as values. Undefined when code generation is disabled.
 */
function generatedReader(fromRoot: boolean, steps: Step[], readers: ((value: unknown) => unknown)[]): PathFunction | undefined {
  const lines = [`let v = ${fromRoot ? 'root' : 'scope'};`];
  steps.forEach((step, i) => {
    if (step.kind === 'key' && !(step.key in Object.prototype)) {
      lines.push(`if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;`, `v = v[${JSON.stringify(step.key)}];`);
    } else {
      lines.push(`if (v === undefined || v === null) return undefined;`, `v = r[${i}](v);`);
    }
  });
  lines.push('return v;');
  try {
    return new Function('r', `return function path(scope, root) {\n${lines.join('\n')}\n};`)(readers) as PathFunction;
  } catch {
    return undefined;
  }
}

/** Compiles a path into a reader. Throws PathSyntaxError for a malformed path. */
export function compilePath(text: string): PathFunction {
  const { fromRoot, steps } = parsePath(text);
  const readers = steps.map(compileStep);
  const generated = generatedReader(fromRoot, steps, readers);
  if (generated) return generated;
  // Unrolled for the common short paths: the compiled mapping runs per document, this runs per field.
  if (readers.length === 1) {
    const [a] = readers as [(v: unknown) => unknown];
    return fromRoot ? (_s, root) => a(root) : (scope) => a(scope);
  }
  if (readers.length === 2) {
    const [a, b] = readers as [(v: unknown) => unknown, (v: unknown) => unknown];
    return fromRoot ? (_s, root) => b(a(root)) : (scope) => b(a(scope));
  }
  return (scope, root) => {
    let value = fromRoot ? root : scope;
    for (const read of readers) {
      if (value === undefined || value === null) return undefined;
      value = read(value);
    }
    return value;
  };
}
