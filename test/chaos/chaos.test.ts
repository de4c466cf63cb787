/**
 * The chaos run, small, inside `npm test`: the real `puente serve` and two sandboxes as processes
 * on loopback; 120 seeded orders (refunds, raises, cancellations) delivered with duplicates and out
 * of order; 20 % failures, latency spikes, 429s and dropped connections at the sandboxes; Puente
 * SIGKILLed twice and restarted on its data. What the APIs hold must match the orders exactly.
 * The seed fixes every choice the run makes; nothing here asserts on timing.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../bench/chaos/run.js';

describe('chaos: nothing lost, nothing issued twice', () => {
  it('120 orders through APIDIAN and Unidigital under faults and 2 kills: exactly the documents the orders call for', async () => {
    // The time limit only bounds a hung run; the assertions are about what the APIs hold.
    const report = await runChaos({ orders: 120, kills: 2, seed: 20261121, targets: ['apidian', 'unidigital'], maxMinutes: 6 });
    expect(report.discrepancies).toEqual([]);
    expect(report.kills).toBe(2);
    expect(report.quiescent).toBe(true);
    // The checker compared every order: as many documents held as the orders call for.
    expect(report.held).toEqual(report.expected);
    expect(report.deliveries.duplicates).toBeGreaterThan(0);
    // Faults were really injected (the sandboxes count them).
    const injected = Object.values(report.faultsInjected);
    expect(injected.reduce((n, f) => n + f.errors, 0)).toBeGreaterThan(0);
    expect(injected.reduce((n, f) => n + f.dropped, 0)).toBeGreaterThan(0);
  }, 420_000);
});
