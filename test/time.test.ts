import { describe, expect, it } from 'vitest';
import { isValidTimeZone, isoInTimeZone } from '../src/time.js';

describe('isoInTimeZone', () => {
  it('renders the instant as local wall time with its offset, never the machine zone', () => {
    const instant = new Date('2026-11-20T23:30:05.900Z');
    expect(isoInTimeZone(instant, 'America/Bogota')).toBe('2026-11-20T18:30:05-05:00');
    expect(isoInTimeZone(instant, 'America/Caracas')).toBe('2026-11-20T19:30:05-04:00');
    expect(isoInTimeZone(instant, 'UTC')).toBe('2026-11-20T23:30:05+00:00');
    expect(isoInTimeZone(instant, 'Asia/Kolkata')).toBe('2026-11-21T05:00:05+05:30');
  });

  it('follows daylight saving time where the zone has it', () => {
    expect(isoInTimeZone(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01T08:00:00-04:00');
    expect(isoInTimeZone(new Date('2026-01-01T12:00:00Z'), 'America/New_York')).toBe('2026-01-01T07:00:00-05:00');
  });

  it('tells real IANA zones from typos', () => {
    expect(isValidTimeZone('America/Asuncion')).toBe(true);
    expect(isValidTimeZone('America/Bogata')).toBe(false);
  });
});
