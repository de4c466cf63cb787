/**
 * The Shopify app's install side, assembled: the secret key, sealed session storage, OAuth routes,
 * the installations (saved settings → live connections), the lifecycle handler for app/uninstalled and
 * the compliance webhooks, the settings page, and the admin route for privacy exports.
 *
 * The composition root builds it once (`createShopifyApp`), passes `lifecycle` to the Shopify webhook
 * receiver, mounts `router`, and calls `restore()` before serving.
 */
import express, { type Router } from 'express';
import { ShopifyAppLifecycle, PRIVACY_EXPORT_PREFIX } from '../../../connectors/shopify/lifecycle.js';
import { DEFAULT_SHOPIFY_SCOPES, shopifyOAuthRouter } from '../../../connectors/shopify/oauth.js';
import { ShopifySessionStore } from '../../../connectors/shopify/sessions.js';
import type { Logger } from '../../log.js';
import type { Connections } from '../../pipeline/connections.js';
import { SecretBox, loadSecretKey } from '../../secrets.js';
import type { Store } from '../../store/store.js';
import { bearerAuth } from '../admin.js';
import { AppAuth } from '../app-auth.js';
import { checkCredentials, type CredentialChecker } from '../../../connectors/credential-checks.js';
import { ShopInstallations, restoreInstallations, type TargetFactory } from './installations.js';
import { settingsPageRouter } from './settings-page.js';

export interface ShopifyAppOptions {
  store: Store;
  connections: Connections;
  targetTypes: Record<string, TargetFactory>;
  shopify: { apiKey: string; apiSecret: string; apiVersion: string; appUrl: string; scopes?: string[] };
  adminToken: string;
  /** Where the generated secret key lives when PUENTE_SECRET_KEY is not set. */
  dataDir: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** After OAuth stored the token (e.g. subscribe the shop's webhooks). Failures are logged, not fatal. */
  onInstalled?: (shop: string) => Promise<void>;
  /** Events were handed to a connection (pokes the pipeline). */
  onRouted?: () => void;
  /** Tests replace the live credential check. */
  checkCredentials?: CredentialChecker;
}

export interface ShopifyApp {
  router: Router;
  box: SecretBox;
  sessions: ShopifySessionStore;
  installations: ShopInstallations;
  lifecycle: ShopifyAppLifecycle;
  auth: AppAuth;
  /** Makes every configured installation a live connection again (on start). */
  restore(): Promise<string[]>;
  /** Releases what the installations' targets hold (after the pipeline stopped). */
  close(): Promise<void>;
}

export function createShopifyApp(options: ShopifyAppOptions): ShopifyApp {
  const log = options.log.child({ component: 'shopify-app' });
  const { key } = loadSecretKey(options.dataDir, options.env ?? process.env, (details, message) => log.warn(details, message));
  const box = new SecretBox(key);
  const sessions = new ShopifySessionStore(options.store, box);
  const installations = new ShopInstallations({
    store: options.store,
    box,
    connections: options.connections,
    targetTypes: options.targetTypes,
    log,
    ...(options.onRouted ? { onRouted: options.onRouted } : {}),
  });
  const lifecycle = new ShopifyAppLifecycle({
    store: options.store,
    sessions,
    stopShop: (shop) => installations.uninstall(shop),
    forgetShop: (shop) => installations.forget(shop),
    log,
  });
  const secureCookies = options.shopify.appUrl.startsWith('https://');
  const auth = new AppAuth({
    cookieKey: box.derive('app-cookie'),
    adminToken: options.adminToken,
    secureCookies,
    shopify: { apiKey: options.shopify.apiKey, apiSecret: options.shopify.apiSecret },
  });

  const router = express.Router();
  router.use(
    shopifyOAuthRouter({
      apiKey: options.shopify.apiKey,
      apiSecretKey: options.shopify.apiSecret,
      apiVersion: options.shopify.apiVersion,
      appUrl: options.shopify.appUrl,
      scopes: options.shopify.scopes ?? DEFAULT_SHOPIFY_SCOPES,
      sessions,
      log,
      onInstalled: async (shop, session) => {
        await installations.markInstalled(shop, session.scope);
        await options.onInstalled?.(shop);
      },
      afterInstall: (shop, res) => {
        auth.signInShop(res, shop);
        res.redirect(302, `/app?shop=${encodeURIComponent(shop)}`);
      },
    }),
  );
  router.use(
    settingsPageRouter({
      store: options.store,
      installations,
      auth,
      checkCredentials: options.checkCredentials ?? checkCredentials,
      log,
      oauthEnabled: Boolean(options.shopify.apiKey && options.shopify.appUrl),
    }),
  );
  const privacy = express.Router();
  privacy.use(bearerAuth(options.adminToken));
  privacy.get('/exports', async (_req, res) => {
    const entries = await options.store.listState<{ id: string; shop: string; generatedAt: string }>(PRIVACY_EXPORT_PREFIX);
    res.json({ exports: entries.map((e) => ({ id: e.value.id, shop: e.value.shop, generatedAt: e.value.generatedAt })) });
  });
  privacy.get('/exports/:id', async (req, res) => {
    const entry = await options.store.getState(`${PRIVACY_EXPORT_PREFIX}${req.params.id}`);
    if (!entry) res.status(404).json({ error: 'not_found', message: `no privacy export ${req.params.id}` });
    else res.json(entry.value);
  });
  router.use('/api/privacy', privacy);

  return { router, box, sessions, installations, lifecycle, auth, restore: () => restoreInstallations(installations), close: () => installations.close() };
}
