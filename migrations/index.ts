import { ServiceKeys1764000000000 } from './1764000000000-service-keys.js';

/**
 * Every migration, in order. Listed explicitly (not by file glob) so that the
 * compiled service, the migration commands and the tests run the same set.
 */
export const MIGRATIONS = [ServiceKeys1764000000000];
