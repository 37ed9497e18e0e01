/** Roles held in a structure: `aidant` opens and uses mandates; `referent` supervises the structure. */
export const ROLES = ['aidant', 'referent'] as const;
export type Role = (typeof ROLES)[number];

/** Habilitation of an aidant, decided by operators; only `habilitated` may act. */
export const HABILITATION_STATUSES = ['requested', 'habilitated', 'suspended', 'revoked'] as const;
export type HabilitationStatus = (typeof HABILITATION_STATUSES)[number];
