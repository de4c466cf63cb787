/**
 * The FacturApi (SIFEN) account end-to-end tests send to: the sandbox's demo tenant, establecimiento
 * and punto 001-001, batches of up to 50 that linger briefly, and the Paraguayan demo shop.
 */
import { FACTURAPI_SANDBOX_TARGET_DEFAULTS } from '../../connectors/facturapi/sandbox/seed.js';
import { PY_SHOP } from './country-samples.js';
import { startTargetRun, type TargetRun } from './target-run.js';

/** A FacturApi sandbox process and Puente serving the Paraguayan demo shop through it. */
export function startFacturapiRun(): Promise<TargetRun> {
  return startTargetRun({
    sandbox: 'facturapi',
    shop: PY_SHOP,
    // JSON values are YAML too: the sandbox's demo account, as its seed states it.
    targetBlock: (baseUrl) =>
      [...Object.entries({ ...FACTURAPI_SANDBOX_TARGET_DEFAULTS, baseUrl, requestsPerMinute: 600 }).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`), `    batch: { maxDocuments: 50, lingerMs: 200 }`].join('\n'),
    connection: 'country: PY, timezone: America/Asuncion, targetSettings: { establecimiento: "001", punto: "001" }',
  });
}
