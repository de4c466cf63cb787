/**
 * Guarded JSONata: the expressions admins may write in `expr` nodes and in `when`/`where` conditions.
 *
 * An expression is parsed once, at load, and its syntax tree is walked against an allow-list before it
 * can ever run. What is refused, and why:
 *   - function definitions, partial application and calls of anything but the allowed $functions:
 *     no recursion, no way to reach JavaScript (JSONata only calls what the host binds; we bind none);
 *   - `$eval` (text as code), regex literals and `$match` (ReDoS lives outside JSONata's timeout);
 *   - `$now`, `$millis`, `$random`, `$shuffle`: a document must come out the same on every replay —
 *     `$runTime` (the document's issue time, from the mapping input) is bound instead;
 *   - `:=` bindings and `[a..b]` ranges: they build data out of nothing (a few `:=` doublings make a
 *     string of 10⁹ characters inside one native call, where JSONata's timeout cannot stop it);
 *     shared values belong in the file's `vars:`, which run once per document;
 *   - `$round`: half-to-even in floating point; money and rounding are domain code's job;
 *   - `$pad`, `$replace` and `$join` with computed sizes, patterns or separators, for the same reason
 *     as `:=` — a literal keeps their output proportional to their input.
 * What remains is bounded by the input and guarded at run time by EXPRESSION_LIMITS.
 */
import jsonata from 'jsonata';

/**
 * JSONata's guardrails (its docs give no values). 250 ms is generous for mapping one document — a
 * 1,000-line order through a real mapping expression takes ~100 ms — yet short enough to keep one bad
 * expression from stalling the event loop; 200 frames of nesting is far beyond any 1,000-character
 * expression; 10,000 items per intermediate list covers orders ten times larger than Shopify's.
 */
// The timeout counts wall time from the start of an evaluation; JSONata yields at every step, so
// evaluations running at the same time share it — ample at mapping sizes, not a CPU budget.
export const EXPRESSION_LIMITS = { timeout: 250, stack: 200, sequence: 10_000 } as const;

/** Names bound for every evaluation: `$root` (the mapping input) and `$runTime` (the issue time). */
export const BOUND_NAMES = ['root', 'runTime'] as const;

type ArgumentRule = (args: AstNode[], shift: number) => ExpressionProblem | undefined;

interface FunctionRule {
  check?: ArgumentRule;
  /** Produces a number from numbers: refused in expressions whose result is a decimal amount. */
  computes?: boolean;
  /** Reads a whole list: a `$root` scan when given one (for the O(n²) lint). */
  scans?: boolean;
}

const isLiteral = (node: AstNode | undefined, type: 'string' | 'number'): boolean => node?.type === type;
const isNegatedNumber = (node: AstNode | undefined): boolean =>
  node?.type === 'unary' && node.value === '-' && node.expression?.type === 'number';
const numberValue = (node: AstNode): number => (node.type === 'number' ? (node.value as number) : -(node.expression?.value as number));

/** Argument `index` of a call, counting the `~>` left-hand side as argument 0 when `shift` is 1. */
function argument(args: AstNode[], index: number, shift: number): AstNode | 'lhs' | undefined {
  if (index < shift) return 'lhs';
  return args[index - shift];
}

const MAX_PAD = 1000;

const ALLOWED_FUNCTIONS: Record<string, FunctionRule> = {
  string: {},
  number: {},
  substring: {},
  substringBefore: {},
  substringAfter: {},
  uppercase: {},
  lowercase: {},
  trim: {},
  pad: {
    check: (args, shift) => {
      const width = argument(args, 1, shift);
      if (width === 'lhs' || width === undefined || !(isLiteral(width, 'number') || isNegatedNumber(width)) || Math.abs(numberValue(width)) > MAX_PAD) {
        return problem('pad-width', (width !== 'lhs' && width) || args[0], `$pad needs its width written as a number between -${MAX_PAD} and ${MAX_PAD}, e.g. $pad(code, 10, "0")`);
      }
      return undefined;
    },
  },
  contains: {},
  join: {
    scans: true,
    check: (args, shift) => {
      const separator = argument(args, 1, shift);
      if (separator !== undefined && (separator === 'lhs' || !isLiteral(separator, 'string'))) {
        return problem('join-separator', (separator !== 'lhs' && separator) || args[0], '$join takes its separator as text in quotes, e.g. $join(tags, ", ")');
      }
      return undefined;
    },
  },
  split: {},
  length: {},
  count: { scans: true },
  sum: { scans: true, computes: true },
  max: { scans: true },
  min: { scans: true },
  average: { scans: true, computes: true },
  exists: {},
  boolean: {},
  not: {},
  abs: { computes: true },
  floor: { computes: true },
  ceil: { computes: true },
  keys: {},
  lookup: {},
  append: {},
  distinct: { scans: true },
  reverse: { scans: true },
  type: {},
  sort: {
    scans: true,
    check: (args, shift) =>
      args.length + shift > 1
        ? problem('sort-function', args[args.length - 1], '$sort takes no function in mappings: sort by a field with the ^( ) operator, e.g. items^(sku)')
        : undefined,
  },
  formatNumber: { computes: true },
  replace: {
    check: (args, shift) => {
      const pattern = argument(args, 1, shift);
      const replacement = argument(args, 2, shift);
      if (pattern === 'lhs' || !isLiteral(pattern, 'string') || pattern?.value === '') {
        return problem('replace-pattern', (pattern !== 'lhs' && pattern) || args[0], '$replace takes the text to find in quotes (not a regex, not computed), e.g. $replace(code, "-", "")');
      }
      if (replacement === 'lhs' || replacement === undefined || !isLiteral(replacement, 'string')) {
        return problem('replace-pattern', (replacement !== 'lhs' && replacement) || pattern, '$replace takes its replacement as text in quotes, e.g. $replace(code, "-", "")');
      }
      return undefined;
    },
  },
};

/** Functions refused with their own reason; anything else not allowed gets the general sentence. */
const FORBIDDEN_FUNCTIONS: Record<string, string> = {
  eval: '$eval runs text as an expression, which mappings may not do — write the expression itself',
  now: 'the clock differs on every run, so replays would not give the same document — use $runTime, the document\'s issue time',
  millis: 'the clock differs on every run, so replays would not give the same document — use $runTime, the document\'s issue time',
  random: 'random values would make every run of the mapping give a different document — remove it',
  shuffle: 'random values would make every run of the mapping give a different document — remove it',
  round: '$round rounds half-to-even in floating point; amounts and rounding are computed by domain code (half-up, in decimal) — copy the amount with path instead',
  match: 'regular expressions are not available in mappings (they can run unbounded) — use $contains, $substringBefore or $substringAfter with text',
  map: 'functions cannot be defined in mappings, so $map has nothing to apply — use a path, e.g. items.sku, or items.{ "code": sku }',
  filter: 'functions cannot be defined in mappings, so $filter has nothing to apply — use a [condition] filter, e.g. items[quantity > 0]',
  reduce: 'functions cannot be defined in mappings, so $reduce has nothing to apply — use $sum, $count, $max or $min',
  single: 'functions cannot be defined in mappings — use a [condition] filter and [0], e.g. items[sku = "A"][0]',
  sift: 'functions cannot be defined in mappings — use a [condition] filter on the object\'s fields',
  each: 'functions cannot be defined in mappings — use $keys and $lookup',
  error: 'mappings stop a document with required: true on a node, not with $error',
  assert: 'mappings stop a document with required: true on a node, not with $assert',
  power: 'arithmetic on amounts belongs in domain code — copy the amount with path',
  sqrt: 'arithmetic on amounts belongs in domain code — copy the amount with path',
};

const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const COMPARISON = new Set(['=', '!=', '<', '<=', '>', '>=', 'in']);

export interface ExpressionProblem {
  /** A stable code, e.g. forbidden-function. */
  code: string;
  /** 0-based character offset in the expression text. */
  offset: number;
  message: string;
}

/** A root reference that reads a whole list ($root.items[...], $count($$.items)). */
export interface RootScan {
  offset: number;
  /** `$root` or `$$` */
  variable: '$root' | '$$';
  /** It sits in a part of the expression that runs once per element of another list. */
  iterated: boolean;
}

export interface ExpressionFacts {
  /** Names referenced as $name that are not bound by the engine: they must be vars of the file. */
  vars: string[];
  /** Whether the expression reads the input at all (paths, $, $$, $root, $runTime, vars). */
  readsInput: boolean;
  /** The value of an expression that reads no input and could be folded at load. */
  constant?: { value: unknown };
  /** Offset of arithmetic or a number-producing function, if any (refused for decimal results). */
  computesAt?: number;
  rootScans: RootScan[];
}

export interface GuardedExpression {
  readonly text: string;
  readonly facts: ExpressionFacts;
  /** Evaluates with `scope` as `$`; throws ExpressionFailure (never JSONata's plain error objects). */
  evaluate(scope: unknown, bindings: Record<string, unknown>): Promise<unknown>;
}

/** An evaluation failed. `message` names no input value (buyer data must not reach logs). */
export class ExpressionFailure extends Error {
  constructor(
    readonly code: string,
    /** 0-based offset in the expression, when JSONata gave one. */
    readonly offset: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ExpressionFailure';
  }

  /** Exceeded a guardrail: the expression itself is at fault, not the data. */
  get isLimit(): boolean {
    return this.code === 'D1011' || this.code === 'D1012' || this.code === 'D2015';
  }
}

interface AstNode {
  type: string;
  value?: unknown;
  position?: number;
  [key: string]: unknown;
  arguments?: AstNode[];
  procedure?: AstNode;
  steps?: AstNode[];
  expressions?: AstNode[];
  stages?: AstNode[];
  predicate?: AstNode[];
  expression?: AstNode;
  lhs?: AstNode | AstNode[][];
  rhs?: AstNode;
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  group?: { lhs: AstNode[][]; position?: number };
  terms?: { expression: AstNode }[];
  expr?: AstNode;
  body?: AstNode;
}

function problem(code: string, node: AstNode | undefined, message: string): ExpressionProblem {
  return { code, offset: startOf(node), message };
}

/** The text being checked, for the few tokens whose start the syntax tree does not tell. */
let currentText: string | undefined;

/** JSONata positions mark where a token ends; errors should point where it starts. */
function startOf(node: AstNode | undefined): number {
  if (!node) return 0;
  if (node.type === 'function' && node.procedure?.position !== undefined) return startOf(node.procedure);
  if (node.type === 'path' && node.steps?.[0]) return startOf(node.steps[0]);
  const end = node.position ?? 1;
  switch (node.type) {
    case 'variable':
      return Math.max(0, end - String(node.value ?? '').length - 1);
    case 'name':
      return Math.max(0, end - String(node.value ?? '').length);
    case 'binary':
    case 'bind':
      return Math.max(0, end - String(node.value ?? ' ').length);
    case 'number':
      return Math.max(0, end - String(node.value).length);
    case 'string':
      return Math.max(0, end - String(node.value).length - 2);
    case 'regex': {
      // JSONata keeps the compiled RegExp (with flags of its own): find the literal's opening slash.
      const source = (node.value as RegExp | undefined)?.source ?? '';
      return Math.max(0, (currentText?.lastIndexOf(`/${source}/`, end) ?? end - 1));
    }
    case 'lambda':
      return Math.max(0, end - 'function('.length);
    default:
      return Math.max(0, end - 1);
  }
}

/** Walks the syntax tree once: allow-list, free variables, constants, money and O(n²) facts. */
class ExpressionChecker {
  readonly problems: ExpressionProblem[] = [];
  readonly vars = new Set<string>();
  readsInput = false;
  computesAt: number | undefined;
  readonly rootScans: RootScan[] = [];
  /** $i names bound by `#$i` index steps. */
  private readonly localNames = new Set<string>();

  walk(node: AstNode | undefined, iterated: boolean): void {
    if (!node || typeof node !== 'object') return;
    switch (node.type) {
      case 'string':
      case 'number':
      case 'value':
        break;
      case 'name':
      case 'wildcard':
      case 'descendant':
      case 'parent':
        this.readsInput = true;
        break;
      case 'variable':
        this.variable(node);
        break;
      case 'path':
        this.path(node, iterated);
        break;
      case 'binary':
        if (node.value === '..') {
          this.problems.push(problem('range', node, 'ranges such as [1..10] build lists out of nothing; a mapping only reads its input — remove the range'));
          break;
        }
        if (ARITHMETIC.has(node.value as string)) this.computesAt ??= startOf(node);
        this.walk(node.lhs as AstNode, iterated);
        this.walk(node.rhs, iterated);
        break;
      case 'unary':
        if (node.value === '-') {
          this.computesAt ??= startOf(node);
          this.walk(node.expression, iterated);
        } else if (node.value === '[') {
          for (const item of node.expressions ?? []) this.walk(item, iterated);
        } else if (node.value === '{') {
          for (const pair of (node.lhs as AstNode[][] | undefined) ?? []) for (const part of pair) this.walk(part, iterated);
        } else {
          this.problems.push(problem('unsupported', node, `the operator ${String(node.value)} is not available in mappings`));
        }
        break;
      case 'condition':
        this.walk(node.condition, iterated);
        this.walk(node.then, iterated);
        this.walk(node.else, iterated);
        break;
      case 'block':
        for (const item of node.expressions ?? []) this.walk(item, iterated);
        break;
      case 'function':
        this.call(node, iterated, 0);
        break;
      case 'apply':
        this.walk(node.lhs as AstNode, iterated);
        if (node.rhs?.type === 'function') this.call(node.rhs, iterated, 1);
        else this.problems.push(problem('apply', node.rhs ?? node, '~> must be followed by a function call such as $uppercase()'));
        break;
      case 'sort':
        for (const term of node.terms ?? []) this.walk(term.expression, true);
        break;
      case 'bind':
        this.problems.push(problem('binding', node, ':= is not available in mappings — compute a shared value once under vars: and use it here as $name'));
        break;
      case 'lambda':
        this.problems.push(problem('function-definition', node, 'functions cannot be defined in mappings (no function(…){…}) — use paths, [filters] and the allowed $functions'));
        break;
      case 'partial':
        this.problems.push(problem('function-definition', node, 'partial application (?) defines a function, which mappings cannot do — call the function with all its arguments'));
        break;
      case 'regex':
        this.problems.push(problem('regex', node, 'regular expressions are not available in mappings (they can run unbounded) — match text with $contains, $substringBefore or $substringAfter'));
        break;
      case 'transform':
        this.problems.push(problem('unsupported', node, 'the |…|…| transform operator is not available in mappings — build the output with fields instead'));
        break;
      default:
        this.problems.push(problem('unsupported', node, `this part of JSONata (${node.type}) is not available in mappings`));
    }
    // Filters and object constructors attached to any node run once per element of its result.
    for (const stage of node.stages ?? []) this.stage(stage);
    for (const stage of node.predicate ?? []) this.stage(stage);
    if (node.group) for (const pair of node.group.lhs) for (const part of pair) this.walk(part, true);
    if (node.focus !== undefined) {
      this.problems.push(problem('focus', node, 'the @ focus operator joins lists and is not available in mappings — use a path with a [filter]'));
    }
    if (typeof node.index === 'string') this.localNames.add(node.index);
  }

  /** One finding per root reference, however many reasons make it a scan. */
  private addScan(head: AstNode, iterated: boolean): void {
    const offset = startOf(head);
    const known = this.rootScans.find((scan) => scan.offset === offset);
    if (known) known.iterated ||= iterated;
    else this.rootScans.push({ offset, variable: head.value === '$' ? '$$' : '$root', iterated });
  }

  private stage(stage: AstNode): void {
    if (stage.type === 'filter') this.walk(stage.expr, true);
    else if (stage.type === 'index') this.localNames.add(String(stage.value));
    else this.walk(stage, true);
  }

  private variable(node: AstNode): void {
    const name = String(node.value);
    this.readsInput = true;
    if (name === '' || name === '$' || this.localNames.has(name) || (BOUND_NAMES as readonly string[]).includes(name)) return;
    if (name in ALLOWED_FUNCTIONS || name in FORBIDDEN_FUNCTIONS) {
      this.problems.push(problem('function-value', node, `$${name} is a function: call it with its arguments, e.g. $${name}(…); functions cannot be passed around or stored`));
      return;
    }
    this.vars.add(name);
  }

  private path(node: AstNode, iterated: boolean): void {
    const steps = node.steps ?? [];
    const first = steps[0];
    const root = first?.type === 'variable' && (first.value === '$' || first.value === 'root') ? (first.value === '$' ? '$$' : '$root') : undefined;
    if (root) {
      const scans = steps.some((step, i) => (step.stages?.length ?? 0) > 0 || step.group !== undefined || step.type === 'sort' || step.type === 'wildcard' || step.type === 'descendant' || (i > 0 && step.type === 'block'));
      if (scans) this.addScan(first as AstNode, iterated);
    }
    steps.forEach((step, i) => this.walk(step, iterated || i > 0));
  }

  private call(node: AstNode, iterated: boolean, shift: number): void {
    const procedure = node.procedure;
    const args = node.arguments ?? [];
    if (procedure?.type !== 'variable') {
      // What is called may itself be refused (a function definition): say that rather than "call".
      const before = this.problems.length;
      this.walk(procedure, iterated);
      if (this.problems.length > before) return;
      this.problems.push(problem('call', procedure ?? node, 'only the allowed $functions can be called, and their names start with $ (e.g. $not(x), not not(x))'));
      return;
    }
    const name = String(procedure.value);
    const forbidden = FORBIDDEN_FUNCTIONS[name];
    const rule = ALLOWED_FUNCTIONS[name];
    if (forbidden !== undefined) {
      this.problems.push(problem('forbidden-function', procedure, `$${name} is not allowed: ${forbidden}`));
    } else if (!rule) {
      this.problems.push(
        problem(
          'forbidden-function',
          procedure,
          `$${name} is not a function mappings may call — use one of ${Object.keys(ALLOWED_FUNCTIONS).map((f) => `$${f}`).join(' ')}`,
        ),
      );
    } else {
      const complaint = rule.check?.(args, shift);
      if (complaint) this.problems.push(complaint);
      if (rule.computes) this.computesAt ??= startOf(procedure);
      if (rule.scans) {
        for (const arg of args) {
          const head = arg.type === 'path' ? arg.steps?.[0] : arg;
          if (head?.type === 'variable' && (head.value === '$' || head.value === 'root')) this.addScan(head, iterated);
        }
      }
    }
    for (const arg of args) this.walk(arg, iterated);
  }
}

// ─── constants ──────────────────────────────────────────────────────────────────────────────────

const NOT_CONSTANT = Symbol('not constant');

/** JSONata's truthiness ($boolean), for conditions: empty text, 0, [] and {} are false. */
export function jsonataTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) {
    if (value.length === 1) return jsonataTruthy(value[0]);
    return value.some((item) => jsonataTruthy(item));
  }
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'string':
      return value.length > 0;
    case 'number':
      return value !== 0;
    case 'object':
      return Object.keys(value).length > 0;
    default:
      return false;
  }
}

/** Folds the few constant forms worth knowing at load (literals, not/and/or, comparisons of literals). */
function fold(node: AstNode | undefined): unknown {
  if (!node) return NOT_CONSTANT;
  if (node.stages?.length || node.predicate?.length || node.group) return NOT_CONSTANT;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value':
      return node.value;
    case 'block':
      return node.expressions?.length === 1 ? fold(node.expressions[0]) : NOT_CONSTANT;
    case 'condition': {
      const condition = fold(node.condition);
      if (condition === NOT_CONSTANT) return NOT_CONSTANT;
      return jsonataTruthy(condition) ? fold(node.then) : node.else ? fold(node.else) : undefined;
    }
    case 'function': {
      const name = node.procedure?.type === 'variable' ? node.procedure.value : undefined;
      if ((name !== 'not' && name !== 'boolean') || node.arguments?.length !== 1) return NOT_CONSTANT;
      const argument = fold(node.arguments[0]);
      if (argument === NOT_CONSTANT) return NOT_CONSTANT;
      return name === 'not' ? !jsonataTruthy(argument) : jsonataTruthy(argument);
    }
    case 'binary': {
      const op = node.value as string;
      const left = fold(node.lhs as AstNode);
      const right = fold(node.rhs);
      if (op === 'and' || op === 'or') {
        // false and <anything> is false; true or <anything> is true.
        if (left !== NOT_CONSTANT && jsonataTruthy(left) === (op === 'or')) return op === 'or';
        if (left === NOT_CONSTANT || right === NOT_CONSTANT) return NOT_CONSTANT;
        return op === 'and' ? jsonataTruthy(left) && jsonataTruthy(right) : jsonataTruthy(left) || jsonataTruthy(right);
      }
      if (left === NOT_CONSTANT || right === NOT_CONSTANT || !COMPARISON.has(op) || op === 'in') return NOT_CONSTANT;
      if (left === undefined || right === undefined) return false;
      if (op === '=') return left === right;
      if (op === '!=') return left !== right;
      if (typeof left !== typeof right || (typeof left !== 'number' && typeof left !== 'string')) return NOT_CONSTANT;
      const a = left as number | string;
      const b = right as number | string;
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
    default:
      return NOT_CONSTANT;
  }
}

// ─── compile and evaluate ───────────────────────────────────────────────────────────────────────

const LIMIT_MESSAGES: Record<string, string> = {
  D1011: 'the expression nests deeper than JSONata\'s stack limit (200) — simplify it',
  D1012: `the expression ran longer than ${EXPRESSION_LIMITS.timeout} ms — simplify it; compute shared parts once under vars: instead of once per item`,
  D2015: `a list inside the expression grew beyond ${EXPRESSION_LIMITS.sequence.toLocaleString('en')} items — filter the input before combining lists`,
};

interface JsonataErrorShape {
  code?: unknown;
  position?: unknown;
  message?: unknown;
  value?: unknown;
  value2?: unknown;
}

/** JSONata messages quote the offending input value; it may be buyer data, so it is cut out. */
function scrub(message: string, error: JsonataErrorShape): string {
  let text = message;
  for (const value of [error.value, error.value2]) {
    if (value === undefined || value === null || typeof value === 'boolean') continue;
    for (const form of new Set([JSON.stringify(value), String(value)])) {
      if (form && form.length > 0 && form !== 'undefined') text = text.split(form).join('<value>');
    }
  }
  return text;
}

function failureOf(error: unknown): ExpressionFailure {
  if (error instanceof ExpressionFailure) return error;
  if (error instanceof RangeError) {
    return new ExpressionFailure('RangeError', undefined, 'the expression built a value too large to hold — simplify it');
  }
  const shape = (typeof error === 'object' && error !== null ? error : {}) as JsonataErrorShape;
  const code = typeof shape.code === 'string' ? shape.code : 'unknown';
  const offset = typeof shape.position === 'number' ? Math.max(0, shape.position - 1) : undefined;
  const limit = LIMIT_MESSAGES[code];
  const base = limit ?? (typeof shape.message === 'string' ? scrub(shape.message, shape) : 'the expression failed');
  return new ExpressionFailure(code, offset, `${base} (JSONata ${code}${offset === undefined || limit ? '' : ` at character ${offset + 1}`})`);
}

export interface CompiledExpressionResult {
  expression?: GuardedExpression;
  problems: ExpressionProblem[];
}

/** Parses and checks one expression. Never throws for bad text: `problems` says what is wrong. */
export function compileExpression(text: string): CompiledExpressionResult {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(text, { ...EXPRESSION_LIMITS });
  } catch (error) {
    const shape = error as JsonataErrorShape;
    const offset = typeof shape.position === 'number' ? Math.max(0, shape.position - 1) : 0;
    const message = typeof shape.message === 'string' ? shape.message : 'syntax error';
    return { problems: [{ code: 'syntax', offset, message: `expression syntax error: ${message} — see https://docs.jsonata.org for the syntax` }] };
  }
  const ast = compiled.ast() as unknown as AstNode;
  const checker = new ExpressionChecker();
  currentText = text;
  try {
    checker.walk(ast, false);
  } finally {
    currentText = undefined;
  }
  if (checker.problems.length > 0) return { problems: checker.problems };
  const folded = checker.readsInput ? NOT_CONSTANT : fold(ast);
  const facts: ExpressionFacts = {
    vars: [...checker.vars],
    readsInput: checker.readsInput,
    rootScans: checker.rootScans,
    ...(folded === NOT_CONSTANT ? {} : { constant: { value: folded } }),
    ...(checker.computesAt === undefined ? {} : { computesAt: checker.computesAt }),
  };
  return {
    problems: [],
    expression: {
      text,
      facts,
      async evaluate(scope, bindings) {
        try {
          return await compiled.evaluate(scope, bindings);
        } catch (error) {
          throw failureOf(error);
        }
      },
    },
  };
}

/** Thrown by toFieldValue when a path gave several values where the field takes one. */
export class AmbiguousResult extends Error {
  constructor(readonly count: number) {
    super(
      `the expression gave ${count} values where the field takes one (a path over a list gives one value per item, ` +
        'and a single value when the list has one item) — wrap it in [ ] (or end the path with []) to always get a list, or pick one with [0]',
    );
    this.name = 'AmbiguousResult';
  }
}

/**
 * A JSONata result as a plain JSON value: JSONata marks its result lists with `sequence: true` (and
 * an own `push`), functions are not data, and a path result is a bare value for one match but a
 * list for several — a list with the sequence mark is refused so the field cannot change type with
 * the number of items. Lists built with [ ] or asked for with a trailing [] are kept.
 */
export function toFieldValue(result: unknown): unknown {
  if (result === undefined || typeof result === 'function') return undefined;
  const marks = result as { sequence?: unknown; keepSingleton?: unknown };
  if (Array.isArray(result) && marks.sequence === true && marks.keepSingleton !== true && result.length > 1) {
    throw new AmbiguousResult(result.length);
  }
  if (typeof result !== 'object' || result === null) return result;
  const json = JSON.stringify(result);
  return json === undefined ? undefined : JSON.parse(json);
}
