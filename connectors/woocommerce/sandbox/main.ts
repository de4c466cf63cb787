/**
 * Runs the WooCommerce store simulator on its own, for trying Puente locally:
 *   npx tsx connectors/woocommerce/sandbox/main.ts [--port 8090] [--deliver-to URL]
 * then create and pay orders through its /_sandbox routes (see connectors/woocommerce/README.md).
 */
import { parseArgs } from 'node:util';
import { startWooCommerceSandbox } from './index.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8090' }, 'deliver-to': { type: 'string' } } });
const sandbox = await startWooCommerceSandbox({
  port: Number(values.port),
  ...(values['deliver-to'] ? { deliveryUrl: values['deliver-to'] } : {}),
});
process.stdout.write(
  `woocommerce sandbox listening at ${sandbox.url}\n` +
    `  consumer key        ${sandbox.consumerKey}\n` +
    `  consumer secret     ${sandbox.consumerSecret}\n` +
    `  webhook secret      ${sandbox.webhookSecret}\n` +
    `  delivery URL        ${values['deliver-to'] ?? '(none yet: POST /_sandbox/webhook {"deliveryUrl": …})'}\n`,
);
const stop = () => void sandbox.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
