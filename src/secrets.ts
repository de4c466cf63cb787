/**
 * Encryption at rest for what Puente must keep but must not expose: shops' access tokens and the
 * invoicing credentials store owners enter on the settings page. AES-256-GCM with a fresh 96-bit IV
 * per value, in a versioned text envelope so the format can change without guessing:
 *
 *   enc:v1:<iv>.<tag>.<ciphertext>      (each part base64url)
 *
 * Each value is sealed for a purpose (`shopify-session:acme.myshopify.com`), passed as GCM's
 * additional data: a ciphertext copied under another key or shop does not open.
 *
 * The key is 32 bytes from PUENTE_SECRET_KEY (64 hex characters or base64). On the embedded default,
 * without that variable, one is generated once into `<dataDir>/secret-key` (mode 0600), with a
 * warning: whoever backs up the data directory must back up that file too, or keep it apart.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const PREFIX = 'enc:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SECRET_KEY_FILE = 'secret-key';

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** A sealed value did not open: wrong key, wrong purpose, or altered bytes. */
export class SecretDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptError';
  }
}

/** Decodes a 32-byte key written as 64 hex characters or as base64 / base64url. */
export function parseSecretKey(text: string, origin = 'PUENTE_SECRET_KEY'): Buffer {
  const value = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) key = Buffer.from(value, 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new SecretKeyError(
      `${origin} must be a 32-byte key written as 64 hex characters or as base64 (44 characters); ` +
        'make one with `openssl rand -base64 32`',
    );
  }
  return key;
}

export interface SecretKeyWarning {
  (details: { file: string }, message: string): void;
}

/**
 * The key from `env.PUENTE_SECRET_KEY`, else from `<dataDir>/secret-key`, else a new one written
 * there (0600) with a warning. `generated` says the key lives beside the data it protects.
 */
export function loadSecretKey(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  warn?: SecretKeyWarning,
): { key: Buffer; generated: boolean; file?: string } {
  const configured = env.PUENTE_SECRET_KEY;
  if (configured !== undefined && configured !== '') return { key: parseSecretKey(configured), generated: false };
  const file = path.join(dataDir, SECRET_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    const key = randomBytes(KEY_BYTES);
    try {
      // `wx`: if another process wrote one first, read theirs instead of replacing it.
      writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      warn?.(
        { file },
        'PUENTE_SECRET_KEY is not set: generated an encryption key into the data directory. Stored access tokens and ' +
          'invoicing credentials cannot be read without it; set PUENTE_SECRET_KEY in production and keep it apart from the data.',
      );
      return { key, generated: true, file };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      text = readFileSync(file, 'utf8');
    }
  }
  return { key: parseSecretKey(text, file), generated: true, file };
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');

/** Seals and opens values with one key. */
export class SecretBox {
  readonly #key: Buffer;
  /** A short, non-secret fingerprint of the key, for logs ("which key sealed this?"). */
  readonly fingerprint: string;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new SecretKeyError(`a SecretBox key must be ${KEY_BYTES} bytes, not ${key.length}`);
    this.#key = Buffer.from(key);
    this.fingerprint = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }

  seal(plaintext: string, purpose: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${b64(iv)}.${b64(cipher.getAuthTag())}.${b64(ciphertext)}`;
  }

  open(sealed: string, purpose: string): string {
    if (!SecretBox.isSealed(sealed)) {
      throw new SecretDecryptError(`a stored secret for ${purpose} is not in the enc:v1 envelope`);
    }
    const parts = sealed.slice(PREFIX.length).split('.');
    if (parts.length !== 3) throw new SecretDecryptError(`a stored secret for ${purpose} is malformed`);
    const [iv, tag, ciphertext] = parts.map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptError(`a stored secret for ${purpose} is malformed`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptError(
        `a stored secret for ${purpose} does not open with this key (key ${this.fingerprint}): ` +
          'PUENTE_SECRET_KEY changed, or the stored value was altered',
      );
    }
  }

  /** A JSON-able value, sealed as one string. */
  sealJson(value: unknown, purpose: string): string {
    return this.seal(JSON.stringify(value), purpose);
  }

  openJson<T = unknown>(sealed: string, purpose: string): T {
    return JSON.parse(this.open(sealed, purpose)) as T;
  }

  /** A key for another use derived from this one (HKDF-SHA256), so signing cookies never uses the encryption key itself. */
  derive(label: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `puente:${label}`, KEY_BYTES));
  }
}
