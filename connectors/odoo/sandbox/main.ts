/**
 * Runs the Odoo sandbox on its own, for local trials and end-to-end tests:
 *
 *   node --import tsx connectors/odoo/sandbox/main.ts [--port N] [--host H] [--missing-field model.field]…
 *
 * Prints `odoo sandbox listening at http://…` and the demo credentials, then serves until stopped.
 */
import { ODOO_SANDBOX_API_KEY, ODOO_SANDBOX_DATABASE, ODOO_SANDBOX_LOGIN, startOdooSandbox } from './index.js';

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

const args = process.argv.slice(2);
const port = Number(option(args, '--port') ?? 8069);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a port number (0 picks a free one), got ${option(args, '--port')}\n`);
  process.exit(2);
}
const missingFields = args.flatMap((arg, i) => (arg === '--missing-field' && args[i + 1] ? [args[i + 1]!] : []));
const sandbox = await startOdooSandbox({ port, host: option(args, '--host') ?? '127.0.0.1', missingFields });
process.stdout.write(
  `odoo sandbox listening at ${sandbox.url}\n` +
    `  database            ${ODOO_SANDBOX_DATABASE}\n` +
    `  username            ${ODOO_SANDBOX_LOGIN}\n` +
    `  API key             ${ODOO_SANDBOX_API_KEY}\n` +
    `  post an invoice     POST ${sandbox.url}/_sandbox/invoices\n`,
);
const stop = () => {
  void sandbox.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
