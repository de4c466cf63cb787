/**
 * One end-to-end run against a non-APIDIAN target: a standalone `puente sandbox <name>` process and
 * the real `puente serve` process whose only connection points one Shopify store at that sandbox.
 * Each target's test supplies the target block and the connection's country settings.
 */
import path from 'node:path';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { startCli, tempDir, writeYaml, type RunningProcess } from './processes.js';

export const SECRET = 'e2e-shopify-secret';
export const ADMIN = 'e2e-admin-token';

export interface PuenteDocument {
  id: string;
  kind: string;
  status: string;
  orderId: string;
  referenceDocumentId?: string;
  attention?: unknown;
  result?: { fiscalNumber?: string; uuid?: string };
  fiscal?: { totals: { payableAmount: string } };
}

export interface TargetRun {
  sandbox: RunningProcess;
  puente: RunningProcess;
  /** Where the sandbox's test endpoints live (`/_sandbox/…`). */
  origin: string;
  dataDir: string;
  deliver(topic: string, body: string, eventId: string): Promise<number>;
  documents(): Promise<PuenteDocument[]>;
  sandboxDocuments<T>(): Promise<T[]>;
  /** Waits until Puente holds exactly one document of `kind` for the order and it is issued; fails fast if it is parked. */
  issued(orderId: string, kind: string, timeoutMs?: number): Promise<PuenteDocument>;
  stop(): Promise<void>;
}

export interface TargetRunOptions {
  sandbox: string;
  /** Extra `puente sandbox` arguments. */
  sandboxArgs?: string[];
  shop: string;
  /** The `targets:` entry (YAML, indented by 4) given the sandbox's base URL as printed. */
  targetBlock: (baseUrl: string) => string;
  /** The connection's extra keys, e.g. `country: VE, timezone: America/Caracas`. */
  connection: string;
  /** Called once the sandbox is up, before Puente starts (e.g. to shorten a delay). */
  prepareSandbox?: (origin: string) => Promise<void>;
}

export async function startTargetRun(options: TargetRunOptions): Promise<TargetRun> {
  const dataDir = tempDir(`puente-e2e-${options.sandbox}-`);
  const sandbox = await startCli(
    ['sandbox', options.sandbox, '--port', '0', '--requests-per-minute', '1000', '--data', `${dataDir}/sandbox.json`, ...(options.sandboxArgs ?? [])],
    {},
    new RegExp(`${options.sandbox} sandbox listening at (http://[\\d.:]+\\S*)`),
  );
  const baseUrl = sandbox.url;
  const origin = new URL(baseUrl).origin;
  let puente: RunningProcess | undefined;
  try {
    await options.prepareSandbox?.(origin);
    const config = `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dataDir}/data
adminToken: ${ADMIN}
mappingsDir: ${path.resolve('mappings')}
log: { level: info }
shopify: { apiSecret: ${SECRET}, apiVersion: "2026-01" }
pipeline: { tickMs: 100, statusPollMs: 150 }
targets:
  target:
${options.targetBlock(baseUrl)}
connections:
  - { id: shop, source: { type: shopify, shop: ${options.shop} }, target: target, ${options.connection} }
`;
    const file = writeYaml(dataDir, 'puente.config.yaml', config);
    puente = await startCli(['serve'], { PUENTE_CONFIG: file }, /Puente is running at (http:\/\/[\d.:]+)/);
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  const server = puente;

  const documents = async (): Promise<PuenteDocument[]> => {
    const response = await fetch(`${server.url}/api/documents?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
    return ((await response.json()) as { documents: PuenteDocument[] }).documents;
  };

  return {
    sandbox,
    puente: server,
    origin,
    dataDir,
    async deliver(topic, body, eventId) {
      const headers = shopifyWebhookHeaders({ topic, shop: options.shop, body, secret: SECRET, eventId });
      const response = await fetch(`${server.url}/webhooks/shopify`, { method: 'POST', headers, body });
      await response.arrayBuffer();
      return response.status;
    },
    documents,
    async sandboxDocuments<T>() {
      const response = await fetch(`${origin}/_sandbox/documents`);
      return ((await response.json()) as { documents: T[] }).documents;
    },
    async issued(orderId, kind, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let seen: PuenteDocument[] = [];
      while (Date.now() < deadline) {
        seen = (await documents()).filter((d) => d.orderId === orderId && d.kind === kind);
        // A parked or rejected document will not move: fail at once, with its reason.
        const stuck = seen.find((d) => d.status === 'needs_attention' || d.status === 'rejected');
        if (stuck) throw new Error(`the ${kind} of order ${orderId} is ${stuck.status}: ${JSON.stringify(stuck.attention ?? stuck.result)}`);
        if (seen.length === 1 && seen[0]!.status === 'issued') return seen[0]!;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(
        `timed out waiting for the ${kind} of order ${orderId} to be issued (have: ${JSON.stringify(seen.map((d) => d.status))})\n` +
          `--- puente log (tail) ---\n${server.output().slice(-4000)}`,
      );
    },
    async stop() {
      await server.stop();
      await sandbox.stop();
    },
  };
}
