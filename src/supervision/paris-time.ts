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
 * the hour (UTC), so the offset of the last hour asked is kept: entries read
 * in time order ask the time zone database once per hour of entries.
 */
function parisOffsetOfHour(ms: number): number {
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== offsetHour) {
    offsetOfHour = parisOffsetMs(new Date(hour * 3_600_000));
    offsetHour = hour;
  }
  return offsetOfHour;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `12/03/2027 à 10:14`, Paris time (what `fr-FR` date and time formats write, without their cost per call). */
export function parisDateTime(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('Invalid time value');
  const local = new Date(ms + parisOffsetOfHour(ms));
  return `${two(local.getUTCDate())}/${two(local.getUTCMonth() + 1)}/${local.getUTCFullYear()} à ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
}
