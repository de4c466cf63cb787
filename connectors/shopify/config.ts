/**
 * A Shopify connection's `source` block: which shop. The app's key and secret are app-wide
 * (`shopify:` in the configuration); the shop's access token comes from the OAuth install, or, for
 * a custom app made in the shop's admin, from `accessToken` here.
 */
import { z } from 'zod';

export const ShopifySourceSettings = z.strictObject({
  type: z.literal('shopify'),
  /** The shop's myshopify.com domain. */
  shop: z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'must be a shop domain such as acme.myshopify.com'),
  /**
   * A custom app's Admin API access token (`shpat_…`, Settings → Apps → Develop apps). Only for shops
   * without the OAuth install; keep it in an environment variable, never in a committed file.
   */
  accessToken: z.string().trim().min(1, 'must not be empty: leave accessToken out to use the OAuth install\'s token').optional(),
});
export type ShopifySourceSettings = z.infer<typeof ShopifySourceSettings>;

export const shopifySourceKey = (shop: string) => `shopify:${shop}`;

/**
 * `accessTokenFor` for the Admin API client: a connection's custom-app `accessToken` when it has
 * one, else what `installed` says (the OAuth session store's offline token). `settings` may be a
 * function, read on every call, so connections added at run time are seen.
 */
export function shopifyAccessTokens(
  settings: readonly ShopifySourceSettings[] | (() => readonly ShopifySourceSettings[]),
  installed?: (shop: string) => Promise<string | undefined>,
): (shop: string) => Promise<string | undefined> {
  const current = typeof settings === 'function' ? settings : () => settings;
  return async (shop) => current().find((s) => s.shop === shop && s.accessToken)?.accessToken ?? (installed ? await installed(shop) : undefined);
}
