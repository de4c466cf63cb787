/**
 * Fuzzing the Odoo webhook receiver. Odoo signs nothing, so the receiver's defence is that the body
 * is never believed: it may only name a record, which is then read through Odoo's API with the
 * connection's own filters. Over random bodies and connection ids: it never throws; a refusal is
 * 400/404/413 with a message; the only thing that ever reaches Odoo is a search for one positive
 * integer id inside the connection's own domain; no event comes from the body itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ODOO_WEBHOOK_BYTES, receiveOdooWebhook, type WebhookTarget } from '../../connectors/odoo/webhook.js';

const BASE_DOMAIN = [['move_type', 'in', ['out_invoice', 'out_refund']], ['state', '=', 'posted']];

function fakeTarget(searches: unknown[][]): WebhookTarget {
  return {
    overlapSeconds: 0,
    connectionId: 'erp',
    source: 'odoo:erp.example/db',
    pageSize: 50,
    log: { info: () => undefined, warn: () => undefined },
    reader: {
      baseDomain: () => BASE_DOMAIN,
      // Odoo has no such move: the receiver must answer with no events, and nothing of the body.
      search: async (domain: unknown[]) => {
        searches.push(domain);
        return [];
      },
      payloads: async () => [],
    },
  } as unknown as WebhookTarget;
}

const body = fc.oneof(
  fc.record({ _model: fc.oneof(fc.constant('account.move'), fc.string({ maxLength: 12 })), _id: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 6 }), fc.constant(2 ** 60)) }).map((b) => JSON.stringify(b)),
  fc.record({ model: fc.constant('account.move'), id: fc.integer({ min: -5, max: 1e6 }), name: fc.string(), amount_total: fc.double(), partner_id: fc.jsonValue({ maxDepth: 2 }) }).map((b) => JSON.stringify(b)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 100 }),
  fc.constantFrom('', '[]', 'null', '{"_model":"account.move","_id":42,"__proto__":{"polluted":true}}', `{"_model":"account.move","_id":7,"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, 'x'.repeat(MAX_ODOO_WEBHOOK_BYTES + 1)),
);

describe('Odoo receiver', () => {
  it('never throws, refuses clearly, and only ever asks Odoo for one move by id within the connection\'s domain', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('erp', 'erp', 'erp', 'other', ''), async (raw, connection) => {
        const searches: unknown[][] = [];
        const target = fakeTarget(searches);
        const verdict = await receiveOdooWebhook({ rawBody: raw, headers: { 'content-type': 'application/json' }, params: connection ? { connection } : {} }, (id) =>
          id === 'erp' ? target : undefined,
        );
        if (!verdict.ok) {
          expect([400, 404, 413]).toContain(verdict.status);
          expect(verdict.error.length).toBeGreaterThan(15);
          expect(searches).toEqual([]);
          return;
        }
        expect(connection).toBe('erp');
        expect(verdict.events).toEqual([]);
        expect(searches).toHaveLength(1);
        const [domain] = searches;
        const idClause = domain!.at(-1) as [string, string, number];
        expect(domain!.slice(0, -1)).toEqual(BASE_DOMAIN);
        expect(idClause[0]).toBe('id');
        expect(idClause[1]).toBe('=');
        expect(Number.isSafeInteger(idClause[2]) && idClause[2] > 0).toBe(true);
      }),
      { numRuns: 800 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);
});
