import type { RequestFacts } from '../journal/journal.types.js';
import type { BrowserSession } from '../sessions/browser-session.js';
import type { VerifiedIdentity } from './franceconnect.client.js';

/**
 * The FranceConnect module's public vocabulary, for the modules that start a
 * round trip for their own purpose and receive the verified identity back.
 */
export type { VerifiedIdentity } from './franceconnect.client.js';
export type { Gender, IdentityClaims } from './identity-claims.js';

export const FRANCECONNECT_INTENTS = ['usager_sign_in', 'mandate_consent', 'remote_consent'] as const;
/** Why a browser is sent to FranceConnect: decides which handler receives the identity. */
export type FranceConnectIntent = (typeof FRANCECONNECT_INTENTS)[number];

/**
 * Called once, after every check passed, inside the callback request.
 * Returns the local path to show next (after the FranceConnect logout round
 * trip when the intent ends the FranceConnect session).
 */
export type FranceConnectIntentHandler = (input: {
  /** The browser's session, for the handler to record what the round trip established. */
  session: BrowserSession;
  request: RequestFacts;
  identity: VerifiedIdentity;
  payload: Record<string, unknown>;
  /** The round trip's id (`franceconnect_transactions`), for evidence that names it. */
  transactionId: string;
}) => Promise<string>;

export interface IntentHandlerOptions {
  /**
   * Sign the person out of FranceConnect right after the callback (default
   * true: at the counter, the next person must not find the session open).
   * The usager's own sign-in keeps it until they sign out of Procuration.
   */
  endFranceConnectSession?: boolean;
  /** Where the person can start the round trip again after it failed (a local path), offered on the error page. */
  retryPath?: string;
}

export interface StartInput {
  intent: FranceConnectIntent;
  /** What the handler needs afterwards (ids and choices, no personal data). */
  payload: Record<string, unknown>;
  /** The structure whose journal chain records the round trip (null: national chain). */
  structureId?: string | null;
}

/** Paths of the relying party, as registered at FranceConnect under PUBLIC_URL. */
export const CALLBACK_PATH = '/franceconnect/callback';
export const POST_LOGOUT_PATH = '/franceconnect/deconnexion';
/** Longest life of a transaction (FranceConnect's own interaction lasts a few minutes). */
export const TRANSACTION_LIFETIME_MS = 10 * 60 * 1000;
