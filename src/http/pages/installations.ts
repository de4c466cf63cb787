/**
 * Shops that installed the Shopify app, and the settings their owners saved on the settings page.
 * Kept in the store as `installation:shopify:<shop>`; the invoicing credentials inside are sealed with
 * the SecretBox. A configured, installed shop is a live connection (Connections.upsert) from the moment
 * its settings are saved, and again on every start (`restoreInstallations`).
 */
import { ConnectionConfig } from '../../config.js';
import type { TargetConnector } from '../../connector.js';
import type { Logger } from '../../log.js';
import type { Connection, Connections } from '../../pipeline/connections.js';
import type { SecretBox } from '../../secrets.js';
import type { Store } from '../../store/store.js';

export const TARGET_TYPES = ['apidian', 'unidigital', 'tuimprenta', 'facturapi'] as const;
export type InstallTargetType = (typeof TARGET_TYPES)[number];

/** Fields of each target's account block that are secrets: sealed at rest, never shown back. */
export const SECRET_FIELDS: Record<InstallTargetType, readonly string[]> = {
  apidian: ['token', 'softwarePin'],
  unidigital: ['password'],
  tuimprenta: ['apiKey', 'webhookSecret'],
  facturapi: ['apiKey', 'securityCodeSecret'],
};

export interface InstallationSettings {
  targetType: InstallTargetType;
  /** The target account block without its secrets (validated by the target type when saved). */
  account: Record<string, unknown>;
  /** The secret fields of the account block, sealed as one JSON object. */
  sealedSecrets: string;
  trigger: 'paid' | 'created' | 'fulfilled';
  triggerDelayMinutes: number;
  issueFor: { testOrders: boolean; drafts: boolean; zeroTotal: boolean };
  country: 'CO' | 'VE' | 'PY';
  timezone: string;
  taxId: { validateCheckDigit: boolean; sources: ('localized' | 'noteAttribute' | 'company')[]; noteAttribute: string };
  /** Handed to the stage-2 mapping as `target` (tuimprenta's series, FacturApi's establecimiento/punto). */
  targetSettings?: Record<string, unknown>;
}

export interface Installation {
  shop: string;
  status: 'installed' | 'uninstalled';
  installedAt?: string;
  uninstalledAt?: string;
  scope?: string;
  settings?: InstallationSettings;
  savedAt?: string;
}

export interface TargetFactory {
  create(block: Record<string, unknown>, deps: { logger: Logger }): TargetConnector;
}

export interface InstallationsDeps {
  store: Store;
  box: SecretBox;
  connections: Connections;
  targetTypes: Record<string, TargetFactory>;
  log: Logger;
  /** Events were handed to a connection (the pipeline is poked). */
  onRouted?: () => void;
  clock?: () => Date;
}

const installationKey = (shop: string) => `installation:shopify:${shop}`;
/** The connection id of a shop's installation: `shopify-<shop name>` (acme.myshopify.com → shopify-acme). */
export const connectionIdFor = (shop: string) => `shopify-${shop.replace(/\.myshopify\.com$/, '')}`;
const sealPurpose = (shop: string) => `installation:shopify:${shop}:target`;

export class ShopInstallations {
  readonly #deps: InstallationsDeps;
  readonly #clock: () => Date;
  /** Targets made for installations (including replaced ones a send may still be using), closed on close(). */
  readonly #targets = new Set<TargetConnector>();

  constructor(deps: InstallationsDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  async get(shop: string): Promise<Installation | undefined> {
    return (await this.#deps.store.getState<Installation>(installationKey(shop)))?.value;
  }

  async list(): Promise<Installation[]> {
    return (await this.#deps.store.listState<Installation>('installation:shopify:')).map((entry) => entry.value);
  }

  /** OAuth completed. A reinstall with settings still saved (no shop/redact yet) resumes processing. */
  async markInstalled(shop: string, scope?: string): Promise<Installation> {
    const previous = await this.get(shop);
    const installation: Installation = {
      ...previous,
      shop,
      status: 'installed',
      installedAt: this.#clock().toISOString(),
      ...(scope ? { scope } : {}),
    };
    delete installation.uninstalledAt;
    await this.#deps.store.putState(installationKey(shop), installation);
    if (installation.settings) await this.#activate(installation);
    return installation;
  }

  /** The full account block (secrets opened) of a saved installation, e.g. to prefill or re-test. */
  accountBlock(installation: Installation): Record<string, unknown> | undefined {
    const settings = installation.settings;
    if (!settings) return undefined;
    const secrets = this.#deps.box.openJson<Record<string, unknown>>(settings.sealedSecrets, sealPurpose(installation.shop));
    return { type: settings.targetType, ...settings.account, ...secrets };
  }

  /**
   * Saves settings whose account block was already validated and tested, then makes the connection
   * live. `account` is the full block (with secrets); secrets are split off and sealed here.
   */
  async save(shop: string, account: Record<string, unknown>, rest: Omit<InstallationSettings, 'account' | 'sealedSecrets'>): Promise<Installation> {
    const previous = await this.get(shop);
    const secretNames = SECRET_FIELDS[rest.targetType];
    const { type: _type, ...fields } = account;
    const secrets = Object.fromEntries(Object.entries(fields).filter(([name]) => secretNames.includes(name)));
    const plain = Object.fromEntries(Object.entries(fields).filter(([name]) => !secretNames.includes(name)));
    const installation: Installation = {
      ...previous,
      shop,
      status: previous?.status ?? 'installed',
      settings: { ...rest, account: plain, sealedSecrets: this.#deps.box.sealJson(secrets, sealPurpose(shop)) },
      savedAt: this.#clock().toISOString(),
    };
    // Build the connection first: a block its target refuses is reported and nothing is saved.
    const connection = this.connectionFor(installation);
    await this.#deps.store.putState(installationKey(shop), installation);
    if (installation.status === 'installed') await this.#goLive(connection);
    this.#deps.log.info({ shop, target: rest.targetType, connectionId: connection.id }, 'shop settings saved');
    return installation;
  }

  /** app/uninstalled: processing stops; the settings stay until shop/redact (a reinstall resumes). */
  async uninstall(shop: string): Promise<void> {
    this.#deps.connections.remove(connectionIdFor(shop));
    // A connection for the shop from the configuration file stops too (until the next start, which
    // reads the file again: remove it there).
    const configured = this.#deps.connections.forSource(`shopify:${shop}`);
    if (configured) {
      this.#deps.connections.remove(configured.id);
      this.#deps.log.warn({ shop, connectionId: configured.id }, 'shop uninstalled the app: its configured connection is stopped; remove it from the configuration file');
    }
    const previous = await this.get(shop);
    if (!previous) return;
    await this.#deps.store.putState(installationKey(shop), { ...previous, status: 'uninstalled', uninstalledAt: this.#clock().toISOString() });
  }

  /** shop/redact: the settings and invoicing credentials are forgotten. */
  async forget(shop: string): Promise<void> {
    this.#deps.connections.remove(connectionIdFor(shop));
    await this.#deps.store.deleteState(installationKey(shop));
  }

  /** The live connection an installation's settings describe. Throws with a clear message when they are not usable. */
  connectionFor(installation: Installation): Connection {
    const settings = installation.settings;
    if (!settings) throw new Error(`${installation.shop} has no saved settings`);
    const id = connectionIdFor(installation.shop);
    const type = this.#deps.targetTypes[settings.targetType];
    if (!type) throw new Error(`unknown target type "${settings.targetType}"`);
    const target = type.create(this.accountBlock(installation)!, { logger: this.#deps.log.child({ target: id }) });
    this.#targets.add(target);
    const source = `shopify:${installation.shop}`;
    return {
      id,
      source,
      sourceSystem: 'shopify',
      sourceSettings: { type: 'shopify', shop: installation.shop },
      targetAccount: `shop:${installation.shop}`,
      target,
      settings: ConnectionConfig.parse({
        id,
        source: { type: 'shopify', shop: installation.shop },
        target: `shop:${installation.shop}`,
        trigger: settings.trigger,
        triggerDelayMinutes: settings.triggerDelayMinutes,
        issueFor: settings.issueFor,
        country: settings.country,
        timezone: settings.timezone,
        taxId: settings.taxId,
        targetSettings: settings.targetSettings ?? {},
      }),
    };
  }

  async #activate(installation: Installation): Promise<void> {
    await this.#goLive(this.connectionFor(installation));
  }

  /**
   * Routes the shop's events to the connection from now on, and hands it the deliveries that arrived
   * while the shop had none (installed but not configured yet): those orders are invoiced too.
   */
  async #goLive(connection: Connection): Promise<void> {
    this.#deps.connections.upsert(connection);
    const waiting = await this.#deps.store.listEvents({ source: connection.source, status: 'unroutable', limit: 1000 });
    for (const event of waiting) await this.#deps.store.updateEvent(event.id, { connectionId: connection.id, status: 'received' });
    if (waiting.length) this.#deps.onRouted?.();
  }

  /** Releases the limiters and timers of the targets made here; run after the pipeline stopped. */
  async close(): Promise<void> {
    for (const target of this.#targets) await (target as TargetConnector & { close?: () => Promise<void> }).close?.();
    this.#targets.clear();
  }

  /** On start: every installed, configured shop becomes a live connection. Returns the shops restored. */
  async restore(): Promise<string[]> {
    const restored: string[] = [];
    for (const installation of await this.list()) {
      if (installation.status !== 'installed' || !installation.settings) continue;
      try {
        await this.#activate(installation);
        restored.push(installation.shop);
      } catch (error) {
        // One shop's unusable settings (a key change, a target type removed) must not stop the others.
        this.#deps.log.error({ shop: installation.shop, err: (error as Error).message }, 'shop settings could not be restored; open its settings page');
      }
    }
    return restored;
  }
}

/** For the composition root: restores every configured installation as a live connection. */
export function restoreInstallations(installations: ShopInstallations): Promise<string[]> {
  return installations.restore();
}
