/**
 * Instants rendered in a named timezone with their offset (2026-11-20T09:30:00-05:00): fiscal
 * documents are dated in the seller's local time, and a date without its offset is ambiguous.
 */
export function isoInTimeZone(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  const offsetMinutes = Math.round((local - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first instant of a calendar day (YYYY-MM-DD) in a timezone, with its offset: "orders since
 * 2026-01-01" means since midnight where the store is. The offset is the one in force at noon that
 * day, which is midnight's too wherever clocks do not change at midnight.
 */
export function startOfDayIn(date: string, timeZone: string): string {
  const noon = isoInTimeZone(new Date(`${date}T12:00:00Z`), timeZone);
  return `${date}T00:00:00${noon.slice(19)}`;
}
