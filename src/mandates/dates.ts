const DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric' });
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** `23/11/2026` (Paris time). */
export function frenchDate(at: Date | string): string {
  return DATE.format(new Date(at));
}

/** `23/11/2026 12:22` (Paris time). */
export function frenchDateTime(at: Date | string): string {
  return DATE_TIME.format(new Date(at)).replace(',', ' à');
}

/** `1990-04-17` → `17/04/1990` (birthdates are calendar dates, no time zone). */
export function frenchBirthdate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return d && m && y ? `${d}/${m}/${y}` : isoDate;
}
