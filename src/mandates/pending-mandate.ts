import type { DemarcheId } from '../demarches/demarches.js';
import type { VerifiedIdentity } from '../franceconnect/franceconnect.client.js';
import type { Duration } from './mandate-status.js';

/**
 * The mandate being opened at the counter, kept in the aidant's server-side
 * session between the wizard's steps (`wizard-state.ts`). Nothing is written
 * to the database before the recap is confirmed: abandoning leaves no record.
 */
export interface PendingMandate {
  /** Also the consent's submission id: a second confirmation of the same wizard fails on it. */
  id: string;
  aidantId: string;
  structureId: string;
  demarches: DemarcheId[];
  duration: Duration;
  startedAt: number;
  /** Set by the FranceConnect handler once the usager authenticated (the raw ID token is not kept). */
  consent?: { identity: Omit<VerifiedIdentity, 'idToken'>; consentedAt: number };
  /**
   * Set once the mandate exists: a resubmitted recap (back button, double
   * click) is told so instead of opening a second mandate.
   */
  createdMandateId?: string;
}

/** A pending mandate older than this is discarded (the aidant starts again). */
export const PENDING_MANDATE_LIFETIME_MS = 30 * 60 * 1000;
