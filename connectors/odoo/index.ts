/**
 * The Odoo source connector: polls posted customer moves over JSON-RPC (the primary way in), and
 * optionally takes Odoo's "Send Webhook Notification" as a hint to read one move at once.
 * One client per connection, made on first use from that connection's source block.
 */
import type { PollPage, PollRequest, SourceConnector } from '../../src/connector.js';
import { OdooClient, type OdooClientOptions } from './client.js';
import { OdooSourceSettings, odooSourceKey } from './config.js';
import { OdooError } from './errors.js';
import { OdooMoveReader } from './moves.js';
import { pollMoves } from './poll.js';
import { receiveOdooWebhook, type WebhookTarget } from './webhook.js';

interface OdooLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface OdooSourceOptions {
  /**
   * The connections (all of them; those of other source types are ignored), as connectors/index.ts
   * hands them. A function, because connections can be added and changed at run time.
   */
  bindings: () => OdooBinding[];
  logger: OdooLog;
  /** For tests: another fetch, shorter retries. */
  client?: Pick<OdooClientOptions, 'fetch' | 'retry'>;
}

export interface OdooBinding {
  connectionId: string;
  /** `odoo:erp.example/prod` */
  source: string;
  settings: Record<string, unknown>;
}

export function createOdooSource(options: OdooSourceOptions): SourceConnector {
  const targets = new Map<string, { settings: Record<string, unknown>; target: WebhookTarget }>();
  const odooBindings = () => options.bindings().filter((b) => b.source.startsWith('odoo:'));

  function targetFor(binding: OdooBinding): WebhookTarget {
    const cached = targets.get(binding.connectionId);
    // A connection whose settings changed (saved again at run time) gets a new client.
    let target = cached?.settings === binding.settings ? cached.target : undefined;
    if (!target) {
      const settings = OdooSourceSettings.parse(binding.settings);
      const client = new OdooClient({
        url: settings.url,
        database: settings.database,
        username: settings.username,
        apiKey: settings.apiKey,
        timeoutMs: settings.timeoutMs,
        logger: options.logger,
        ...(settings.company !== undefined ? { context: { allowed_company_ids: [settings.company] } } : {}),
        ...options.client,
      });
      target = {
        connectionId: binding.connectionId,
        source: binding.source,
        reader: new OdooMoveReader(client, {
          ...(settings.journals ? { journals: settings.journals } : {}),
          ...(settings.company !== undefined ? { company: settings.company } : {}),
        }),
        pageSize: settings.pageSize,
        overlapSeconds: Math.round(settings.overlapMinutes * 60),
        log: options.logger,
      };
      targets.set(binding.connectionId, { settings: binding.settings, target });
    }
    return target;
  }

  return {
    name: 'odoo',
    // Every failure, even finding the connection, surfaces where the caller iterates.
    async *poll(request: PollRequest): AsyncIterable<PollPage> {
      const binding = odooBindings().find((b) => b.source === request.source);
      if (!binding) throw new OdooError('config', `no Odoo connection has the source ${request.source}; add one under connections:`);
      yield* pollMoves(targetFor(binding), request);
    },
    webhook: {
      receive: (request) =>
        receiveOdooWebhook(request, (connectionId) => {
          const binding = odooBindings().find((b) => b.connectionId === connectionId);
          return binding ? targetFor(binding) : undefined;
        }),
    },
  };
}

/** Parses a connection's `source` block for connectors/index.ts: `{ source: 'odoo:<host>/<db>', settings }`. */
export function parseOdooSourceBlock(block: Record<string, unknown>): { source: string; settings: OdooSourceSettings } {
  const settings = OdooSourceSettings.parse(block);
  return { source: odooSourceKey(settings.url, settings.database), settings };
}

export { OdooClient, type OdooClientOptions } from './client.js';
export { OdooSourceSettings, odooSourceKey } from './config.js';
export { OdooError, type OdooErrorKind } from './errors.js';
export { testOdooConnection, type OdooConnectionTestResult } from './connection-test.js';
export type { OdooMovePayload } from './payload.js';
