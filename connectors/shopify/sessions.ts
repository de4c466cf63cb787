/**
 * Shopify sessions (the shop's access token) kept in Puente's store, the access and refresh tokens
 * sealed with the SecretBox. Implements the five methods of the library's SessionStorage interface
 * (storeSession, loadSession, deleteSession, deleteSessions, findSessionsByShop), so the rest of the
 * Shopify code can use it wherever the library expects a session storage.
 *
 * State keys: `shopify-session:<shop>:<session id>` (the offline session id is `offline_<shop>`).
 * Only offline sessions are made by Puente's install flow; online ones would be stored the same way,
 * minus the associated user's personal details, which Puente has no use for.
 */
import { Session, type SessionParams } from '@shopify/shopify-api';
import type { SecretBox } from '../../src/secrets.js';
import type { Store } from '../../src/store/store.js';

const PREFIX = 'shopify-session:';

/** What is stored: the session's fields, with dates as ISO strings and tokens sealed. */
interface StoredSession {
  id: string;
  shop: string;
  state: string;
  isOnline: boolean;
  scope?: string;
  expires?: string;
  /** enc:v1 envelope. */
  accessToken?: string;
  refreshToken?: string;
  refreshTokenExpires?: string;
  /** Online sessions only: the user id, never their name or email. */
  userId?: string;
}

const keyOf = (shop: string, id: string) => `${PREFIX}${shop}:${id}`;
/** The purpose a token is sealed for: a token copied under another shop or session does not open. */
const purposeOf = (shop: string, id: string, field: string) => `shopify-session:${shop}:${id}:${field}`;

export class ShopifySessionStore {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}

  async storeSession(session: Session): Promise<boolean> {
    const stored: StoredSession = {
      id: session.id,
      shop: session.shop,
      state: session.state,
      isOnline: session.isOnline,
    };
    if (session.scope) stored.scope = session.scope;
    if (session.expires) stored.expires = session.expires.toISOString();
    if (session.accessToken) stored.accessToken = this.box.seal(session.accessToken, purposeOf(session.shop, session.id, 'accessToken'));
    if (session.refreshToken) stored.refreshToken = this.box.seal(session.refreshToken, purposeOf(session.shop, session.id, 'refreshToken'));
    if (session.refreshTokenExpires) stored.refreshTokenExpires = session.refreshTokenExpires.toISOString();
    const userId = session.onlineAccessInfo?.associated_user?.id;
    if (userId !== undefined) stored.userId = String(userId);
    await this.store.putState(keyOf(session.shop, session.id), stored);
    return true;
  }

  async loadSession(id: string): Promise<Session | undefined> {
    const entry = await this.#find(id);
    return entry ? this.#revive(entry) : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    const entry = await this.#find(id);
    if (entry) await this.store.deleteState(keyOf(entry.shop, entry.id));
    return true;
  }

  async deleteSessions(ids: string[]): Promise<boolean> {
    for (const id of ids) await this.deleteSession(id);
    return true;
  }

  async findSessionsByShop(shop: string): Promise<Session[]> {
    const entries = await this.store.listState<StoredSession>(`${PREFIX}${shop}:`);
    return entries.map((entry) => this.#revive(entry.value));
  }

  /** Every session of a shop gone (uninstall, shop/redact); returns how many there were. */
  async deleteShop(shop: string): Promise<number> {
    const entries = await this.store.listState(`${PREFIX}${shop}:`);
    for (const entry of entries) await this.store.deleteState(entry.key);
    return entries.length;
  }

  /** The offline session of a shop (what webhooks and background work use), if installed. */
  async offlineSession(shop: string): Promise<Session | undefined> {
    const entry = await this.store.getState<StoredSession>(keyOf(shop, `offline_${shop}`));
    return entry ? this.#revive(entry.value) : undefined;
  }

  async #find(id: string): Promise<StoredSession | undefined> {
    // Offline ids name their shop; anything else is looked for among all sessions (few: one per shop).
    if (id.startsWith('offline_')) {
      const shop = id.slice('offline_'.length);
      return (await this.store.getState<StoredSession>(keyOf(shop, id)))?.value;
    }
    const all = await this.store.listState<StoredSession>(PREFIX);
    return all.find((entry) => entry.value.id === id)?.value;
  }

  #revive(stored: StoredSession): Session {
    const params: SessionParams = { id: stored.id, shop: stored.shop, state: stored.state, isOnline: stored.isOnline };
    if (stored.scope) params.scope = stored.scope;
    if (stored.expires) params.expires = new Date(stored.expires);
    if (stored.accessToken) params.accessToken = this.box.open(stored.accessToken, purposeOf(stored.shop, stored.id, 'accessToken'));
    if (stored.refreshToken) params.refreshToken = this.box.open(stored.refreshToken, purposeOf(stored.shop, stored.id, 'refreshToken'));
    if (stored.refreshTokenExpires) params.refreshTokenExpires = new Date(stored.refreshTokenExpires);
    return new Session(params);
  }
}
