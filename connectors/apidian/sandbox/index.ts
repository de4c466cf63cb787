/**
 * The APIDIAN sandbox: a local simulator of APIDIAN (and of DIAN behind it) that merchants and
 * Puente's tests send documents to. `startApidianSandbox` listens on a port; `createApidianSandbox`
 * gives the express app for embedding.
 */
import { listenSandbox } from '../../../src/sandbox-server.js';
import { createApidianSandbox, type ApidianSandboxOptions } from './app.js';
import type { SandboxStore } from './state.js';

export { createApidianSandbox, type ApidianSandbox, type ApidianSandboxOptions } from './app.js';
export {
  APIDIAN_SANDBOX_DEMO_NIT,
  APIDIAN_SANDBOX_DEMO_TOKEN,
  APIDIAN_SANDBOX_SEED,
  APIDIAN_SANDBOX_TARGET_DEFAULTS,
  APIDIAN_TEST_TECHNICAL_KEY,
} from './seed.js';
export { SandboxStore, type JudgedDocument, type SandboxCompany, type SandboxData } from './state.js';
export type { ErrorStyle, SandboxFaults } from './http.js';

export interface StartApidianSandboxOptions extends ApidianSandboxOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: the sandbox is for this machine unless asked otherwise. */
  host?: string;
}

export interface RunningApidianSandbox {
  /** `http://host:port` — APIDIAN's routes are under `${url}/api/ubl2.1`. */
  url: string;
  port: number;
  state: SandboxStore;
  close(): Promise<void>;
}

export async function startApidianSandbox(options: StartApidianSandboxOptions): Promise<RunningApidianSandbox> {
  const { port, host = '127.0.0.1', ...sandboxOptions } = options;
  const sandbox = createApidianSandbox(sandboxOptions);
  const { url, port: listeningPort, close } = await listenSandbox(sandbox.app, port, host);
  return { url, port: listeningPort, state: sandbox.state, close };
}
