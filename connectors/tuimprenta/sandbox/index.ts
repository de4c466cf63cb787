/**
 * The tuimprenta.digital sandbox: a local simulator merchants and Puente's tests issue documents to.
 * `startTuimprentaSandbox` listens on a port; `createTuimprentaSandbox` gives the express app.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTuimprentaSandbox, type TuimprentaSandboxOptions } from './app.js';
import type { SandboxStore } from './state.js';
import type { WebhookSender } from './webhooks.js';

export { createTuimprentaSandbox, bodyHash, type TuimprentaSandbox, type TuimprentaSandboxOptions } from './app.js';
export {
  TUIMPRENTA_SANDBOX_ACCOUNT_ID,
  TUIMPRENTA_SANDBOX_API_KEY,
  TUIMPRENTA_SANDBOX_SEED,
  TUIMPRENTA_SANDBOX_TARGET_DEFAULTS,
  TUIMPRENTA_SANDBOX_WEBHOOK_SECRET,
} from './seed.js';
export { SandboxStore, type SandboxData, type StoredInvoice, type SandboxBatch } from './state.js';
export type { SandboxFaults } from './http.js';
export type { WebhookDelivery } from './webhooks.js';

export interface StartTuimprentaSandboxOptions extends TuimprentaSandboxOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningTuimprentaSandbox {
  /** `http://host:port`; the API is under `${url}/v1`. */
  url: string;
  port: number;
  state: SandboxStore;
  webhooks: WebhookSender;
  /** Does due work (control numbers, batches) now instead of at the next tick. */
  advance(): void;
  close(): Promise<void>;
}

export async function startTuimprentaSandbox(options: StartTuimprentaSandboxOptions): Promise<RunningTuimprentaSandbox> {
  const { port, host = '127.0.0.1', ...sandboxOptions } = options;
  const sandbox = createTuimprentaSandbox(sandboxOptions);
  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      const listening = sandbox.app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
      listening.once('error', reject);
    });
  } catch (error) {
    sandbox.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  sandbox.setOrigin(url);
  return {
    url,
    port: address.port,
    state: sandbox.state,
    webhooks: sandbox.webhooks,
    advance: () => sandbox.advance(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        sandbox.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
