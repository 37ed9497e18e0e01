import 'express-session';

/** What a signed-in aidant's session holds (no personal data beyond ids). */
export interface AidantSession {
  aidantId: string;
  /** Null until an aidant of several structures picks one. */
  structureId: string | null;
  signedInAt: number;
  lastSeenAt: number;
  /** Last time a TOTP code was accepted (sign-in or re-authentication). */
  totpAt: number;
  /** What the sessions page shows: the device's short label and the last address seen. */
  device?: string;
  ip?: string | null;
}

/** What a signed-in usager's session holds (FranceConnect sign-in at /usager). */
export interface UsagerSession {
  usagerId: string;
  signedInAt: number;
  lastSeenAt: number;
  /**
   * The FranceConnect ID token of this sign-in, sealed (`IdTokenHintSeal`,
   * bound to `usagerId`): kept only to end the FranceConnect session at
   * sign-out (`id_token_hint`), dropped with the session; never in clear at
   * rest, never logged.
   */
  sealedIdTokenHint?: string;
}

/** The end of a FranceConnect logout round trip: where to go when FranceConnect sends the browser back. */
export interface FranceConnectLogoutReturn {
  /** SHA-256 (hex) of the logout `state`. */
  stateHash: string;
  returnPath: string;
  expiresAt: number;
}

/** Why a session was ended from elsewhere (`http_sessions.ended_reason`). */
export type SessionEndReason = 'aidant' | 'password_changed' | 'password_reset' | 'suspended' | 'habilitation_changed';

declare module 'express-session' {
  interface SessionData {
    /** Set (alone) when the session was ended from elsewhere: see PgSessionStore.get. */
    endedReason?: SessionEndReason;
    csrfToken?: string;
    aidant?: AidantSession;
    /** A browser holds an aidant session or a usager session, never both. */
    usager?: UsagerSession;
    /** Random value binding FranceConnect round trips to this browser session (stored hashed in the transaction). */
    franceConnectBinding?: string;
    franceConnectLogout?: FranceConnectLogoutReturn;
    /** Authenticator app being enrolled through an invitation: the sealed seed. */
    enrolment?: { tokenHash: string; sealedSecret: string };
  }
}

export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 3600 * 1000;
/** Sensitive actions need a TOTP code accepted within this delay. */
export const TOTP_FRESHNESS_MS = 15 * 60 * 1000;
