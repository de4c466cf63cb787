/**
 * The WooCommerce connections the connector serves, found by connection id (webhook routes) or by
 * source key (sweeps, completions). Read on every call, so connections added at run time are seen.
 */
import type { SourceBinding } from '../index.js';
import { WooCommerceSourceSettings } from './config.js';

export interface WooCommerceConnection {
  connectionId: string;
  source: string;
  settings: WooCommerceSourceSettings;
}

export interface WooCommerceBindings {
  byConnectionId(id: string): WooCommerceConnection | undefined;
  bySource(source: string): WooCommerceConnection | undefined;
}

export function wooCommerceBindings(list: () => readonly SourceBinding[]): WooCommerceBindings {
  // Settings are validated when the configuration loads; parsing again fills defaults for bindings
  // built by hand (tests). Cached per settings object, which a connection keeps while it is unchanged
  // even when the list of bindings is rebuilt on every call.
  const parsed = new WeakMap<object, WooCommerceSourceSettings | null>();
  const resolve = (binding: SourceBinding): WooCommerceConnection | undefined => {
    if (!binding.source.startsWith('woocommerce:')) return undefined;
    if (!parsed.has(binding.settings)) {
      const settings = WooCommerceSourceSettings.safeParse(binding.settings);
      parsed.set(binding.settings, settings.success ? settings.data : null);
    }
    const settings = parsed.get(binding.settings);
    return settings ? { connectionId: binding.connectionId, source: binding.source, settings } : undefined;
  };
  return {
    byConnectionId: (id) => {
      const binding = list().find((b) => b.connectionId === id);
      return binding ? resolve(binding) : undefined;
    },
    bySource: (source) => {
      const binding = list().find((b) => b.source === source);
      return binding ? resolve(binding) : undefined;
    },
  };
}
