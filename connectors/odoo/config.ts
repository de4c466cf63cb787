/**
 * An Odoo connection's `source` block: which Odoo, which database, and whose API key.
 *
 *   source: { type: odoo, url: https://erp.example, database: prod, username: admin@example.com,
 *             apiKey: ${ODOO_API_KEY}, journals: [INV], company: 1 }
 *
 * The source key is `odoo:<host>/<database>`: one Odoo server can hold several databases, each its
 * own set of books.
 */
import { z } from 'zod';

export const OdooSourceSettings = z.strictObject({
  type: z.literal('odoo'),
  /** Where Odoo answers, e.g. https://erp.example or http://127.0.0.1:8069 (JSON-RPC lives at /jsonrpc). */
  url: z
    .string()
    .url('must be the Odoo address such as https://erp.example')
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must start with https:// (or http:// for a local Odoo)'),
  /** The database name shown on Odoo's database selector (Settings → About, or the URL's ?db=). */
  database: z.string().min(1, 'is required: the Odoo database name (e.g. prod)'),
  /** The login of the Odoo user the API key belongs to (usually an e-mail). */
  username: z.string().min(1, 'is required: the login of the Odoo user who owns the API key'),
  /** An API key made under Preferences → Account Security → New API Key (the password also works, but do not). */
  apiKey: z.string().min(1, 'is required: an Odoo API key (Preferences → Account Security → New API Key); use ${ODOO_API_KEY}'),
  /** Only moves of these sales journals (journal codes, e.g. INV); all customer journals when absent. */
  journals: z.array(z.string().min(1)).min(1, 'list at least one journal code, or leave journals out').optional(),
  /** Only moves of this company (its numeric id in Odoo), for multi-company databases. */
  company: z.coerce.number().int().positive('must be the numeric id of the company in Odoo').optional(),
  /** Records per search_read page. */
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
  /**
   * How far behind the newest move each poll looks again, in minutes. Odoo stamps write_date when a
   * transaction starts, so a long batch (posting hundreds of invoices) commits moves dated earlier
   * than others already listed; they are found if the batch took less than this.
   */
  overlapMinutes: z.coerce.number().min(0).max(24 * 60).default(10),
  /** Per-request timeout in ms. */
  timeoutMs: z.coerce.number().int().min(1000).max(300_000).default(30_000),
});
export type OdooSourceSettings = z.infer<typeof OdooSourceSettings>;
export type OdooSourceSettingsInput = z.input<typeof OdooSourceSettings>;

/** `odoo:erp.example/prod` (the host keeps its port: two Odoos on one machine are two sources). */
export function odooSourceKey(url: string, database: string): string {
  return `odoo:${new URL(url).host}/${database}`;
}
