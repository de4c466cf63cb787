/**
 * The real `puente` process (node --import tsx src/cli/run.ts …), once per command: exit codes and
 * what a user sees.
 */
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, brokenMappings, mappingsCopy, runCli, tempDir } from './helpers.js';

const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

const SHIPPED = path.join(ROOT, 'mappings');

describe('puente (spawned)', { timeout: 60_000 }, () => {
  it('mappings validate: a broken set exits 1 listing each problem with line:col', async () => {
    const dir = brokenMappings();
    cleanup.push(dir);
    const result = await runCli(['mappings', 'validate', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/syntax\.yaml:8:\d+: error \[yaml-syntax\]/);
    expect(result.stdout).toMatch(/keys\.yaml:7:\d+: error \[invalid\] unknown key "colour"/);
    expect(result.stdout).toMatch(/keys\.yaml:8:\d+: error \[invalid\] node has two sources/);
  });

  it('mappings test: the shipped Shopify and APIDIAN fixtures pass, exit 0', async () => {
    const dir = mappingsCopy();
    cleanup.push(path.dirname(dir));
    const result = await runCli(['mappings', 'test', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ \d+ passed, 0 failed/);
  });

  it('mappings preview: a dry run exits 0 and prints the trace', async () => {
    const result = await runCli([
      'mappings',
      'preview',
      path.join(SHIPPED, 'shopify', 'order-invoice.yaml'),
      path.join(SHIPPED, 'shopify', 'fixtures', 'paid-order-nit.input.json'),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/lines\[0\]\.taxes\[0\]\.code\s+"IVA"\s+← lookup taxByRate/);
  });

  it('mappings diff: exit 0 for a comparison, 2 without --corpus', async () => {
    const corpus = tempDir('puente-spawn-corpus-');
    cleanup.push(corpus);
    copyFileSync(path.join(SHIPPED, 'shopify', 'fixtures', 'paid-order-nit.input.json'), path.join(corpus, 'order.json'));
    const dir = mappingsCopy();
    cleanup.push(path.dirname(dir));
    const same = await runCli(['mappings', 'diff', '--from', dir, '--to', dir, '--corpus', corpus]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/1 document: 0 changed, 1 unchanged/);
    const usage = await runCli(['mappings', 'diff', '--from', dir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/diff needs --corpus/);
  });

  it('replay: exit 1 when the server cannot be reached, 2 on a wrong command line', async () => {
    const unreachable = await runCli(['replay', '--status', 'needs_attention', '--url', 'http://127.0.0.1:9', '--token', 'x']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach Puente/);
    const usage = await runCli(['replay', '--status', 'issued', '--url', 'http://127.0.0.1:9', '--token', 'x']);
    expect(usage.code).toBe(2);
  });
});
