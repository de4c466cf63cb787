/**
 * Where a Shopify order's buyer tax id comes from, in the order the connection configures:
 * Shopify's localized checkout fields (`TAX_CREDENTIAL_CO`, … — GraphQL only, attached to the payload
 * by the connector's `complete` as `puente_localized_fields`), a named note (cart) attribute, the
 * billing address's company field; else the country's final consumer. The check digit is verified
 * later by the domain (an invalid id parks the document with the reason).
 */
import { FINAL_CONSUMER_CO, FINAL_CONSUMER_PY, FINAL_CONSUMER_VE } from '../../src/domain/identifiers.js';

export type TaxIdSource = 'localized' | 'noteAttribute' | 'company';

export interface TaxIdChain {
  sources: readonly TaxIdSource[];
  /** The cart attribute stores collect the id in (`NIT`, `RUC`, `Cédula`). */
  noteAttribute: string;
}

const FINAL_CONSUMER: Record<string, string> = { CO: FINAL_CONSUMER_CO, PY: FINAL_CONSUMER_PY.number, VE: FINAL_CONSUMER_VE };

interface OrderFields {
  puente_localized_fields?: Record<string, unknown>;
  note_attributes?: { name?: unknown; value?: unknown }[];
  billing_address?: { company?: unknown } | null;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** The buyer's tax id as the store captured it, or the country's final consumer. */
export function shopifyBuyerTaxId(order: unknown, country: string, chain: TaxIdChain): string {
  const fields = (order ?? {}) as OrderFields;
  for (const source of chain.sources) {
    const found =
      source === 'localized'
        ? text(fields.puente_localized_fields?.[`TAX_CREDENTIAL_${country}`])
        : source === 'noteAttribute'
          ? text(fields.note_attributes?.find((attribute) => attribute?.name === chain.noteAttribute)?.value)
          : text(fields.billing_address?.company);
    if (found) return found;
  }
  return FINAL_CONSUMER[country] ?? FINAL_CONSUMER_CO;
}
