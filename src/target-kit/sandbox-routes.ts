/**
 * The test endpoints every invoicing-API sandbox offers under `/_sandbox`, with the same shapes:
 * `GET|POST|DELETE /faults` (what the sandbox breaks on purpose) and `POST /reset`.
 */
import type { Router } from 'express';
import type { ZodType } from 'zod';

export interface FaultRoutesOptions<F extends object> {
  /** The live faults object the sandbox's middleware reads; changed in place. */
  faults: F;
  /** What POST /faults accepts (a partial set of faults). */
  schema: ZodType<Partial<F>>;
  /** The faults of a sandbox that breaks nothing. */
  none: () => F;
  /** Shown when POST /faults is refused, e.g. "{errorRate?: 0..1, latencyMs?, …}". */
  expected: string;
  reset: () => void;
}

export function addFaultRoutes<F extends object>(testing: Router, options: FaultRoutesOptions<F>): void {
  const { faults } = options;
  testing.get('/faults', (_req, res) => {
    res.json({ faults });
  });
  testing.post('/faults', (req, res) => {
    const parsed = options.schema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({
        message: `Invalid faults: expected ${options.expected}`,
        errors: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
      });
      return;
    }
    Object.assign(faults, parsed.data);
    res.json({ faults });
  });
  testing.delete('/faults', (_req, res) => {
    Object.assign(faults, options.none());
    res.json({ faults });
  });
  testing.post('/reset', (_req, res) => {
    options.reset();
    res.json({ reset: true });
  });
}
