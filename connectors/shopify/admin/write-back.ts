/**
 * Records an issued document on its Shopify order, where the merchant sees it: a JSON metafield
 * (`puente.documents` by default) listing every document issued for the order — kind, fiscal
 * number, CUFE/CDC/control number, PDF/XML links, issue time — and order tags (`factura-electronica`
 * and the fiscal number) that the order list can filter on.
 *
 * Repeating a write-back changes nothing: the list is keyed by document id (an entry is replaced,
 * never added twice, and an unchanged list is not written), and `tagsAdd` ignores tags the order
 * already has. Write-backs to one order run one at a time in this process, so two documents issued
 * together do not overwrite each other's entry.
 */
import type { IssuedDocumentNotice } from '../../../src/connector.js';
import type { DocumentKind } from '../../../src/domain/fiscal-document.js';
import { TargetError } from '../../../src/errors.js';
import type { AdminLogger, ShopifyGraphqlClient } from './graphql-client.js';
import { METAFIELDS_SET, ORDER_METAFIELD, TAGS_ADD, type UserError } from './queries.js';
import { orderGid } from './rest-shape.js';
import { shopOfSource } from './sweep.js';

export const DEFAULT_KIND_TAGS: Record<DocumentKind, string> = {
  invoice: 'factura-electronica',
  credit_note: 'nota-credito',
  debit_note: 'nota-debito',
  export_invoice: 'factura-exportacion',
};

export interface WriteBackOptions {
  client: ShopifyGraphqlClient;
  /** Metafield namespace. Default `puente`. */
  namespace?: string;
  /** Metafield key holding the JSON list. Default `documents`. */
  key?: string;
  /** The tags to add for a document. Default: the kind's tag (DEFAULT_KIND_TAGS) and the fiscal number. */
  tagsFor?: (notice: IssuedDocumentNotice) => string[];
  logger?: AdminLogger;
}

/** One entry of the metafield's list. */
export interface IssuedDocumentEntry {
  documentId: string;
  kind: DocumentKind;
  fiscalNumber: string;
  uuid?: string;
  pdf?: string;
  xml?: string;
  qr?: string;
  issuedAt: string;
}

function entryOf(notice: IssuedDocumentNotice): IssuedDocumentEntry {
  return {
    documentId: notice.documentId,
    kind: notice.kind,
    fiscalNumber: notice.fiscalNumber,
    ...(notice.uuid ? { uuid: notice.uuid } : {}),
    ...(notice.links?.pdf ? { pdf: notice.links.pdf } : {}),
    ...(notice.links?.xml ? { xml: notice.links.xml } : {}),
    ...(notice.links?.qr ? { qr: notice.links.qr } : {}),
    issuedAt: notice.issuedAt,
  };
}

/** The list the metafield holds now; an unreadable value (edited by hand) starts a fresh list. */
function parseEntries(value: string | null | undefined): IssuedDocumentEntry[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed.filter((e) => typeof e === 'object' && e !== null && typeof (e as IssuedDocumentEntry).documentId === 'string') as IssuedDocumentEntry[]) : [];
  } catch {
    return [];
  }
}

function rejectUserErrors(what: string, shop: string, orderId: string, errors: UserError[] | undefined): void {
  if (!errors || errors.length === 0) return;
  const messages = errors.map((e) => (e.field?.length ? `${e.field.join('.')}: ${e.message}` : e.message));
  throw new TargetError('rejected', `Shopify ${what} on order ${orderId} of ${shop}: ${messages.join('; ')}`, {
    messages,
    ...(errors[0]?.field ? { field: errors[0].field.join('.') } : {}),
  });
}

export function createWriteBack(options: WriteBackOptions): (notice: IssuedDocumentNotice) => Promise<void> {
  const { client, logger } = options;
  const namespace = options.namespace ?? 'puente';
  const key = options.key ?? 'documents';
  const tagsFor = options.tagsFor ?? ((n: IssuedDocumentNotice) => [DEFAULT_KIND_TAGS[n.kind], n.fiscalNumber]);
  const perOrder = new Map<string, Promise<void>>();

  async function write(notice: IssuedDocumentNotice): Promise<void> {
    const shop = shopOfSource(notice.source);
    const id = orderGid(notice.orderId);
    const current = await client.request<{ order: { id: string; metafield: { id: string; value: string } | null } | null }>(shop, {
      query: ORDER_METAFIELD,
      variables: { id, namespace, key },
    });
    if (!current.order) {
      throw new TargetError('rejected', `Shopify order ${notice.orderId} of ${shop} was not found; it may have been deleted`);
    }
    const entries = parseEntries(current.order.metafield?.value);
    const entry = entryOf(notice);
    const at = entries.findIndex((e) => e.documentId === entry.documentId);
    const unchanged = at >= 0 && JSON.stringify(entries[at]) === JSON.stringify(entry);
    if (!unchanged) {
      const next = at >= 0 ? entries.map((e, i) => (i === at ? entry : e)) : [...entries, entry];
      const set = await client.request<{ metafieldsSet: { userErrors: UserError[] } }>(shop, {
        query: METAFIELDS_SET,
        variables: { metafields: [{ ownerId: id, namespace, key, type: 'json', value: JSON.stringify(next) }] },
      });
      rejectUserErrors('metafieldsSet', shop, notice.orderId, set.metafieldsSet.userErrors);
    }
    const tags = tagsFor(notice).filter((t) => typeof t === 'string' && t.trim() !== '');
    if (tags.length > 0) {
      const added = await client.request<{ tagsAdd: { userErrors: UserError[] } }>(shop, { query: TAGS_ADD, variables: { id, tags } });
      rejectUserErrors('tagsAdd', shop, notice.orderId, added.tagsAdd.userErrors);
    }
    logger?.info({ shop, orderId: notice.orderId, documentId: notice.documentId, kind: notice.kind, metafieldWritten: !unchanged }, 'shopify write-back done');
  }

  return (notice) => {
    const lockKey = `${notice.source}|${notice.orderId}`;
    const previous = perOrder.get(lockKey) ?? Promise.resolve();
    const result = previous.then(
      () => write(notice),
      () => write(notice),
    );
    const tail = result.catch(() => undefined);
    perOrder.set(lockKey, tail);
    void tail.then(() => {
      if (perOrder.get(lockKey) === tail) perOrder.delete(lockKey);
    });
    return result;
  };
}
