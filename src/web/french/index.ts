/** French as the pages write it: one set of helpers, used by every module and exposed to every template. */
export { agree, de, elides, plural, pluralWord, type FrenchGender } from './words.js';
export { frenchCalendarDate, frenchDate, frenchDateTime, fromParisWallTime, parisOffsetMs, parisWallTime, type ParisWallTime } from './dates.js';
export { birthplaceName, communeName, countryName } from './places.js';
export { ACTION_LABELS, actionLabel } from './action-labels.js';
export { identityDisplay, type IdentityDisplay, type IdentityInput } from './identity.js';
