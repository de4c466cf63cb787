/**
 * The APIDIAN account end-to-end tests send to: the sandbox's demo company, a habilitación
 * resolution for invoices and consecutive ranges for notes, small batches that linger briefly.
 */
import { APIDIAN_SANDBOX_DEMO_TOKEN } from '../../connectors/apidian/sandbox/index.js';

export interface ApidianTargetOptions {
  requestsPerMinute?: number;
  /** Another company registered at the sandbox (its token and NIT); the demo company by default. */
  token?: string;
  supplierNit?: string;
  batch?: { maxDocuments: number; lingerMs: number };
}

/** A `targets:` block with one APIDIAN account named `co`; `apiUrl` is the sandbox's `…/api`. */
export function apidianTargetsYaml(apiUrl: string, options: ApidianTargetOptions = {}): string {
  const batch = options.batch ?? { maxDocuments: 10, lingerMs: 200 };
  return `targets:
  co:
    type: apidian
    baseUrl: ${apiUrl}
    token: ${options.token ?? APIDIAN_SANDBOX_DEMO_TOKEN}
    supplierNit: "${options.supplierNit ?? '900123456'}"
    softwarePin: "12345"
    environment: 2
    requestsPerMinute: ${options.requestsPerMinute ?? 600}
    resolutions:
      invoice: { prefix: SETP, resolutionNumber: "18760000001", technicalKey: fc8eac422eba16e22ffd8c6f94b3f40a6e38162c, from: 990000000, to: 995000000 }
      credit_note: { prefix: NC, from: 1, to: 99999999 }
      debit_note: { prefix: ND, from: 1, to: 99999999 }
    batch: { maxDocuments: ${batch.maxDocuments}, lingerMs: ${batch.lingerMs} }`;
}
