/**
 * The ledger decides what an event means for its order, given the documents that order already has:
 *   paid order → invoice · refund → credit note for what was refunded ·
 *   cancellation after an invoice → credit note for everything not yet credited (annulment).
 * It is a pure function so every rule is testable without a store or a clock.
 */
import type { SourceEvent } from '../connector.js';
import { Dec } from '../domain/money.js';
import type { DocumentRecord } from '../store/store.js';
import { documentKey, type DocumentSubject } from './keys.js';

export interface PlannedDocument {
  subject: DocumentSubject;
  idempotencyKey: string;
  /** The invoice a note corrects. */
  referenceDocumentId?: string;
}

export type LedgerDecision =
  | { action: 'create'; documents: PlannedDocument[] }
  | { action: 'wait'; note: string }
  | { action: 'ignore'; note: string };

export interface LedgerPolicy {
  /** Which event issues the invoice. */
  trigger: 'paid' | 'created' | 'fulfilled';
  /** Orders that issue nothing unless enabled. */
  issueFor?: { testOrders: boolean; drafts: boolean; zeroTotal: boolean };
}

type LedgerEvent = Pick<
  SourceEvent,
  'source' | 'kind' | 'orderId' | 'refundId' | 'editId' | 'orderTotal' | 'refundAmount' | 'test' | 'draft' | 'decidedDocument'
>;

const TRIGGER_EVENT: Record<LedgerPolicy['trigger'], SourceEvent['kind']> = {
  paid: 'order.paid',
  created: 'order.created',
  fulfilled: 'order.fulfilled',
};

/** The highest store total an invoice or debit note of the order already accounts for. */
function billedSourceTotal(documents: readonly DocumentRecord[]): Dec | undefined {
  const totals = documents
    // A voided debit note charged nothing; a voided invoice still marks what the order was billed at.
    .filter((d) => (d.kind === 'invoice' || d.kind === 'export_invoice' || (d.kind === 'debit_note' && !d.voided)) && d.sourceTotal)
    .map((d) => new Dec(d.sourceTotal!));
  return totals.length ? Dec.max(...totals) : undefined;
}

/** Why an order that would be invoiced must not be, by the connection's policy; undefined: invoice it. */
function excludedByPolicy(event: LedgerEvent, policy: LedgerPolicy): string | undefined {
  const issueFor = policy.issueFor ?? { testOrders: false, drafts: false, zeroTotal: false };
  if (event.test && !issueFor.testOrders) return 'test order: issues nothing (set issueFor.testOrders to invoice test orders)';
  if (event.draft && !issueFor.drafts) return 'draft order: issues nothing (set issueFor.drafts to invoice drafts)';
  if (event.orderTotal !== undefined && new Dec(event.orderTotal).isZero() && !issueFor.zeroTotal) {
    return 'the order total is zero: issues nothing (set issueFor.zeroTotal to invoice free orders)';
  }
  return undefined;
}

export function decide(event: LedgerEvent, orderDocuments: readonly DocumentRecord[], policy: LedgerPolicy): LedgerDecision {
  const invoice = orderDocuments.find((d) => d.kind === 'invoice' || d.kind === 'export_invoice');
  // A voided invoice is still the order's invoice: notes for it are made and then parked with the
  // reason (preparer), instead of waiting for an invoice that will never come. A voided annulment
  // annulled nothing.
  const annulment = orderDocuments.find((d) => d.kind === 'credit_note' && d.subjectId === 'annulment' && !d.voided);
  const plan = (subject: DocumentSubject, referenceDocumentId?: string): PlannedDocument => ({
    subject,
    idempotencyKey: documentKey(event.source, event.orderId, subject),
    ...(referenceDocumentId ? { referenceDocumentId } : {}),
  });

  if (event.decidedDocument) return decided(event, invoice, plan);

  switch (event.kind) {
    case 'order.paid':
    case 'order.created':
    case 'order.fulfilled': {
      if (event.kind !== TRIGGER_EVENT[policy.trigger]) {
        return { action: 'ignore', note: `the trigger policy is "${policy.trigger}": ${event.kind} issues nothing` };
      }
      if (invoice) return { action: 'ignore', note: `order already has invoice ${invoice.id}` };
      const excluded = excludedByPolicy(event, policy);
      if (excluded) return { action: 'ignore', note: excluded };
      return { action: 'create', documents: [plan({ kind: 'invoice' })] };
    }
    case 'order.refunded': {
      if (!event.refundId) return { action: 'ignore', note: 'refund event without a refund id' };
      if (event.refundAmount !== undefined && new Dec(event.refundAmount).isZero()) {
        return { action: 'ignore', note: 'no money was refunded (a restock, or a refund of zero): no credit note' };
      }
      if (!invoice && event.test && !policy.issueFor?.testOrders) return { action: 'ignore', note: 'refund of a test order: issues nothing' };
      if (!invoice) return { action: 'wait', note: 'waiting for the order\'s invoice before crediting this refund' };
      if (annulment) return { action: 'ignore', note: `order was already annulled by credit note ${annulment.id}` };
      return { action: 'create', documents: [plan({ kind: 'credit_note', refundId: event.refundId }, invoice.id)] };
    }
    case 'order.cancelled': {
      if (!invoice) return { action: 'wait', note: 'cancelled before it was invoiced: nothing to annul unless an invoice appears' };
      if (annulment) return { action: 'ignore', note: `order already annulled by credit note ${annulment.id}` };
      return { action: 'create', documents: [plan({ kind: 'credit_note', annulment: true }, invoice.id)] };
    }
    case 'order.updated':
    case 'order.edited': {
      if (!invoice) {
        // Deliveries arrive in any order: a raise made after payment can come before the paid order
        // that makes the invoice. Ignoring it then would lose its debit note, so it waits and is
        // compared with the invoice once there is one (a change made before payment raises nothing).
        if (event.orderTotal && event.editId && !excludedByPolicy(event, policy)) {
          return { action: 'wait', note: 'not invoiced yet: compared with the invoice once it exists' };
        }
        return { action: 'ignore', note: 'not invoiced yet: the invoice will carry the order as it is then' };
      }
      if (annulment) return { action: 'ignore', note: `order was annulled by credit note ${annulment.id}` };
      const billed = billedSourceTotal(orderDocuments);
      if (!event.orderTotal || !event.editId || !billed) return { action: 'ignore', note: 'the change does not say the order\'s total' };
      if (!new Dec(event.orderTotal).gt(billed)) return { action: 'ignore', note: 'the order total did not rise above what was invoiced' };
      return { action: 'create', documents: [plan({ kind: 'debit_note', editId: event.editId }, invoice.id)] };
    }
    default:
      return { action: 'ignore', note: `${event.kind} does not issue documents under the "${policy.trigger}" trigger policy` };
  }
}

/** An ERP's posted move: the document is decided; link notes to the invoice they correct. */
function decided(
  event: LedgerEvent,
  invoice: DocumentRecord | undefined,
  plan: (subject: DocumentSubject, referenceDocumentId?: string) => PlannedDocument,
): LedgerDecision {
  switch (event.decidedDocument) {
    case 'invoice':
      if (invoice) return { action: 'ignore', note: `move already has invoice ${invoice.id}` };
      return { action: 'create', documents: [plan({ kind: 'invoice' })] };
    case 'credit_note':
      if (!event.refundId) return { action: 'ignore', note: 'credit note without its own id (refundId)' };
      if (!invoice) return { action: 'wait', note: 'waiting for the invoice this credit note reverses' };
      return { action: 'create', documents: [plan({ kind: 'credit_note', refundId: event.refundId }, invoice.id)] };
    case 'debit_note':
      if (!event.editId) return { action: 'ignore', note: 'debit note without its own id (editId)' };
      if (!invoice) return { action: 'wait', note: 'waiting for the invoice this debit note adds to' };
      return { action: 'create', documents: [plan({ kind: 'debit_note', editId: event.editId }, invoice.id)] };
    default:
      return { action: 'ignore', note: `unknown decided document ${String(event.decidedDocument)}` };
  }
}
