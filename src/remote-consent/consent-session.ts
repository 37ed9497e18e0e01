import 'express-session';
import type { SessionData } from 'express-session';
import type { VerifiedIdentity } from '../franceconnect/franceconnect.types.js';

/**
 * The usager's progress through `/consentement` in their own browser's
 * session: the request their link or code opened, then the identity
 * FranceConnect returned for it (never the raw ID token), then the outcome
 * shown once.
 */
export interface RemoteConsentProgress {
  requestId: string;
  openedAt: number;
  verified?: { identity: Omit<VerifiedIdentity, 'idToken'>; fcTransactionId: string; at: number };
  outcome?: 'accepted' | 'refused' | 'identity_mismatch' | 'aidant_unavailable';
}

declare module 'express-session' {
  interface SessionData {
    remoteConsent?: RemoteConsentProgress;
    /** Aidant side: the code of a phone request, shown once on the page after its creation. */
    consentCodeToShow?: { requestId: string; code: string };
  }
}

export type SessionWithConsent = Partial<SessionData>;
