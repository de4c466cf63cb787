/**
 * The FacturApi sandbox: a local simulator of FacturApi and of SIFEN behind it, that merchants and
 * Puente's tests send documents to. `startFacturapiSandbox` listens on a port;
 * `createFacturapiSandbox` gives the express app for embedding.
 */
import { listenSandbox } from '../../../src/sandbox-server.js';
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
  const { url, port: listeningPort, close } = await listenSandbox(sandbox.app, port, host);
  return { url, port: listeningPort, state: sandbox.state, close };
}
