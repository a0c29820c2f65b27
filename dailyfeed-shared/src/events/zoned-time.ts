/**
 * Calendar fields of an instant in an IANA time zone (Intl, no dependency).
 * Internal to the event layer: topic dates and messageKey timestamps use it.
 */
export interface ZonedParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number; // 0-23
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // Throws a RangeError for an unknown zone, which is what a misconfiguration should do.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function zonedParts(date: Date, timeZone: string): ZonedParts {
  const time = date.getTime();
  if (!Number.isFinite(time)) throw new RangeError('invalid date');
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(date)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? NaN,
    month: fields.month ?? NaN,
    day: fields.day ?? NaN,
    hour: fields.hour ?? NaN,
    minute: fields.minute ?? NaN,
    second: fields.second ?? NaN,
    // Every IANA zone offset is a whole number of seconds, so the millisecond is the UTC one.
    millisecond: ((time % 1000) + 1000) % 1000,
  };
}

export const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** `yyyyMMdd` of a calendar day, `offsetDays` days after the day of `date` in `timeZone`. */
export function zonedYmd(date: Date, timeZone: string, offsetDays = 0): string {
  const { year, month, day } = zonedParts(date, timeZone);
  // Calendar arithmetic on a UTC date: no DST hour can make "tomorrow" skip or repeat a day.
  const shifted = new Date(Date.UTC(year, month - 1, day + offsetDays));
  return `${pad(shifted.getUTCFullYear(), 4)}${pad(shifted.getUTCMonth() + 1, 2)}${pad(shifted.getUTCDate(), 2)}`;
}

/** Milliseconds from `date` to the next midnight in `timeZone` (a DST day may be off by its shift). */
export function msUntilZonedMidnight(date: Date, timeZone: string): number {
  const { hour, minute, second, millisecond } = zonedParts(date, timeZone);
  return 86_400_000 - (((hour * 60 + minute) * 60 + second) * 1000 + millisecond);
}
