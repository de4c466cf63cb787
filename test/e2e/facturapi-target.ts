/**
 * The FacturApi (SIFEN) account end-to-end tests send to: the sandbox's demo tenant, establecimiento
 * and punto 001-001, batches of up to 50 that linger briefly, and the Paraguayan demo shop.
 */
import { FACTURAPI_SANDBOX_DEMO_API_KEY, FACTURAPI_SANDBOX_DEMO_RUC, FACTURAPI_SANDBOX_DEMO_TENANT } from '../../connectors/facturapi/sandbox/seed.js';
import { PY_SHOP } from './country-samples.js';
import { startTargetRun, type TargetRun } from './target-run.js';

/** A FacturApi sandbox process and Puente serving the Paraguayan demo shop through it. */
export function startFacturapiRun(): Promise<TargetRun> {
  return startTargetRun({
    sandbox: 'facturapi',
    shop: PY_SHOP,
    targetBlock: (baseUrl) =>
      [
        `    type: facturapi`,
        `    baseUrl: ${baseUrl}`,
        `    tenantId: ${FACTURAPI_SANDBOX_DEMO_TENANT}`,
        `    apiKey: ${FACTURAPI_SANDBOX_DEMO_API_KEY}`,
        `    ruc: "${FACTURAPI_SANDBOX_DEMO_RUC}"`,
        `    tipoContribuyente: 2`,
        `    establecimiento: "001"`,
        `    punto: "001"`,
        `    requestsPerMinute: 600`,
        `    batch: { maxDocuments: 50, lingerMs: 200 }`,
      ].join('\n'),
    connection: 'country: PY, timezone: America/Asuncion, targetSettings: { establecimiento: "001", punto: "001" }',
  });
}
