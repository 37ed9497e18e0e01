/**
 * The mandates module's public vocabulary, for other modules (they may not
 * import its entities or repository).
 */
export { DURATIONS, STATUS_LABELS, isDuration, statusOf, type Duration, type MandateStatus } from './mandate-status.js';

export interface AutorisationView {
  id: string;
  demarche: string;
  label: string;
  status: import('./mandate-status.js').MandateStatus;
  revokedAt: Date | null;
  /** revoked, superseded, lapsed (closed after its end), mandate_revoked */
  closingReason: string | null;
}

export interface MandateView {
  id: string;
  structureId: string;
  structureName: string;
  structureSiret: string;
  usagerId: string;
  openedBy: string;
  duration: import('./mandate-status.js').Duration;
  durationLabel: string;
  createdAt: Date;
  expiresAt: Date;
  status: import('./mandate-status.js').MandateStatus;
  statusLabel: string;
  revokedAt: Date | null;
  revokedByType: string | null;
  consentId: string;
  renewedFrom: string | null;
  autorisations: AutorisationView[];
  /** Démarches of the live autorisations (all of them once the mandate ended, for the record). */
  liveDemarches: string[];
}

/** A live autorisation (one démarche of a live mandate), as `findLiveAutorisations` reports it. */
export interface LiveAutorisation {
  autorisationId: string;
  mandateId: string;
  usagerId: string;
  demarche: string;
  expiresAt: Date;
}
