/**
 * The FacturApi sandbox: a local simulator of FacturApi and of SIFEN behind it, that merchants and
 * Puente's tests send documents to. `startFacturapiSandbox` listens on a port;
 * `createFacturapiSandbox` gives the express app for embedding.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFacturapiSandbox, type FacturapiSandboxOptions } from './app.js';
import type { SandboxStore } from './state.js';

export { createFacturapiSandbox, FaultsInput, type FacturapiSandbox, type FacturapiSandboxOptions, type SandboxFaults } from './app.js';
export {
  FACTURAPI_SANDBOX_DEMO_API_KEY,
  FACTURAPI_SANDBOX_DEMO_RUC,
  FACTURAPI_SANDBOX_DEMO_TENANT,
  FACTURAPI_SANDBOX_SEED,
  FACTURAPI_SANDBOX_TARGET_DEFAULTS,
  type SandboxTaxpayer,
  type SandboxTenant,
} from './seed.js';
export { SandboxStore, type InutilizedRange, type SandboxData, type StoredDocument, type StoredLote } from './state.js';

export interface StartFacturapiSandboxOptions extends FacturapiSandboxOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningFacturapiSandbox {
  /** `http://host:port`: the target's baseUrl; the API is under `${url}/${tenantId}`. */
  url: string;
  port: number;
  state: SandboxStore;
  close(): Promise<void>;
}

export async function startFacturapiSandbox(options: StartFacturapiSandboxOptions): Promise<RunningFacturapiSandbox> {
  const { port, host = '127.0.0.1', ...sandboxOptions } = options;
  const sandbox = createFacturapiSandbox(sandboxOptions);
  const server: Server = await new Promise((resolve, reject) => {
    const listening = sandbox.app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
    listening.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    state: sandbox.state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
