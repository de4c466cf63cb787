/**
 * `npm run chaos`: proves that under duplicated and reordered deliveries, failing and stalling
 * invoicing APIs, dropped connections and repeated SIGKILLs, nothing is lost and nothing is issued
 * twice. Prints the figures and exits non-zero on any discrepancy, listing each.
 *
 *   npm run chaos -- [--orders 2000] [--kills 5] [--seed S] [--target apidian|unidigital|tuimprenta|facturapi|all]
 *                    [--max-minutes 15] [--error-rate 0.2] [--log-level warn]
 */
import { parseArgs } from 'node:util';
import { runChaos, DEFAULT_FAULTS, type ChaosReport } from './chaos/run.js';
import { TARGET_NAMES, type TargetName } from './chaos/targets.js';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run chaos -- [--orders N] [--kills K] [--seed S] [--target ${TARGET_NAMES.join('|')}|all] [--max-minutes M]\n`);
  process.exit(2);
}

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) usage(`--${name} must be a whole number ≥ ${min}, not "${raw}"`);
  return value;
}

const { values } = parseArgs({
  options: {
    orders: { type: 'string' },
    kills: { type: 'string' },
    seed: { type: 'string' },
    target: { type: 'string' },
    'max-minutes': { type: 'string' },
    'error-rate': { type: 'string' },
    'log-level': { type: 'string' },
  },
});

const target = values.target ?? 'all';
if (target !== 'all' && !TARGET_NAMES.includes(target as TargetName)) usage(`--target must be one of ${TARGET_NAMES.join(', ')} or all, not "${target}"`);
const errorRate = values['error-rate'] === undefined ? DEFAULT_FAULTS.errorRate : Number(values['error-rate']);
if (!(errorRate >= 0 && errorRate <= 1)) usage(`--error-rate must be between 0 and 1, not "${values['error-rate']}"`);
const seed = wholeNumber('seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0);

const report = await runChaos({
  orders: wholeNumber('orders', values.orders, 2000, 1),
  kills: wholeNumber('kills', values.kills, 5, 0),
  seed,
  targets: target === 'all' ? [...TARGET_NAMES] : [target as TargetName],
  maxMinutes: wholeNumber('max-minutes', values['max-minutes'], 15, 1),
  faults: { ...DEFAULT_FAULTS, errorRate },
  ...(values['log-level'] ? { logLevel: values['log-level'] } : {}),
  progress: (line) => process.stdout.write(`  · ${line}\n`),
});
process.stdout.write(formatReport(report));
process.exit(report.discrepancies.length ? 1 : 0);

function formatReport(r: ChaosReport): string {
  const lines = [
    '',
    `chaos run — seed ${r.seed} (rerun with --seed ${r.seed})`,
    `  targets        ${r.targets.join(', ')}`,
    `  orders         ${r.orders}  (${Object.entries(r.stories).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `  deliveries     ${r.deliveries.unique} distinct + ${r.deliveries.duplicates} duplicates, reordered; ${r.deliveries.attempts} HTTP attempts (${r.deliveries.attempts - r.deliveries.sent} retried)`,
    `  kills          ${r.kills} × SIGKILL + restart on the same data directory`,
    `  faults         ${Object.entries(r.faultsInjected).map(([t, f]) => `${t}: ${f.errors} errors, ${f.spikes} spikes, ${f.rateLimited} × 429, ${f.dropped} drops after accept`).join('; ')}`,
    `  documents      expected invoices ${r.expected.invoice}, credit notes ${r.expected.credit_note}, debit notes ${r.expected.debit_note}`,
    `                 held     invoices ${r.held.invoice}, credit notes ${r.held.credit_note}, debit notes ${r.held.debit_note}` +
      (r.verdicts.some((v) => v.annulled) ? ` (+ ${r.verdicts.reduce((n, v) => n + v.annulled, 0)} cancellations answered by annulling the invoice outright)` : ''),
    `  puente         ${Object.entries(r.puente).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  elapsed        ${(r.elapsedMs / 1000).toFixed(1)} s (drain ${(r.drainMs / 1000).toFixed(1)} s)${r.quiescent ? '' : ' — NOT quiescent'}`,
    '',
    r.discrepancies.length ? `${r.discrepancies.length} DISCREPANCIES:` : 'no discrepancies: every order has exactly its documents, totals to the cent, numbers gapless, nothing pending.',
    ...r.discrepancies.slice(0, 200).map((d) => `  ✗ ${d}`),
    ...(r.discrepancies.length > 200 ? [`  … and ${r.discrepancies.length - 200} more`] : []),
    '',
  ];
  return lines.join('\n');
}
