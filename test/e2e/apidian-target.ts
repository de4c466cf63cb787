/**
 * The APIDIAN account end-to-end tests send to: the sandbox's demo company, a habilitación
 * resolution for invoices and consecutive ranges for notes, small batches that linger briefly.
 */
import { APIDIAN_SANDBOX_DEMO_TOKEN } from '../../connectors/apidian/sandbox/index.js';

/** A `targets:` block with one APIDIAN account named `co`; `apiUrl` is the sandbox's `…/api`. */
export function apidianTargetsYaml(apiUrl: string, options: { requestsPerMinute?: number } = {}): string {
  return `targets:
  co:
    type: apidian
    baseUrl: ${apiUrl}
    token: ${APIDIAN_SANDBOX_DEMO_TOKEN}
    supplierNit: "900123456"
    softwarePin: "12345"
    environment: 2
    requestsPerMinute: ${options.requestsPerMinute ?? 600}
    resolutions:
      invoice: { prefix: SETP, resolutionNumber: "18760000001", technicalKey: fc8eac422eba16e22ffd8c6f94b3f40a6e38162c, from: 990000000, to: 995000000 }
      credit_note: { prefix: NC, from: 1, to: 99999999 }
      debit_note: { prefix: ND, from: 1, to: 99999999 }
    batch: { maxDocuments: 10, lingerMs: 200 }`;
}
