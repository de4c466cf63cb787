/**
 * The Unidigital sandbox: a local simulator of the imprenta's API that merchants and Puente's tests
 * issue documents against. `startUnidigitalSandbox` listens on a port; `createUnidigitalSandbox` gives
 * the express app for embedding.
 */
import { listenSandbox } from '../../../src/sandbox-server.js';
import { UNIDIGITAL_BASE_PATH, createUnidigitalSandbox, type UnidigitalSandbox, type UnidigitalSandboxOptions } from './app.js';

export { UNIDIGITAL_BASE_PATH, createUnidigitalSandbox, formatControlNumber, type UnidigitalSandbox, type UnidigitalSandboxFaults, type UnidigitalSandboxOptions } from './app.js';
export {
  UNIDIGITAL_SANDBOX_DEMO_PASSWORD,
  UNIDIGITAL_SANDBOX_DEMO_USER,
  UNIDIGITAL_SANDBOX_SERIES_ID,
  UNIDIGITAL_SANDBOX_SERIES_NAME,
  UNIDIGITAL_SANDBOX_SUCURSAL_ID,
  UNIDIGITAL_SANDBOX_TARGET_DEFAULTS,
} from './seed.js';
export { SandboxStore, type SandboxBatch, type SandboxData, type SandboxDocument } from './state.js';

export interface StartUnidigitalSandboxOptions extends UnidigitalSandboxOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningUnidigitalSandbox {
  /** `http://host:port`; the test endpoints are under `${url}/_sandbox`. */
  url: string;
  /** `${url}/digitalinvoice-core`: what a target's baseUrl points at. */
  baseUrl: string;
  port: number;
  sandbox: UnidigitalSandbox;
  close(): Promise<void>;
}

export async function startUnidigitalSandbox(options: StartUnidigitalSandboxOptions): Promise<RunningUnidigitalSandbox> {
  const { port, host = '127.0.0.1', ...sandboxOptions } = options;
  const sandbox = createUnidigitalSandbox(sandboxOptions);
  const { url, port: listeningPort, close } = await listenSandbox(sandbox.app, port, host);
  return { url, baseUrl: `${url}${UNIDIGITAL_BASE_PATH}`, port: listeningPort, sandbox, close };
}
