/**
 * The install flow: Shopify's authorization-code OAuth from a plain express app, through
 * @shopify/shopify-api's node adapter (reference §1.3). `GET /auth?shop=…` begins (the library signs a
 * state cookie and redirects to the shop's consent screen); `GET /auth/callback` checks the shop
 * domain, the query's HMAC and the state, exchanges the code for an offline access token, stores the
 * session (token sealed at rest), and hands the shop to `onInstalled`.
 *
 * Each failure gets its own answer (which check failed, what to do) instead of the library's single
 * "Invalid OAuth callback": the shop domain and the HMAC are checked here before the library runs.
 */
import '@shopify/shopify-api/adapters/node';
import {
  ApiVersion,
  CookieNotFound,
  HttpResponseError,
  InvalidHmacError,
  InvalidOAuthError,
  InvalidShopError,
  LogSeverity,
  shopifyApi,
  type Session,
} from '@shopify/shopify-api';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../../src/log.js';
import type { ShopifySessionStore } from './sessions.js';

export const DEFAULT_SHOPIFY_SCOPES = ['read_orders', 'write_orders'];
const CALLBACK_PATH = '/auth/callback';

export interface ShopifyOAuthOptions {
  /** The app's client id (API key); OAuth is refused with a clear answer while it is empty. */
  apiKey: string;
  apiSecretKey: string;
  apiVersion: string;
  /** Where Shopify reaches this app, e.g. `https://puente.example.com` (http only for localhost). */
  appUrl: string;
  scopes?: string[];
  sessions: ShopifySessionStore;
  log: Logger;
  /** Runs after the session is stored (webhook subscriptions, the installation record). */
  onInstalled?: (shop: string, session: Session) => Promise<void>;
  /**
   * Answers the browser once installed: signs the store owner in and sends them to the settings page.
   * Default: redirect to `/app?shop=…`.
   */
  afterInstall?: (shop: string, res: Response) => void | Promise<void>;
}

class OAuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OAuthConfigError';
  }
}

function appHost(appUrl: string): { hostName: string; hostScheme: 'http' | 'https' } {
  let url: URL;
  try {
    url = new URL(appUrl);
  } catch {
    throw new OAuthConfigError(`shopify.appUrl "${appUrl}" is not a URL; write it as https://your-host`);
  }
  const scheme = url.protocol.replace(':', '');
  if (scheme !== 'https' && scheme !== 'http') throw new OAuthConfigError('shopify.appUrl must start with https://');
  if (scheme === 'http' && !['localhost', '127.0.0.1'].includes(url.hostname)) {
    throw new OAuthConfigError('shopify.appUrl must use https:// (plain http is only allowed for localhost)');
  }
  return { hostName: url.host, hostScheme: scheme };
}

function apiVersionOf(wanted: string): ApiVersion {
  if (!(Object.values(ApiVersion) as string[]).includes(wanted)) {
    throw new OAuthConfigError(`shopify.apiVersion "${wanted}" is not supported; use one of ${Object.values(ApiVersion).join(', ')}`);
  }
  return wanted as ApiVersion;
}

function fail(res: Response, status: number, error: string, message: string): void {
  res.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
  res.locals.oauthError = error;
}

/**
 * The OAuth routes. When the app is not configured for OAuth (no apiKey or appUrl), both routes answer
 * 503 saying which setting is missing, so the rest of Puente runs without it.
 */
export function shopifyOAuthRouter(options: ShopifyOAuthOptions): Router {
  const router = express.Router();
  const missing = [!options.apiKey && 'shopify.apiKey (env SHOPIFY_API_KEY)', !options.appUrl && 'shopify.appUrl (env SHOPIFY_APP_URL)'].filter(Boolean);
  if (missing.length) {
    router.get(['/auth', CALLBACK_PATH], (_req, res) => {
      fail(res, 503, 'oauth_not_configured', `Installing from Shopify is not configured on this Puente: set ${missing.join(' and ')}.`);
    });
    return router;
  }

  const shopify = shopifyApi({
    apiKey: options.apiKey,
    apiSecretKey: options.apiSecretKey,
    scopes: options.scopes ?? DEFAULT_SHOPIFY_SCOPES,
    ...appHost(options.appUrl),
    apiVersion: apiVersionOf(options.apiVersion),
    isEmbeddedApp: false,
    // The library's own messages go to our log at debug, without their details (they can hold state).
    logger: { level: LogSeverity.Error, log: async (_severity, message) => options.log.debug({ component: 'shopify-api' }, message.split('|')[0]!.trim()) },
  });
  const afterInstall =
    options.afterInstall ??
    ((shop: string, res: Response) => {
      res.redirect(302, `/app?shop=${encodeURIComponent(shop)}`);
    });

  const shopOf = (value: unknown): string | null => {
    if (typeof value !== 'string' || value.length > 255) return null;
    return shopify.utils.sanitizeShop(value.trim().toLowerCase());
  };

  router.get('/auth', async (req: Request, res: Response) => {
    const shop = shopOf(req.query.shop);
    if (!shop) {
      fail(res, 400, 'invalid_shop', 'The shop parameter must be a Shopify shop domain such as acme.myshopify.com (open the app from your Shopify admin).');
      return;
    }
    options.log.info({ shop }, 'shopify install begins');
    await shopify.auth.begin({ shop, callbackPath: CALLBACK_PATH, isOnline: false, rawRequest: req, rawResponse: res });
  });

  router.get(CALLBACK_PATH, async (req: Request, res: Response) => {
    const query = Object.fromEntries(
      Object.entries(req.query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    const shop = shopOf(query.shop);
    if (!shop) {
      fail(res, 400, 'invalid_shop', 'The callback names no valid shop (expected something.myshopify.com); start the install again from your Shopify admin.');
      return;
    }
    try {
      if (!(await shopify.utils.validateHmac(query))) {
        options.log.warn({ shop }, 'shopify oauth callback refused: bad hmac');
        fail(res, 400, 'invalid_hmac', 'The callback\'s HMAC does not match: it was not signed by Shopify with this app\'s secret. Start the install again from your Shopify admin.');
        return;
      }
    } catch (error) {
      if (error instanceof InvalidHmacError) {
        fail(res, 400, 'invalid_hmac', `The callback cannot be verified: ${error.message} Start the install again from your Shopify admin.`);
        return;
      }
      throw error;
    }

    let session: Session;
    try {
      ({ session } = await shopify.auth.callback({ rawRequest: req, rawResponse: res }));
    } catch (error) {
      if (error instanceof CookieNotFound) {
        fail(res, 400, 'missing_state', `This browser has no install in progress for ${shop} (the state cookie is missing or expired after 60 s). Start again at /auth?shop=${shop}.`);
      } else if (error instanceof InvalidOAuthError) {
        options.log.warn({ shop }, 'shopify oauth callback refused: state mismatch');
        fail(res, 400, 'state_mismatch', `The callback's state does not match the one this browser was given at /auth. Start again at /auth?shop=${shop}.`);
      } else if (error instanceof InvalidShopError) {
        fail(res, 400, 'invalid_shop', 'The callback names no valid shop; start the install again from your Shopify admin.');
      } else if (error instanceof HttpResponseError) {
        options.log.warn({ shop, status: error.response.code }, 'shopify refused the oauth code exchange');
        fail(res, 502, 'code_exchange_failed', `Shopify refused to exchange the authorization code (HTTP ${error.response.code}). Start the install again.`);
      } else {
        throw error;
      }
      return;
    }
    await options.sessions.storeSession(session);
    options.log.info({ shop, scope: session.scope }, 'shopify app installed');
    try {
      await options.onInstalled?.(shop, session);
    } catch (error) {
      // The token is stored; what failed (e.g. subscribing webhooks) is retried by installing again.
      options.log.error({ shop, err: (error as Error).message }, 'after-install step failed; open the app again to retry');
    }
    await afterInstall(shop, res);
  });

  return router;
}
