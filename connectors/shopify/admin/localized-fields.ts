/**
 * The buyer's tax id as Shopify's checkout collects it natively: the order's localized fields
 * (`TAX_CREDENTIAL_CO`, `TAX_CREDENTIAL_TYPE_CO`, `TAX_CREDENTIAL_PY`, `TAX_CREDENTIAL_MX`, …;
 * reference §1.10 — there is no Venezuelan key). They exist only in the GraphQL Admin API, never in
 * a webhook body, so a delivery that needs them is completed here before the ledger sees it.
 */
import type { CompletableEvent } from '../../../src/connector.js';
import type { ShopifyGraphqlClient } from './graphql-client.js';
import { ORDER_LOCALIZED_FIELDS, type GqlConnection, type GqlLocalizedField } from './queries.js';
import { localizedFieldMap, orderGid } from './rest-shape.js';
import { shopOfSource } from './sweep.js';

/** Where a completed payload keeps the fields: `{ puente_localized_fields: { TAX_CREDENTIAL_CO: "…" } }`. */
export const LOCALIZED_FIELDS_KEY = 'puente_localized_fields';

/** Every localized field of the order; undefined when the order is not there (deleted, or too old to read). */
export async function fetchLocalizedFields(
  client: ShopifyGraphqlClient,
  shop: string,
  orderId: string,
  signal?: AbortSignal,
): Promise<GqlLocalizedField[] | undefined> {
  const data = await client.request<{ order: { id: string; localizedFields: GqlConnection<GqlLocalizedField> } | null }>(shop, {
    query: ORDER_LOCALIZED_FIELDS,
    variables: { id: orderGid(orderId) },
    ...(signal ? { signal } : {}),
  });
  return data.order?.localizedFields.nodes;
}

/** The order's tax-purpose fields by key: `{ TAX_CREDENTIAL_CO: "900373115-3", TAX_CREDENTIAL_TYPE_CO: "NIT" }`. */
export async function fetchTaxCredentials(client: ShopifyGraphqlClient, shop: string, orderId: string): Promise<Record<string, string>> {
  const fields = (await fetchLocalizedFields(client, shop, orderId)) ?? [];
  return localizedFieldMap(fields.filter((f) => f.purpose === 'TAX'));
}

/**
 * The payload to store instead of the delivery's: the same body with the order's localized fields
 * under `puente_localized_fields` (all of them, tax and shipping, by key; `{}` when the buyer gave
 * none or the order can no longer be read). Throws (TargetError) when Shopify cannot be reached,
 * so the pipeline tries again later.
 */
export async function completeWithLocalizedFields(client: ShopifyGraphqlClient, event: CompletableEvent): Promise<unknown> {
  const shop = shopOfSource(event.source);
  const payload = event.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error(`Shopify ${event.kind} for order ${event.orderId}: the stored payload is not a JSON object, so there is nothing to complete`);
  }
  const fields = (await fetchLocalizedFields(client, shop, event.orderId)) ?? [];
  return { ...(payload as Record<string, unknown>), [LOCALIZED_FIELDS_KEY]: localizedFieldMap(fields) };
}
