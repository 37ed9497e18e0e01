/**
 * Dates and times as a French reader writes them, always in Europe/Paris:
 * "24 août 1962", "1er juin 2027", "2 juin 2027 à 16:10".
 */

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

const OFFSET = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Paris', timeZoneName: 'longOffset' });

/** Paris's offset from UTC at `at` (ms). */
export function parisOffsetMs(at: Date): number {
  const name = OFFSET.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
}

let offsetHour = NaN;
let offsetOfHour = 0;

/**
 * Paris's offset during the UTC hour of `ms`. Paris changes offset only on
 * the hour (UTC), so the offset of the last hour asked is kept: a list read
 * in time order asks the time zone database once per hour of entries.
 */
function parisOffsetOfHour(ms: number): number {
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== offsetHour) {
    offsetOfHour = parisOffsetMs(new Date(hour * 3_600_000));
    offsetHour = hour;
  }
  return offsetOfHour;
}

/** The wall-clock reading in Paris at `at`. */
export interface ParisWallTime {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

export function parisWallTime(at: Date): ParisWallTime {
  const t = at.getTime();
  if (Number.isNaN(t)) throw new RangeError('Invalid time value');
  const local = new Date(t + parisOffsetOfHour(t));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    ms: local.getUTCMilliseconds(),
  };
}

/**
 * The instant Paris's clocks read `wall`. When they never read it (the hour
 * skipped on the last Sunday of March), the offset before the change applies
 * (02:30 → 03:30 summer time); when they read it twice (the hour repeated on
 * the last Sunday of October), the offset after the change applies (the
 * second, later 02:30). PostgreSQL's `AT TIME ZONE` follows the same rule.
 */
export function fromParisWallTime(wall: ParisWallTime): Date {
  const t = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.ms);
  const before = parisOffsetMs(new Date(t - 86_400_000));
  const after = parisOffsetMs(new Date(t + 86_400_000));
  const fits = (offset: number) => parisOffsetMs(new Date(t - offset)) === offset;
  if (fits(after)) return new Date(t - after);
  if (fits(before)) return new Date(t - before);
  return new Date(t - before);
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));
const dayOfMonth = (day: number) => (day === 1 ? '1er' : String(day));

/** A date as written in French: "24 août 1962", "1er juin 2027". */
function writeDate(year: number, month: number, day: number): string {
  return `${dayOfMonth(day)} ${MONTHS[month - 1]} ${year}`;
}

const asDate = (at: Date | string) => (typeof at === 'string' ? new Date(at) : at);

/** The day of `at` in Paris: "2 juin 2027". */
export function frenchDate(at: Date | string): string {
  const w = parisWallTime(asDate(at));
  return writeDate(w.year, w.month, w.day);
}

/** The day and time of `at` in Paris: "2 juin 2027 à 16:10". */
export function frenchDateTime(at: Date | string): string {
  const w = parisWallTime(asDate(at));
  return `${writeDate(w.year, w.month, w.day)} à ${two(w.hour)}:${two(w.minute)}`;
}

/**
 * A calendar date with no time zone (a birthdate, `YYYY-MM-DD`):
 * "24 août 1962". Anything else is returned as it is.
 */
export function frenchCalendarDate(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) return isoDate;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return isoDate;
  return writeDate(year, month, day);
}
