/**
 * `SystemReference`: the caller's own id, which Unidigital treats as a unique key when the series has
 * `useSystemReferenceAsKey: true` and which `documents/searchbysystemreference` finds a document by
 * (reference §2.7). Puente puts its idempotency key there, so after a crash it can ask whether a
 * document already reached the imprenta.
 *
 * The `puente:` prefix marks a document as Puente's: a batch left open by a crash is finished only
 * when every document in it carries it (target.ts). [NF] The field's maximum length is not
 * published; keys longer than 120 characters are sent as a SHA-256 digest of the key instead, which
 * is just as deterministic.
 */
import { createHash } from 'node:crypto';

export const PUENTE_REFERENCE_PREFIX = 'puente:';
const MAX_VERBATIM = 120;

export function systemReferenceFor(idempotencyKey: string): string {
  const verbatim = `${PUENTE_REFERENCE_PREFIX}${idempotencyKey}`;
  if (verbatim.length <= MAX_VERBATIM) return verbatim;
  return `${PUENTE_REFERENCE_PREFIX}sha256:${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex')}`;
}

export function isPuenteReference(systemReference: string): boolean {
  return systemReference.startsWith(PUENTE_REFERENCE_PREFIX);
}
