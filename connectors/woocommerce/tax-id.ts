/**
 * Where a WooCommerce order keeps the buyer's tax id. WooCommerce has no field for it: checkout
 * plugins add order meta under keys of their own (reference stores-and-erps §2.3), and many Latin-
 * American stores relabel the billing company field instead. Which keys a store uses is per
 * connection, while the mapping is a file shared by every store, so the connector resolves the id
 * when the order arrives and hands it to the mapping as `puente_tax_id` on the order.
 */

export interface ResolvedTaxId {
  /** As the buyer typed it (the domain normalizes it and checks its check digit). */
  value: string;
  /** Where it came from: `meta:<key>` or `billing.company`. */
  from: string;
  /** The kind of id the buyer declared (a plugin's document-type field), as typed: NIT, CC, 13, 31… */
  type?: string;
}

export interface TaxIdKeys {
  taxIdMetaKeys: readonly string[];
  taxIdTypeMetaKeys: readonly string[];
}

type Meta = { key?: unknown; value?: unknown };

function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function metaValue(meta: readonly Meta[], key: string): string | undefined {
  for (const entry of meta) if (entry && entry.key === key) return text(entry.value);
  return undefined;
}

/**
 * A billing company that reads as an id: digits with the separators people type (900.123.456-7,
 * V-12345678-9), not a company name. A name there says who the buyer is, not their id.
 */
export function looksLikeTaxId(value: string): boolean {
  const compact = value.replace(/[\s.,\-/]/g, '');
  return /^[A-Za-z]{0,2}\d{5,15}[A-Za-z0-9]?$/.test(compact) && /\d{5}/.test(compact);
}

export function resolveTaxId(order: Record<string, unknown>, keys: TaxIdKeys): ResolvedTaxId | undefined {
  const meta = Array.isArray(order.meta_data) ? (order.meta_data as Meta[]) : [];
  let type: string | undefined;
  for (const key of keys.taxIdTypeMetaKeys) {
    type = metaValue(meta, key);
    if (type) break;
  }
  for (const key of keys.taxIdMetaKeys) {
    const value = metaValue(meta, key);
    if (value) return { value, from: `meta:${key}`, ...(type ? { type } : {}) };
  }
  const billing = order.billing as Record<string, unknown> | undefined;
  const company = text(billing?.company);
  if (company && looksLikeTaxId(company)) return { value: company, from: 'billing.company', ...(type ? { type } : {}) };
  return undefined;
}
