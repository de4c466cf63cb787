/**
 * Record ids: `prefix_` + 10 chars of millisecond time + 16 chars of randomness, in lowercase Crockford
 * base32 (the ULID layout). Ids sort by creation time as plain strings, so a store can break ties
 * between equal timestamps by id, and two processes never collide (80 random bits from crypto).
 */
import { randomBytes } from 'node:crypto';

/** Lowercase Crockford base32: ascending in ASCII, so string order equals numeric order. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2n ** 48n - 1n;
const RANDOM_LIMIT = 2n ** 80n;
const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

export const ID_PATTERN = /^[a-z][a-z0-9]{0,15}_[0-9a-hjkmnp-tv-z]{26}$/;

export interface IdGeneratorOptions {
  /** Milliseconds since the epoch; defaults to Date.now. */
  now?: () => number;
  /** Returns `size` random bytes; defaults to crypto.randomBytes. */
  random?: (size: number) => Uint8Array;
}

export type IdGenerator = (prefix: string) => string;

function encode(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
}

function randomBits80(random: (size: number) => Uint8Array): bigint {
  const bytes = random(10);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * A generator whose ids strictly increase within this process, even when several are made in the same
 * millisecond or the wall clock steps backwards (then the last time is kept and the random part counts up).
 */
export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const now = options.now ?? Date.now;
  const random = options.random ?? randomBytes;
  let lastTime = -1n;
  let lastRandom = 0n;

  return (prefix: string): string => {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new TypeError(
        `Id prefix ${JSON.stringify(prefix)} is invalid: use 1–16 lowercase letters or digits, starting with a letter (e.g. "evt").`,
      );
    }
    let time = BigInt(Math.max(0, Math.floor(now())));
    if (time > MAX_TIME) throw new RangeError('The clock is beyond the year 10889; ids cannot encode it.');
    let rand: bigint;
    if (time <= lastTime) {
      time = lastTime;
      rand = lastRandom + 1n;
      if (rand >= RANDOM_LIMIT) {
        // 2^80 ids in one millisecond cannot happen in practice; borrow the next millisecond to stay ordered.
        time = lastTime + 1n;
        rand = randomBits80(random);
      }
    } else {
      rand = randomBits80(random);
    }
    lastTime = time;
    lastRandom = rand;
    return `${prefix}_${encode(time, TIME_CHARS)}${encode(rand, RANDOM_CHARS)}`;
  };
}

const defaultGenerator = createIdGenerator();

/** A new id such as `evt_01jc9x4m7q…`; `prefix` names the record kind (`evt`, `doc`, `bat`). */
export function newId(prefix: 'evt' | 'doc' | 'bat' | (string & {})): string {
  return defaultGenerator(prefix);
}

/** The creation instant encoded in an id made by newId. */
export function idTime(id: string): Date {
  if (!ID_PATTERN.test(id)) throw new TypeError(`${JSON.stringify(id)} is not a Puente id (prefix_ + 26 base32 chars).`);
  const encoded = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 1 + TIME_CHARS);
  let value = 0;
  for (const char of encoded) value = value * 32 + ALPHABET.indexOf(char);
  return new Date(value);
}
