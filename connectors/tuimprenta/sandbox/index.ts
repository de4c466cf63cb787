/**
 * The tuimprenta.digital sandbox: a local simulator merchants and Puente's tests issue documents to.
 * `startTuimprentaSandbox` listens on a port; `createTuimprentaSandbox` gives the express app.
 */
import { listenSandbox, type ListeningSandbox } from '../../../src/sandbox-server.js';
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
  let listening: ListeningSandbox;
  try {
    listening = await listenSandbox(sandbox.app, port, host);
  } catch (error) {
    sandbox.close();
    throw error;
  }
  sandbox.setOrigin(listening.url);
  return {
    url: listening.url,
    port: listening.port,
    state: sandbox.state,
    webhooks: sandbox.webhooks,
    advance: () => sandbox.advance(),
    close: () => {
      sandbox.close();
      return listening.close();
    },
  };
}
