/**
 * JSON parsing for Shopify webhook bodies that keeps ids exact.
 *
 * Shopify writes ids as bare JSON numbers, and they grow past 2^53, where `JSON.parse` silently
 * rounds them (5678901234567890123 → 5678901234567890000). This parser reads the raw text token by
 * token and keeps the literal text of the numbers that must stay exact:
 *   - every integer under a key named `id` or ending in `_id` becomes a string, whatever its size,
 *     so mappings always see one type for an id;
 *   - every integer in an array under a key ending in `_ids` becomes a string;
 *   - any other integer that a double cannot hold exactly becomes a string instead of being rounded.
 * Everything else (money strings, tax rates, quantities) parses exactly like `JSON.parse`.
 *
 * It also bounds the work an untrusted body can cause: nesting depth and array length.
 */

export interface JsonLimits {
  /** Deepest allowed nesting of objects/arrays; the top-level value is depth 1. */
  maxDepth: number;
  /** Most elements one array may have. */
  maxArrayLength: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxArrayLength: 10_000 };

export type JsonErrorReason = 'syntax' | 'too_deep' | 'array_too_long';

export class ShopifyJsonError extends Error {
  readonly reason: JsonErrorReason;
  /** Character offset in the body where the problem was found. */
  readonly offset: number;
  /** JSON path of the value being read (`$.line_items[3]`); never contains body values. */
  readonly path: string;

  constructor(reason: JsonErrorReason, message: string, offset: number, path: string) {
    super(`${message} (at ${path}, character ${offset})`);
    this.name = 'ShopifyJsonError';
    this.reason = reason;
    this.offset = offset;
    this.path = path;
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const CH_SPACE = 0x20;
const CH_TAB = 0x09;
const CH_LF = 0x0a;
const CH_CR = 0x0d;
const CH_QUOTE = 0x22;
const CH_BACKSLASH = 0x5c;
const CH_MINUS = 0x2d;
const CH_PLUS = 0x2b;
const CH_DOT = 0x2e;
const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_LOWER_E = 0x65;
const CH_UPPER_E = 0x45;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isIdKey(key: string | number | undefined): boolean {
  return typeof key === 'string' && (key === 'id' || key.endsWith('_id'));
}

function isIdListKey(key: string | number | undefined): boolean {
  return typeof key === 'string' && key.endsWith('_ids');
}

class Parser {
  private pos = 0;
  private depth = 0;
  /** Keys and indexes from the root to the value being read, for error messages and id rules. */
  private readonly path: (string | number)[] = [];

  constructor(
    private readonly text: string,
    private readonly limits: JsonLimits,
  ) {}

  parseDocument(): unknown {
    this.skipWhitespace();
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('unexpected characters after the JSON value');
    return value;
  }

  private fail(message: string, reason: JsonErrorReason = 'syntax'): never {
    throw new ShopifyJsonError(reason, message, this.pos, this.pathString());
  }

  private pathString(): string {
    let out = '$';
    for (const part of this.path) {
      out += typeof part === 'number' ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
    }
    return out;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === CH_SPACE || c === CH_LF || c === CH_CR || c === CH_TAB) pos++;
      else break;
    }
    this.pos = pos;
  }

  private parseValue(): unknown {
    if (this.pos >= this.text.length) this.fail('unexpected end of input, expected a value');
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject();
      case '[':
        return this.parseArray();
      case '"':
        return this.parseString();
      case 't':
        return this.parseLiteral('true', true);
      case 'f':
        return this.parseLiteral('false', false);
      case 'n':
        return this.parseLiteral('null', null);
      default: {
        const code = this.text.charCodeAt(this.pos);
        if (code === CH_MINUS || isDigit(code)) return this.parseNumber();
        return this.fail(`unexpected character ${JSON.stringify(c)}, expected a value`);
      }
    }
  }

  private enter(): void {
    this.depth++;
    if (this.depth > this.limits.maxDepth) {
      this.fail(`JSON nesting is deeper than ${this.limits.maxDepth} levels`, 'too_deep');
    }
  }

  private parseObject(): Record<string, unknown> {
    this.enter();
    this.pos++; // {
    const result: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a property name in double quotes');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after property name`);
      this.pos++;
      this.skipWhitespace();
      this.path.push(key);
      const value = this.parseValue();
      this.path.pop();
      if (key === '__proto__') {
        // Same outcome as JSON.parse: an own property, never a prototype change.
        Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        result[key] = value;
      }
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === '}') {
        this.pos++;
        this.depth--;
        return result;
      }
      this.fail(`expected ',' or '}' in object`);
    }
  }

  private parseArray(): unknown[] {
    this.enter();
    this.pos++; // [
    const result: unknown[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return result;
    }
    for (;;) {
      if (result.length >= this.limits.maxArrayLength) {
        this.fail(`array has more than ${this.limits.maxArrayLength} elements`, 'array_too_long');
      }
      this.skipWhitespace();
      this.path.push(result.length);
      result.push(this.parseValue());
      this.path.pop();
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === ']') {
        this.pos++;
        this.depth--;
        return result;
      }
      this.fail(`expected ',' or ']' in array`);
    }
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('unexpected token, expected a value');
    this.pos += word.length;
    return value;
  }

  private parseString(): string {
    const text = this.text;
    const start = ++this.pos; // opening quote
    let out = '';
    let chunkStart = start;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === CH_QUOTE) {
        out += text.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('unescaped control character in string');
      if (c === CH_BACKSLASH) {
        out += text.slice(chunkStart, this.pos);
        const esc = text[this.pos + 1];
        if (esc === 'u') {
          const hex = text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape in string');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else if (esc !== undefined && Object.prototype.hasOwnProperty.call(ESCAPES, esc)) {
          out += ESCAPES[esc];
          this.pos += 2;
        } else {
          this.fail('invalid escape sequence in string');
        }
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
    return this.fail('unterminated string');
  }

  private parseNumber(): number | string {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    let integer = true;
    if (text.charCodeAt(pos) === CH_MINUS) pos++;
    const firstDigit = text.charCodeAt(pos);
    if (firstDigit === CH_0) {
      pos++;
    } else if (isDigit(firstDigit)) {
      while (isDigit(text.charCodeAt(pos))) pos++;
    } else {
      this.pos = pos;
      this.fail('invalid number');
    }
    if (text.charCodeAt(pos) === CH_DOT) {
      integer = false;
      pos++;
      if (!isDigit(text.charCodeAt(pos))) {
        this.pos = pos;
        this.fail('invalid number: expected digits after the decimal point');
      }
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === CH_LOWER_E || e === CH_UPPER_E) {
      integer = false;
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === CH_PLUS || sign === CH_MINUS) pos++;
      if (!isDigit(text.charCodeAt(pos))) {
        this.pos = pos;
        this.fail('invalid number: expected digits in the exponent');
      }
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    this.pos = pos;
    const literal = text.slice(start, pos);
    if (integer) {
      const key = this.path[this.path.length - 1];
      const parentKey = this.path[this.path.length - 2];
      if (isIdKey(key) || (typeof key === 'number' && isIdListKey(parentKey))) return literal;
      const value = Number(literal);
      return Number.isSafeInteger(value) ? value : literal;
    }
    return Number(literal);
  }
}

/**
 * Parses a Shopify body token by token. Ids come back as strings (see the module comment); throws
 * ShopifyJsonError with the reason, the JSON path and the character offset. On the acknowledgement path
 * most webhook bodies are not parsed at all but scanned (body-scan.ts), which must agree with this.
 */
export function parseShopifyJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  return new Parser(text, limits).parseDocument();
}
