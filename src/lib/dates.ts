/**
 * Moments as the shop shows them: in its time zone (SHOP_TIME_ZONE, an IANA name such as
 * Europe/Berlin; the server's own by default), named, e.g. "2026-11-29 11:40 GMT+1". Times are stored
 * in UTC; only their display depends on the zone.
 */
export interface DateFormats {
  /** "2026-11-29 11:40 GMT+1". */
  formatDateTime(date: Date): string;
  /** "2026-11-29", the day in the shop's zone. */
  formatDate(date: Date): string;
  /** "Sun, 29 Nov 2026, 11:40 GMT+1", for mails. */
  formatLongDateTime(date: Date): string;
}

/** The zone the server runs in, the default for SHOP_TIME_ZONE. */
export const serverTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Whether `zone` is a time zone the runtime knows (config validation). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function dateFormats(timeZone: string): DateFormats {
  const parts = (date: Date, options: Intl.DateTimeFormatOptions) =>
    Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', ...options })
        .formatToParts(date)
        .map(({ type, value }) => [type, value]),
    );
  const day = (date: Date) => {
    const { year, month, day } = parts(date, { year: 'numeric', month: '2-digit', day: '2-digit' });
    return `${year}-${month}-${day}`;
  };
  const clock = (date: Date) => {
    const { hour, minute, timeZoneName } = parts(date, { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
    return `${hour}:${minute} ${timeZoneName}`;
  };
  return {
    formatDate: day,
    formatDateTime: (date) => `${day(date)} ${clock(date)}`,
    formatLongDateTime: (date) => {
      const {
        weekday,
        day: dd,
        month,
        year,
      } = parts(date, {
        weekday: 'short',
        day: '2-digit',
        month: 'short',
        year: 'numeric',
      });
      return `${weekday}, ${dd} ${month} ${year}, ${clock(date)}`;
    },
  };
}
