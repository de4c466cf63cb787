/**
 * Structured logs (pino): one line per state change, with ids. Secrets and buyer personal data never
 * appear: callers log ids and statuses only, and the redaction list below is a second line of defence
 * for anything that slips into a logged object.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_KEYS = [
  'token',
  'apiSecret',
  'apiKey',
  'adminToken',
  'authorization',
  'password',
  'accessToken',
  'secret',
  'email',
  'phone',
  'name',
  'address',
  'identification',
  'buyer',
  'customer',
  'payload',
  'wire',
];

const REDACTED = new Set(REDACTED_KEYS);

/**
 * The listed keys at the top level and one level down, replaced by "[redacted]" — what pino's `key`
 * and `*.key` redaction paths do, without their wildcard cost (~40 µs a line, measured on the webhook
 * path). Copies only the objects it changes.
 */
export function redactTwoLevels(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    if (REDACTED.has(key)) {
      (out ??= { ...object })[key] = '[redacted]';
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      let inner: Record<string, unknown> | undefined;
      for (const innerKey in value as Record<string, unknown>) {
        if (REDACTED.has(innerKey)) (inner ??= { ...(value as Record<string, unknown>) })[innerKey] = '[redacted]';
      }
      if (inner) (out ??= { ...object })[key] = inner;
    }
  }
  return out ?? object;
}

/** pino formats a child's bindings without `formatters.bindings`: redact them on the way in. */
function redactingChildren(logger: Logger): Logger {
  const child = logger.child.bind(logger) as unknown as (bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  const redacting = (bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => redactingChildren(child(redactTwoLevels(bindings), options));
  logger.child = redacting as unknown as Logger['child'];
  return logger;
}

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { app: 'puente' },
    formatters: { log: redactTwoLevels, bindings: redactTwoLevels },
  };
  return redactingChildren(destination ? pino(options, destination as pino.DestinationStream) : pino(options));
}
