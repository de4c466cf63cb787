/**
 * Typed errors. The dispatcher acts on `kind`, never on message text:
 * - retryable:       network failure, 5xx, 408 — retry shortly, then reschedule
 * - rate_limited:    429/503 with Retry-After — reschedule at that time, pause the limiter
 * - rejected:        validation or fiscal rejection — needs_attention, never retried blindly
 * - auth:            bad or expired credentials — stop sending for that connection
 * - unknown_outcome: the request may or may not have reached the target — look it up before resending
 */
export type TargetErrorKind = 'retryable' | 'rate_limited' | 'rejected' | 'auth' | 'unknown_outcome';

export interface TargetErrorDetails {
  status?: number;
  retryAfterMs?: number;
  /** Field path in the wire document the target complained about, when it says. */
  field?: string;
  /** Every message the target gave, verbatim (never contains our secrets). */
  messages?: string[];
}

export class TargetError extends Error {
  readonly kind: TargetErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly field: string | undefined;
  readonly messages: string[];

  constructor(kind: TargetErrorKind, message: string, details: TargetErrorDetails = {}) {
    super(message);
    this.name = 'TargetError';
    this.kind = kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.field = details.field;
    this.messages = details.messages ?? [];
  }
}

/** A mapping could not turn its input into a valid document. The event/document needs attention. */
export class MappingError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'MappingError';
    this.path = path;
  }
}

export { DomainError } from './domain/errors.js';
