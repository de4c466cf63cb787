/**
 * Running the `puente` CLI in tests: in-process with captured output, or as the real process.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../src/cli/io.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
}

/** An io whose output the test reads; no environment, so nothing of the developer's leaks in. */
export function captureIo(cwd = ROOT, env: NodeJS.ProcessEnv = {}): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (chunk: string) => (out += chunk) },
      stderr: { write: (chunk: string) => (err += chunk) },
      cwd,
      env,
    },
    out: () => out,
    err: () => err,
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * The shipped Shopify and APIDIAN mappings (with their fixtures), copied to a temp folder to edit.
 * Only these two: tests of the tooling must not depend on mappings other work is still writing.
 */
export function mappingsCopy(): string {
  const dir = path.join(tempDir('puente-mappings-'), 'mappings');
  for (const folder of ['shopify', 'apidian']) cpSync(path.join(ROOT, 'mappings', folder), path.join(dir, folder), { recursive: true });
  return dir;
}

const HEADER = (id: string, source: string, target: string) =>
  ['apiVersion: puente.mapping/v1', 'kind: DocumentMapping', `metadata: { id: ${id}, revision: 1 }`, `source: ${source}`, `target: ${target}`].join('\n');

/**
 * Three broken files: a YAML syntax error (syntax.yaml line 8), an unknown key (keys.yaml line 7)
 * and a node with two sources (keys.yaml line 8).
 */
export function brokenMappings(): string {
  const dir = tempDir('puente-cli-broken-');
  writeFileSync(
    path.join(dir, 'syntax.yaml'),
    `${HEADER('syntax', '{ system: shopify, events: [order.paid] }', '{ system: fiscal-document, document: invoice }')}\nfields:\n  kind: { const: invoice\n  currency: { path: order.currency }\n`,
  );
  mkdirSync(path.join(dir, 'refunds'));
  writeFileSync(
    path.join(dir, 'refunds', 'keys.yaml'),
    `${HEADER('keys', '{ system: shopify, events: [order.refunded] }', '{ system: fiscal-document, document: credit_note }')}\nfields:\n  kind: { const: credit_note, colour: red }\n  currency: { path: order.currency, const: COP }\n`,
  );
  return dir;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI, as a user runs it (node --import tsx src/cli/run.ts …). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/run.ts'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
