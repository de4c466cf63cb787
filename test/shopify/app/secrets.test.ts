/**
 * Encryption at rest: the envelope opens only with its key and purpose, keys are read strictly, and
 * the embedded default generates one key, once, private to its owner.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Session } from '@shopify/shopify-api';
import { afterEach, describe, expect, it } from 'vitest';
import { ShopifySessionStore } from '../../../connectors/shopify/sessions.js';
import { SecretBox, SecretDecryptError, SecretKeyError, loadSecretKey, parseSecretKey } from '../../../src/secrets.js';
import { LowdbStore } from '../../../src/store/lowdb-store.js';

const KEY = Buffer.alloc(32, 7);
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'puente-secrets-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('SecretBox', () => {
  const box = new SecretBox(KEY);

  it('seals into a versioned envelope without the plaintext, and opens it again', () => {
    const sealed = box.seal('shpat_0123456789abcdef', 'shopify-session:acme');
    expect(sealed).toMatch(/^enc:v1:[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('shpat_');
    expect(box.open(sealed, 'shopify-session:acme')).toBe('shpat_0123456789abcdef');
  });

  it('uses a fresh IV each time: the same secret never seals to the same text', () => {
    expect(box.seal('same', 'p')).not.toBe(box.seal('same', 'p'));
  });

  it('refuses to open under another purpose, another key, or after a byte changed', () => {
    const sealed = box.seal('token', 'shopify-session:acme');
    expect(() => box.open(sealed, 'shopify-session:other')).toThrow(SecretDecryptError);
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'shopify-session:acme')).toThrow(/does not open with this key/);
    const [iv, tag, data] = sealed.slice('enc:v1:'.length).split('.') as [string, string, string];
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open(`enc:v1:${iv}.${tag}.${flipped.toString('base64url')}`, 'shopify-session:acme')).toThrow(SecretDecryptError);
    expect(() => box.open('plain text', 'x')).toThrow(/not in the enc:v1 envelope/);
  });

  it('seals JSON values', () => {
    expect(box.openJson(box.sealJson({ token: 'a', pin: '12345' }, 'p'), 'p')).toEqual({ token: 'a', pin: '12345' });
  });

  it('derives distinct keys per label, none equal to the key itself', () => {
    expect(box.derive('app-cookie')).toHaveLength(32);
    expect(box.derive('app-cookie').equals(box.derive('other'))).toBe(false);
    expect(box.derive('app-cookie').equals(KEY)).toBe(false);
  });
});

describe('the secret key', () => {
  it('accepts 64 hex characters or base64 of 32 bytes', () => {
    expect(parseSecretKey('07'.repeat(32)).equals(KEY)).toBe(true);
    expect(parseSecretKey(KEY.toString('base64')).equals(KEY)).toBe(true);
    expect(parseSecretKey(KEY.toString('base64url')).equals(KEY)).toBe(true);
  });

  it.each(['', 'short', '07'.repeat(31), Buffer.alloc(16).toString('base64'), 'not base64 at all!'])('refuses %j with a message that says what to do', (bad) => {
    expect(() => parseSecretKey(bad)).toThrow(SecretKeyError);
    expect(() => parseSecretKey(bad)).toThrow(/32-byte key .*openssl rand -base64 32/);
  });

  it('comes from PUENTE_SECRET_KEY when set, writing nothing', () => {
    const dir = tempDir();
    const loaded = loadSecretKey(dir, { PUENTE_SECRET_KEY: KEY.toString('base64') });
    expect(loaded.key.equals(KEY)).toBe(true);
    expect(loaded.generated).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is generated once into the data directory (0600) with a warning, then reused', () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const first = loadSecretKey(dir, {}, (_details, message) => warnings.push(message));
    expect(first.generated).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/PUENTE_SECRET_KEY is not set/);
    const file = path.join(dir, 'secret-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadSecretKey(dir, {}, (_details, message) => warnings.push(message));
    expect(second.key.equals(first.key)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(parseSecretKey(readFileSync(file, 'utf8')).equals(first.key)).toBe(true);
  });
});

describe('ShopifySessionStore', () => {
  it('keeps the offline session with its token sealed: not in the store files, but loadable', async () => {
    const dir = tempDir();
    const store = new LowdbStore({ dataDir: dir });
    await store.open();
    const sessions = new ShopifySessionStore(store, new SecretBox(KEY));
    const token = 'shpat_plaintext_token_must_not_leak';
    const session = new Session({ id: 'offline_acme.myshopify.com', shop: 'acme.myshopify.com', state: 'st', isOnline: false, scope: 'read_orders', accessToken: token });
    await sessions.storeSession(session);
    const raw = (await store.getState<Record<string, unknown>>('shopify-session:acme.myshopify.com:offline_acme.myshopify.com'))!.value;
    expect(JSON.stringify(raw)).not.toContain(token);
    expect(raw.accessToken).toMatch(/^enc:v1:/);

    const loaded = await sessions.loadSession('offline_acme.myshopify.com');
    expect(loaded?.accessToken).toBe(token);
    expect(loaded?.scope).toBe('read_orders');
    expect((await sessions.findSessionsByShop('acme.myshopify.com')).map((s) => s.id)).toEqual(['offline_acme.myshopify.com']);
    expect((await sessions.offlineSession('acme.myshopify.com'))?.accessToken).toBe(token);
    await store.close();

    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const entry of files) expect(readFileSync(path.join(entry.parentPath, entry.name), 'utf8')).not.toContain(token);

    const reopened = new LowdbStore({ dataDir: dir });
    await reopened.open();
    const again = new ShopifySessionStore(reopened, new SecretBox(KEY));
    expect((await again.loadSession('offline_acme.myshopify.com'))?.accessToken).toBe(token);
    expect(await again.deleteShop('acme.myshopify.com')).toBe(1);
    expect(await again.loadSession('offline_acme.myshopify.com')).toBeUndefined();
    await reopened.close();
  });
});
