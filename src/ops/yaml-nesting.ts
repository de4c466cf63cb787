/**
 * How deeply a YAML text nests, measured before any parser sees it.
 *
 * The yaml library parses nesting recursively. Thousands of levels overflow the stack, which it
 * reports as an error — except that a stack overflow that lands inside V8's regular-expression
 * compiler aborts the whole process ("RegExpCompiler Allocation failed - process out of memory").
 * Reproduced with yaml 2.9.1 on Node 20: parse `[` × 5000, then `- ` × 2000 → the process dies.
 * Configuration and mapping files never nest more than a few dozen levels, so anything deeper is
 * refused here, with its line and column, and never reaches the parser.
 */

export const MAX_YAML_NESTING = 100;

export interface NestingProblem {
  depth: number;
  offset: number;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

/**
 * The first place where flow collections (`[`, `{`) plus block nesting (indentation and chained
 * `- ` / `? ` entries on one line) go deeper than `max`; undefined when the text stays within it.
 * Quoted scalars and comments are skipped. Block depth is estimated from indentation (two columns a
 * level), so the count is approximate — close enough to stop the thousands of levels that matter.
 */
export function yamlNestingProblem(text: string, max = MAX_YAML_NESTING): NestingProblem | undefined {
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let quote: '"' | "'" | undefined;
  let i = 0;
  const problem = (depth: number, offset: number): NestingProblem => ({ depth, offset, line, column: offset - lineStart + 1 });
  /** Block depth of the line starting at `start`: indentation (two spaces a level) and chained entry markers. */
  const blockDepth = (start: number): number => {
    let j = start;
    while (text[j] === ' ' || text[j] === '\t') j++;
    const indent = j - start;
    let markers = 0;
    while ((text[j] === '-' || text[j] === '?') && (text[j + 1] === ' ' || text[j + 1] === '\t')) {
      markers++;
      j += 2;
      while (text[j] === ' ' || text[j] === '\t') j++;
    }
    return Math.ceil(indent / 2) + markers;
  };
  const first = blockDepth(0);
  if (first > max) return problem(first, 0);
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      i++;
      if (!quote) {
        // Inside a flow collection, indentation means nothing: only the brackets count.
        const depth = flow > 0 ? flow : blockDepth(i);
        if (depth > max) return problem(depth, i);
      }
      continue;
    }
    if (quote) {
      if (quote === '"' && c === '\\') i += 2;
      else if (c === quote && quote === "'" && text[i + 1] === "'") i += 2;
      else {
        if (c === quote) quote = undefined;
        i++;
      }
      continue;
    }
    const before = i === 0 ? '\n' : text[i - 1]!;
    const opensToken = /[\s[{,:]/.test(before);
    if ((c === '"' || c === "'") && opensToken) {
      quote = c;
    } else if (c === '#' && /\s/.test(before)) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    } else if (c === '[' || c === '{') {
      flow++;
      if (flow > max) return problem(flow, i);
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
    }
    i++;
  }
  return undefined;
}
