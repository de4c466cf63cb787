/**
 * The idempotency key of a legal document: derived only from what the document is — its source, its
 * order, its kind and the refund or edit it answers — never from a mapping revision, a target or a
 * retry count. Two deliveries, a replay, or a switch of invoicing API all arrive at the same key, so
 * the store refuses a second document.
 */
export type DocumentSubject =
  | { kind: 'invoice' }
  | { kind: 'credit_note'; refundId: string }
  | { kind: 'credit_note'; annulment: true }
  | { kind: 'debit_note'; editId: string };

export function documentKey(source: string, orderId: string, subject: DocumentSubject): string {
  const base = `${source}|order:${orderId}|${subject.kind}`;
  if ('refundId' in subject) return `${base}|refund:${subject.refundId}`;
  if ('annulment' in subject) return `${base}|annulment`;
  if ('editId' in subject) return `${base}|edit:${subject.editId}`;
  return base;
}

export function subjectIdOf(subject: DocumentSubject): string | undefined {
  if ('refundId' in subject) return subject.refundId;
  if ('annulment' in subject) return 'annulment';
  if ('editId' in subject) return subject.editId;
  return undefined;
}
