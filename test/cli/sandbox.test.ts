/**
 * `puente sandbox NAME` runs any simulator on its own: the invoicing APIs' and, for trying a store or
 * an ERP connection locally, the WooCommerce and Odoo simulators. A wrong name or an option a
 * simulator does not have is a usage error (exit 2) that says what exists.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, type RunningProcess } from '../e2e/processes.js';

const CLI = path.resolve(import.meta.dirname, '../../src/cli/run.ts');
let running: RunningProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function refused(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('puente sandbox', () => {
  it('runs the WooCommerce simulator, printing its credentials, and it answers as a store', async () => {
    running = await startCli(['sandbox', 'woocommerce', '--port', '0'], {}, /woocommerce sandbox listening at (http:\/\/[\d.:]+)/);
    expect(running.output()).toMatch(/consumer key {8}ck_/);
    expect(running.output()).toContain('webhook secret');
    // The simulator's REST API refuses a request without its credentials, as a store would.
    const response = await fetch(`${running.url}/wp-json/wc/v3/orders`);
    expect(response.status).toBe(401);
  }, 30_000);

  it('names what exists for an unknown sandbox, and refuses invoicing-API options for a store simulator', () => {
    const unknown = refused(['sandbox', 'prestashop']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown sandbox "prestashop"; available: apidian, .*woocommerce, odoo/);
    const withData = refused(['sandbox', 'odoo', '--port', '0', '--data', '/tmp/odoo.json']);
    expect(withData.status).toBe(2);
    expect(withData.stderr).toContain('--data and --requests-per-minute are for the invoicing APIs\' sandboxes');
  }, 60_000);
});
