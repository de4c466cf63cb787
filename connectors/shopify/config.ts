/**
 * A Shopify connection's `source` block: which shop. The app's key and secret are app-wide
 * (`shopify:` in the configuration); the shop's access token comes from the OAuth install.
 */
import { z } from 'zod';

export const ShopifySourceSettings = z.strictObject({
  type: z.literal('shopify'),
  /** The shop's myshopify.com domain. */
  shop: z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'must be a shop domain such as acme.myshopify.com'),
});
export type ShopifySourceSettings = z.infer<typeof ShopifySourceSettings>;

export const shopifySourceKey = (shop: string) => `shopify:${shop}`;
