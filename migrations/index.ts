import { ServiceKeys1764000000000 } from './1764000000000-service-keys.js';
import { Journal1764100000000 } from './1764100000000-journal.js';

/**
 * Every migration, in order. Listed explicitly (not by file glob) so that the
 * compiled service, the migration commands and the tests run the same set.
 */
export const MIGRATIONS = [ServiceKeys1764000000000, Journal1764100000000];
