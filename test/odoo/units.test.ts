/**
 * The small rules of the Odoo connector: Odoo's floats become exact decimal text, Odoo's datetimes
 * become ISO instants, the cursor's text form, and the `source` block of a connection.
 */
import { describe, expect, it } from 'vitest';
import { advanceCursor, decodeCursor, encodeCursor, startCursor } from '../../connectors/odoo/cursor.js';
import { OdooError } from '../../connectors/odoo/errors.js';
import { isoToOdooDatetime, odooDatetimeToIso } from '../../connectors/odoo/moves.js';
import { amountText, decimalText, decimalsFromRounding } from '../../connectors/odoo/numbers.js';
import { sourceTypes } from '../../connectors/index.js';
import { cursorDomain } from '../../connectors/odoo/poll.js';

describe('Odoo numbers', () => {
  it('turns floats into the shortest exact decimal text, never exponent notation', () => {
    expect(decimalText(59900.0, 'f')).toBe('59900');
    expect(decimalText(12.8, 'f')).toBe('12.8');
    expect(decimalText(2.5, 'f')).toBe('2.5');
    expect(decimalText(1e-7, 'f')).toBe('0.0000001');
    expect(decimalText(1e21, 'f')).toBe('1000000000000000000000');
    expect(decimalText(-0, 'f')).toBe('0');
  });

  it('rounds amounts half-up to the currency, removing Odoo\'s float noise', () => {
    expect(amountText(153.60000000000002, 2, 'f')).toBe('153.60');
    expect(amountText(48.129999999999995, 2, 'f')).toBe('48.13');
    expect(amountText(0.125, 2, 'f')).toBe('0.13');
    expect(amountText(-0.125, 2, 'f')).toBe('-0.13');
    expect(amountText(1250.5, 0, 'f')).toBe('1251');
  });

  it('refuses what is not a number, naming the field', () => {
    for (const bad of ['12.5', null, false, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => decimalText(bad, 'account.move.line 7.price_unit')).toThrow(/account\.move\.line 7\.price_unit/);
    }
    expect(() => decimalText(false, 'x')).toThrow(OdooError);
  });

  it('reads the currency decimals from its rounding when Odoo does not say them', () => {
    expect(decimalsFromRounding(0.01)).toBe(2);
    expect(decimalsFromRounding(1.0)).toBe(0);
    expect(decimalsFromRounding(0.001)).toBe(3);
    expect(decimalsFromRounding(false)).toBe(2);
  });
});

describe('Odoo datetimes', () => {
  it('are UTC without a zone; Puente writes them with Z, and domains get them back in UTC', () => {
    expect(odooDatetimeToIso('2026-11-20 15:04:05')).toBe('2026-11-20T15:04:05Z');
    expect(odooDatetimeToIso('2026-11-20 15:04:05.123456')).toBe('2026-11-20T15:04:05Z');
    expect(() => odooDatetimeToIso('20/11/2026')).toThrow(OdooError);
    expect(isoToOdooDatetime('2026-11-20T10:04:05-05:00')).toBe('2026-11-20 15:04:05');
    expect(isoToOdooDatetime('2026-11-21T02:00:00+03:00')).toBe('2026-11-20 23:00:00');
    expect(() => isoToOdooDatetime('yesterday')).toThrow(/not an ISO 8601 instant/);
  });
});

describe('the Odoo poll cursor', () => {
  const at = (writeDate: string, id: number) => ({ id, writeDate });

  it('round-trips its text form', () => {
    const cursor = { from: '2026-11-20 14:54:05', latest: '2026-11-20 15:04:05', seen: [at('2026-11-20 15:00:00', 57), at('2026-11-20 15:04:05', 41)] };
    expect(encodeCursor(cursor)).toBe('v2|2026-11-20 14:54:05|2026-11-20 15:04:05|57@1795186800,41@1795187045');
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(encodeCursor(startCursor('1970-01-01 00:00:00')))).toEqual({ from: '1970-01-01 00:00:00', latest: '1970-01-01 00:00:00', seen: [] });
  });

  it('refuses text it did not write', () => {
    for (const bad of [
      '',
      'v1|2026-11-20 15:04:05|1',
      'v2|2026-11-20T15:04:05Z|2026-11-20 15:04:05|',
      'v2|2026-11-20 15:04:05|2026-11-20 15:04:05|1@x',
      'v2|2026-11-20 15:04:05|2026-11-20 15:04:05|0@1795619045',
      'v2|2026-11-20 15:04:05|2026-11-20 15:04:05',
    ]) {
      expect(() => decodeCursor(bad), bad).toThrow(OdooError);
    }
  });

  it('trails the newest write_date by the overlap, never goes back, and remembers the moves of that window', () => {
    const start = startCursor('2026-11-20 15:00:00');
    const first = advanceCursor(start, [at('2026-11-20 15:00:30', 3), at('2026-11-20 15:04:05', 9), at('2026-11-20 15:04:05', 7)], 120);
    // from = 15:04:05 − 2 min; the move of 15:00:30 falls out of the window.
    expect(first).toEqual({ from: '2026-11-20 15:02:05', latest: '2026-11-20 15:04:05', seen: [at('2026-11-20 15:04:05', 7), at('2026-11-20 15:04:05', 9)] });
    // A move committed late, stamped before the newest: `latest` and `from` stay, the move joins the window.
    const late = advanceCursor(first, [at('2026-11-20 15:03:00', 2)], 120);
    expect(late).toEqual({ ...first, seen: [at('2026-11-20 15:03:00', 2), ...first.seen] });
    // A backfill's `since` is a floor: an early page never moves `from` before it.
    expect(advanceCursor(start, [at('2026-11-20 15:00:10', 1)], 600).from).toBe('2026-11-20 15:00:00');
    expect(advanceCursor(start, [], 600)).toBe(start);
  });

  it('asks for moves from its `from` it has not listed', () => {
    const base = [['state', '=', 'posted']];
    expect(cursorDomain(base, { from: '2026-12-31 23:50:00', latest: '2027-01-01 00:00:00', seen: [at('2026-12-31 23:59:59', 8), at('2027-01-01 00:00:00', 9)] })).toEqual([
      ['state', '=', 'posted'],
      ['write_date', '>=', '2026-12-31 23:50:00'],
      ['id', 'not in', [8, 9]],
    ]);
    expect(cursorDomain(base, startCursor('2026-11-20 15:00:00'))).toEqual([['state', '=', 'posted'], ['write_date', '>=', '2026-11-20 15:00:00']]);
  });
});

describe('an Odoo connection\'s source block', () => {
  const block = { type: 'odoo', url: 'https://erp.example:8443/', database: 'prod', username: 'admin@example.com', apiKey: 'k' };

  it('is keyed odoo:<host>/<database>, sweeps every minute, and gets defaults', () => {
    const parsed = sourceTypes.odoo!.parse(block);
    expect(parsed.source).toBe('odoo:erp.example:8443/prod');
    expect(parsed.settings).toMatchObject({ pageSize: 100, timeoutMs: 30_000, overlapMinutes: 10 });
    expect(sourceTypes.odoo!.defaultSweepMinutes).toBe(1);
  });

  it('names the field that is wrong', () => {
    const issues = (override: Record<string, unknown>) => {
      try {
        sourceTypes.odoo!.parse({ ...block, ...override });
        return [];
      } catch (error) {
        return (error as { issues: { path: PropertyKey[]; message: string }[] }).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      }
    };
    expect(issues({ database: '' })).toEqual([expect.stringMatching(/^database: is required/)]);
    expect(issues({ url: 'ftp://erp.example' })).toEqual([expect.stringMatching(/^url: must start with https:\/\//)]);
    expect(issues({ company: 'main' })).toEqual([expect.stringMatching(/^company: /)]);
    expect(issues({ journals: [] })).toEqual([expect.stringMatching(/^journals: list at least one journal code/)]);
    expect(issues({ password: 'x' })).toEqual([expect.stringContaining('password')]);
  });
});
