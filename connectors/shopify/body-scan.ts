/**
 * The acknowledgement path's reading of a Shopify webhook body: one pass over its bytes that builds no
 * payload. For the bodies it can vouch for, it finds what the exact parser (payload-json.ts) would find —
 * that the body is a JSON object within the limits, which integers are ids — and hands back the body's
 * text with those ids quoted (what the store keeps; `JSON.parse` of it gives exactly what the exact
 * parser gives) and the few top-level members the receiver reads to route the event.
 *
 * Why: the whole payload parsed with `JSON.parse` was the largest cost of acknowledging a delivery (one
 * object per value, most of it garbage a moment later, since the store keeps the text). The payload is
 * parsed when the pipeline reads the event.
 *
 * It vouches for nothing it is unsure of — any syntax error, a limit passed, an escape in a key, an id
 * written as `5.0`, an integer a double cannot hold — and answers `undefined`; the caller then parses
 * the text with `parseShopifyJson`, which decides and says what is wrong, and where.
 */
import { DEFAULT_JSON_LIMITS, parseShopifyJson, type JsonLimits } from './payload-json.js';

export interface ScannedBody {
  /** The body with its id integers quoted; `JSON.parse(text)` is the payload, ids as strings. */
  text: string;
  /** The top-level members asked for (those present), parsed with the same rules as the whole body. */
  head: Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_U = 0x75;
const UNDERSCORE = 0x5f;
const LOWER_I = 0x69;
const LOWER_D = 0x64;
const LOWER_S = 0x73;
/** The escapes JSON allows after a backslash, but `u`: `" \ / b f n r t`. */
const SIMPLE_ESCAPES = new Set([QUOTE, BACKSLASH, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

/** What a value's key says about its integers: an id, a list of ids, or neither. */
const enum Key {
  Other,
  Id,
  IdList,
}

/** Fewer digits than this always make a safe integer (2^53 has 16). */
const SAFE_DIGITS = 16;

/** Thrown inside the scan only; the caller turns it into `undefined`. */
const UNSURE = new Error('the exact parser decides');

class BodyScan {
  private pos = 0;
  /** Byte offsets of the id integers, start and end in turn. */
  readonly idSpans: number[] = [];
  /** Byte offsets of the wanted top-level members: from the key's opening quote to the end of the value. */
  readonly headSpans: number[] = [];

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: JsonLimits,
    private readonly headKeys: readonly string[],
  ) {}

  scanDocument(): void {
    this.skipWhitespace();
    if (this.bytes[this.pos] !== OPEN_BRACE) throw UNSURE;
    this.scanObject(1);
    this.skipWhitespace();
    if (this.pos !== this.bytes.length) throw UNSURE;
  }

  private skipWhitespace(): void {
    const bytes = this.bytes;
    let pos = this.pos;
    for (;;) {
      const c = bytes[pos];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  private scanValue(depth: number, key: Key): void {
    const c = this.bytes[this.pos];
    if (c === QUOTE) this.scanString(false);
    else if (c === OPEN_BRACE) this.scanObject(depth);
    else if (c === OPEN_BRACKET) this.scanArray(depth, key);
    else if (c === 0x74) this.scanLiteral('true');
    else if (c === 0x66) this.scanLiteral('false');
    else if (c === 0x6e) this.scanLiteral('null');
    else this.scanNumber(key === Key.Id);
  }

  /** Steps into an object or array at `depth`; true when it is empty, and then already past its end. */
  private enter(depth: number, close: number): boolean {
    if (depth > this.limits.maxDepth) throw UNSURE;
    this.pos++;
    this.skipWhitespace();
    if (this.bytes[this.pos] !== close) return false;
    this.pos++;
    return true;
  }

  /** After a member or an element: true past the end of its object or array, false past a comma. */
  private ended(close: number): boolean {
    this.skipWhitespace();
    const next = this.bytes[this.pos++];
    if (next === close) return true;
    if (next !== COMMA) throw UNSURE;
    this.skipWhitespace();
    return false;
  }

  private scanObject(depth: number): void {
    if (this.enter(depth, CLOSE_BRACE)) return;
    for (;;) {
      const keyStart = this.pos;
      if (this.bytes[keyStart] !== QUOTE) throw UNSURE;
      this.scanString(true);
      const keyEnd = this.pos - 1;
      const key = keyKind(this.bytes, keyStart + 1, keyEnd);
      this.skipWhitespace();
      if (this.bytes[this.pos] !== COLON) throw UNSURE;
      this.pos++;
      this.skipWhitespace();
      this.scanValue(depth + 1, key);
      if (depth === 1 && this.isHeadKey(keyStart + 1, keyEnd)) this.headSpans.push(keyStart, this.pos);
      if (this.ended(CLOSE_BRACE)) return;
    }
  }

  private scanArray(depth: number, key: Key): void {
    if (this.enter(depth, CLOSE_BRACKET)) return;
    // The integers right inside a list of ids are ids; deeper down, keys decide again.
    const element = key === Key.IdList ? Key.Id : Key.Other;
    for (let count = 1; ; count++) {
      if (count > this.limits.maxArrayLength) throw UNSURE;
      this.scanValue(depth + 1, element);
      if (this.ended(CLOSE_BRACKET)) return;
    }
  }

  /** A string, as JSON.parse would take it; in a key any escape is refused (it could spell `id`). */
  private scanString(isKey: boolean): void {
    const bytes = this.bytes;
    let pos = this.pos + 1;
    for (;;) {
      const c = bytes[pos++];
      if (c === QUOTE) break;
      if (c === undefined || c < 0x20) throw UNSURE;
      if (c === BACKSLASH) {
        if (isKey) throw UNSURE;
        const escape = bytes[pos++]!;
        if (escape === LOWER_U) {
          for (let end = pos + 4; pos < end; pos++) if (!isHexDigit(bytes[pos])) throw UNSURE;
        } else if (!SIMPLE_ESCAPES.has(escape)) {
          throw UNSURE;
        }
      }
    }
    this.pos = pos;
  }

  private scanLiteral(literal: string): void {
    for (let i = 0; i < literal.length; i++) if (this.bytes[this.pos + i] !== literal.charCodeAt(i)) throw UNSURE;
    this.pos += literal.length;
  }

  /** A number as JSON writes it; an id must be an integer, and any other integer must fit a double. */
  private scanNumber(isId: boolean): void {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    if (bytes[pos] === MINUS) pos++;
    const first = bytes[pos];
    if (first === ZERO) pos++;
    else if (isDigit(first)) while (isDigit(bytes[pos])) pos++;
    else throw UNSURE;
    const integerEnd = pos;
    if (bytes[pos] === DOT) {
      pos++;
      if (!isDigit(bytes[pos])) throw UNSURE;
      while (isDigit(bytes[pos])) pos++;
    }
    const exponent = bytes[pos] === LOWER_E || bytes[pos] === UPPER_E;
    if (exponent) {
      pos++;
      if (bytes[pos] === PLUS || bytes[pos] === MINUS) pos++;
      if (!isDigit(bytes[pos])) throw UNSURE;
      while (isDigit(bytes[pos])) pos++;
    }
    this.pos = pos;
    const integer = pos === integerEnd;
    if (isId) {
      // `5.0` or `5e0` under an id: the exact parser reads a number there, not the text.
      if (!integer) throw UNSURE;
      this.idSpans.push(start, pos);
      return;
    }
    // Only a number JSON writes back as it reads may stay in the text the store keeps: not an integer a
    // double cannot hold, not one past the doubles (1e400), not -0 (either would read differently once
    // the record is written again). Only a negative, a long or an exponent form can be one of those.
    const suspect = bytes[start] === MINUS || exponent || pos - start >= SAFE_DIGITS;
    if (suspect && !isPlainNumber(Number(latin1(bytes, start, pos)), integer)) throw UNSURE;
  }

  private isHeadKey(start: number, end: number): boolean {
    for (const key of this.headKeys) {
      if (key.length !== end - start) continue;
      let same = true;
      for (let i = 0; i < key.length && same; i++) same = this.bytes[start + i] === key.charCodeAt(i);
      if (same) return true;
    }
    return false;
  }
}

/** `id` or `…_id`: an id; `…_ids`: a list of ids (the rules of payload-json.ts, on bytes). */
function keyKind(bytes: Uint8Array, start: number, end: number): Key {
  const length = end - start;
  if (length >= 2 && bytes[end - 1] === LOWER_D && bytes[end - 2] === LOWER_I && (length === 2 || bytes[end - 3] === UNDERSCORE)) return Key.Id;
  if (length >= 4 && bytes[end - 1] === LOWER_S && bytes[end - 2] === LOWER_D && bytes[end - 3] === LOWER_I && bytes[end - 4] === UNDERSCORE) return Key.IdList;
  return Key.Other;
}

function isPlainNumber(value: number, integer: boolean): boolean {
  return Number.isFinite(value) && !Object.is(value, -0) && (!integer || Number.isSafeInteger(value));
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

function isHexDigit(c: number | undefined): boolean {
  return c !== undefined && ((c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** The bytes with a quote before and after each span. */
function withQuotes(bytes: Uint8Array, spans: readonly number[]): Buffer {
  const quoted = Buffer.allocUnsafe(bytes.length + spans.length);
  let from = 0;
  let to = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const start = spans[i]!;
    const end = spans[i + 1]!;
    quoted.set(bytes.subarray(from, start), to);
    to += start - from;
    quoted[to++] = QUOTE;
    quoted.set(bytes.subarray(start, end), to);
    to += end - start;
    quoted[to++] = QUOTE;
    from = end;
  }
  quoted.set(bytes.subarray(from), to);
  return quoted;
}

/**
 * Scans a body; `undefined` when the exact parser must decide (see the module comment). `headKeys` are
 * the top-level members to hand back parsed.
 */
export function scanShopifyBody(bytes: Uint8Array, headKeys: readonly string[], limits: JsonLimits = DEFAULT_JSON_LIMITS): ScannedBody | undefined {
  const scan = new BodyScan(bytes, limits, headKeys);
  try {
    scan.scanDocument();
  } catch (error) {
    if (error === UNSURE) return undefined;
    throw error;
  }
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const text = (scan.idSpans.length === 0 ? source : withQuotes(bytes, scan.idSpans)).toString('utf8');
  const members: string[] = [];
  for (let i = 0; i < scan.headSpans.length; i += 2) members.push(source.toString('utf8', scan.headSpans[i], scan.headSpans[i + 1]));
  // A handful of small members, read by the same rules as the whole body.
  const head = parseShopifyJson(`{${members.join(',')}}`, limits) as Record<string, unknown>;
  return { text, head };
}
