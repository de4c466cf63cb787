/**
 * The connectors this build of Puente ships, by type. The composition root (src/server.ts) builds
 * sources and targets from configuration through this table; nothing else names a connector.
 */
import type { SourceConnector, TargetConnector } from '../src/connector.js';
import type { Logger } from '../src/log.js';
import { createApidianTarget } from './apidian/index.js';
import { parseApidianTargetConfig } from './apidian/config.js';
import { APIDIAN_SANDBOX_DEMO_TOKEN, startApidianSandbox } from './apidian/sandbox/index.js';
import { createShopifySource } from './shopify/index.js';

export interface RunningSandbox {
  /** Base URL a target's `baseUrl` should use to reach it. */
  baseUrl: string;
  /** scheme://host:port, where the `/_sandbox/*` test endpoints live. */
  origin: string;
  /** Lines `puente sandbox NAME` prints under its address (demo credentials, …). */
  notes: string[];
  close(): Promise<void>;
}

export interface SandboxOptions {
  port: number;
  host?: string;
  dataFile?: string;
  /** The simulated API's own rate limit, where it has one. */
  requestsPerMinute?: number;
}

export interface TargetType {
  create(block: Record<string, unknown>, deps: { logger: Logger }): TargetConnector;
  /** Starts this target's local simulator (`puente sandbox NAME`, and accounts whose baseUrl is `embedded`). */
  startSandbox(options: SandboxOptions): Promise<RunningSandbox>;
}

export const targetTypes: Record<string, TargetType> = {
  apidian: {
    create: (block, deps) => createApidianTarget(parseApidianTargetConfig(block), { logger: deps.logger }),
    async startSandbox({ port, host, dataFile, requestsPerMinute }) {
      const sandbox = await startApidianSandbox({
        port,
        ...(host ? { host } : {}),
        ...(dataFile ? { dataFile } : {}),
        ...(requestsPerMinute ? { requestsPerMinute } : {}),
      });
      return {
        baseUrl: `${sandbox.url}/api`,
        origin: sandbox.url,
        notes: [`demo company token  ${APIDIAN_SANDBOX_DEMO_TOKEN}`, `routes              ${sandbox.url}/api/ubl2.1/…`],
        close: () => sandbox.close(),
      };
    },
  },
};

export function createSources(options: { shopify: { apiKey: string; apiSecretKey: string; apiVersion: string } }): Record<string, SourceConnector> {
  return { shopify: createShopifySource(options.shopify) };
}
