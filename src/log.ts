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

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { app: 'puente' },
    redact: {
      paths: REDACTED_KEYS.flatMap((key) => [key, `*.${key}`]),
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
