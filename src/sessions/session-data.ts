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
}

declare module 'express-session' {
  interface SessionData {
    csrfToken?: string;
    aidant?: AidantSession;
    /** Authenticator app being enrolled through an invitation: the sealed seed. */
    enrolment?: { tokenHash: string; sealedSecret: string };
  }
}

export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 3600 * 1000;
/** Sensitive actions need a TOTP code accepted within this delay. */
export const TOTP_FRESHNESS_MS = 15 * 60 * 1000;
