/**
 * A WooCommerce connection's `source` block: the store's address, its REST API key, the secret its
 * webhooks are signed with, which statuses mean "paid", and where the store's checkout keeps the
 * buyer's tax id.
 */
import { z } from 'zod';

/**
 * Order meta keys where common checkout plugins keep the buyer's id (reference: stores-and-erps §2.3):
 * classic-checkout fields (`_billing_dni`, `_billing_nit`…), the iFactura plugin (Argentina) and block
 * checkout additional fields (`_wc_billing/<namespace>/<field>`, `_wc_other/…`).
 */
export const DEFAULT_TAX_ID_META_KEYS = [
  '_billing_nit',
  '_billing_dni',
  'billing_dni',
  '_billing_document',
  '_billing_cedula',
  '_billing_ruc',
  '_billing_rif',
  '_billing_vat',
  'billing_dni_ifactura',
  '_wc_billing/document/dni',
  '_wc_other/document/dni',
  'document/dni',
] as const;

/** Meta keys that say which kind of id the buyer gave (NIT, CC, CE, …), when the plugin asks. */
export const DEFAULT_TAX_ID_TYPE_META_KEYS = [
  '_billing_type_document',
  'billing_type_document',
  '_wc_billing/document/type_document',
  '_wc_other/document/type_document',
  'document/type_document',
] as const;

/** The problem with a store address, or undefined when it is one. */
function storeUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be the store\'s address, such as https://shop.example';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// (or http:// for a local store)';
  if (url.search || url.hash) return 'must be the store\'s home address, without ?query or #fragment';
  return undefined;
}

const StoreUrl = z.string().superRefine((value, ctx) => {
  const problem = storeUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const MetaKey = z.string().min(1, 'a meta key cannot be empty');

export const WooCommerceSourceSettings = z.strictObject({
  type: z.literal('woocommerce'),
  /** The WordPress home URL (with its sub-folder if WordPress lives in one). */
  url: StoreUrl,
  /** WooCommerce › Settings › Advanced › REST API: a key with Read access. */
  consumerKey: z.string().regex(/^ck_[A-Za-z0-9]+$/, 'must be a WooCommerce consumer key (starts with ck_)'),
  consumerSecret: z.string().regex(/^cs_[A-Za-z0-9]+$/, 'must be a WooCommerce consumer secret (starts with cs_)'),
  /** The secret typed in WooCommerce › Settings › Advanced › Webhooks for Puente's webhooks. */
  webhookSecret: z.string().min(1, 'is required: the secret of the store\'s webhooks to Puente (WooCommerce › Settings › Advanced › Webhooks)'),
  /** Statuses that mean the order is paid and gets its invoice. */
  paidStatuses: z
    .array(z.string().regex(/^(?!wc-)[a-z0-9_-]+$/, 'a status slug such as processing or completed (without the wc- prefix)'))
    .min(1, 'list at least one status, e.g. [processing, completed]')
    .default(['processing', 'completed']),
  /** Order meta keys holding the buyer's tax id, tried in order; then the billing company. */
  taxIdMetaKeys: z.array(MetaKey).default([...DEFAULT_TAX_ID_META_KEYS]),
  /** Order meta keys holding the kind of id (NIT, CC, …). */
  taxIdTypeMetaKeys: z.array(MetaKey).default([...DEFAULT_TAX_ID_TYPE_META_KEYS]),
});
export type WooCommerceSourceSettings = z.infer<typeof WooCommerceSourceSettings>;

/** `https://shop.example/tienda/` → `shop.example/tienda`: the store's identity, scheme and trailing slash aside. */
export function wooCommerceStoreName(url: string): string {
  const parsed = new URL(url);
  const folder = parsed.pathname.replace(/\/+$/, '');
  return `${parsed.host.toLowerCase()}${folder}`;
}

export const wooCommerceSourceKey = (url: string) => `woocommerce:${wooCommerceStoreName(url)}`;
