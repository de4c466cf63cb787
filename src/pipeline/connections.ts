/**
 * Connections at run time: one source bound to one target account, with its settings. The inbox
 * routes events by source; the rest of the pipeline looks connections up by id.
 */
import type { TargetConnector } from '../connector.js';
import type { ConnectionConfig } from '../config.js';

export interface Connection {
  id: string;
  /** `shopify:acme.myshopify.com` — matches SourceEvent.source. */
  source: string;
  /** The source type (`shopify`, `woocommerce`, `odoo`). */
  sourceSystem: string;
  /** The connection's source block as its source type parsed it (credentials, status names, …). */
  sourceSettings: Record<string, unknown>;
  /** Name of the target account in the configuration (`sandbox-apidian`). */
  targetAccount: string;
  target: TargetConnector;
  settings: ConnectionConfig;
}

export class Connections {
  private readonly byId = new Map<string, Connection>();
  private readonly bySourceKey = new Map<string, Connection>();

  constructor(connections: Connection[]) {
    for (const connection of connections) this.upsert(connection);
  }

  /**
   * Adds or replaces a connection at run time (a store owner saved the settings page). Events already
   * stored keep their connection id; those that arrived as unroutable are for the inbox to re-route.
   */
  upsert(connection: Connection): void {
    const previous = this.byId.get(connection.id);
    if (previous && previous.source !== connection.source) this.bySourceKey.delete(previous.source);
    this.byId.set(connection.id, connection);
    this.bySourceKey.set(connection.source, connection);
  }

  /** Stops routing a connection's events (the app was uninstalled). */
  remove(id: string): Connection | undefined {
    const connection = this.byId.get(id);
    if (!connection) return undefined;
    this.byId.delete(id);
    if (this.bySourceKey.get(connection.source) === connection) this.bySourceKey.delete(connection.source);
    return connection;
  }

  forSource(source: string): Connection | undefined {
    return this.bySourceKey.get(source);
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }
}

