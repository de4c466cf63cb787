/**
 * One posted Odoo move → one SourceEvent. Odoo already decided what the document is, so the event
 * says it (`decidedDocument`) and the ledger only links it:
 *   out_invoice                    → invoice      orderId = the move's own id
 *   out_refund (reversed_entry_id) → credit note  orderId = the reversed invoice's id, refundId = the move's id
 *   out_invoice (debit_origin_id)  → debit note   orderId = the origin invoice's id, editId = the move's id
 * The delivery id names the move and that it was posted, so listing the same move again (a repeated
 * sweep, a webhook for a move the sweep already saw) stores nothing twice.
 */
import type { SourceEvent } from '../../src/connector.js';
import type { OdooMovePayload } from './payload.js';

export type OdooEventOutcome = { event: SourceEvent } | { skipped: string };

function deliveryIdFor(moveId: string): string {
  return `move:${moveId}:posted`;
}

export function eventForMove(source: string, move: OdooMovePayload): OdooEventOutcome {
  const common = {
    source,
    deliveryId: deliveryIdFor(move.id),
    occurredAt: move.writeDate,
    payload: move,
  };
  switch (move.documentKind) {
    case 'invoice':
      return {
        event: { ...common, kind: 'order.paid', topic: 'account.move/out_invoice', orderId: move.id, orderTotal: move.amountTotal, decidedDocument: 'invoice' },
      };
    case 'credit_note':
      if (!move.reversedEntry) {
        // A credit note typed by hand, reversing no invoice: Puente cannot cite an invoice for it.
        return { skipped: `credit note ${move.id} reverses no invoice (reversed_entry_id is empty): make it with "Add Credit Note" on the invoice` };
      }
      return {
        event: {
          ...common,
          kind: 'order.refunded',
          topic: 'account.move/out_refund',
          orderId: move.reversedEntry.id,
          refundId: move.id,
          decidedDocument: 'credit_note',
        },
      };
    case 'debit_note':
      return {
        event: {
          ...common,
          kind: 'order.edited',
          topic: 'account.move/debit_note',
          orderId: move.debitOrigin!.id,
          editId: move.id,
          decidedDocument: 'debit_note',
        },
      };
  }
}
