/**
 * The connectors this build of Puente ships, by type. The composition root (src/server.ts) builds
 * sources and targets from configuration through this table; nothing else names a connector.
 */
import type { SourceConnector, TargetConnector } from '../src/connector.js';
import type { Logger } from '../src/log.js';
import { createApidianTarget } from './apidian/index.js';
import { parseApidianTargetConfig } from './apidian/config.js';
import { startApidianSandbox } from './apidian/sandbox/index.js';
import { createShopifySource } from './shopify/index.js';

export interface RunningSandbox {
  /** Base URL a target's `baseUrl` should use to reach it. */
  baseUrl: string;
  close(): Promise<void>;
}

export interface TargetType {
  create(block: Record<string, unknown>, deps: { logger: Logger }): TargetConnector;
  /** Starts this target's local simulator, for accounts whose baseUrl is `embedded`. */
  startSandbox(options: { port: number; dataFile?: string }): Promise<RunningSandbox>;
}

export const targetTypes: Record<string, TargetType> = {
  apidian: {
    create: (block, deps) => createApidianTarget(parseApidianTargetConfig(block), { logger: deps.logger }),
    async startSandbox({ port, dataFile }) {
      const sandbox = await startApidianSandbox({ port, ...(dataFile ? { dataFile } : {}) });
      return { baseUrl: `${sandbox.url}/api`, close: () => sandbox.close() };
    },
  },
};

export function createSources(options: { shopify: { apiKey: string; apiSecretKey: string; apiVersion: string } }): Record<string, SourceConnector> {
  return { shopify: createShopifySource(options.shopify) };
}
