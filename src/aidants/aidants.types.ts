/**
 * The aidants module's public vocabulary, for other modules and commands
 * (they may not import its entities).
 */
export { HABILITATION_STATUSES, type HabilitationStatus } from './aidant.entity.js';
export { ROLES, type Role } from './membership.entity.js';
