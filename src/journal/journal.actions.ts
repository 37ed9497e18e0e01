/**
 * The closed catalogue of journal actions: each dotted name maps to the shape
 * of its `details`. `JournalService.append` is generic over this map, so an
 * action cannot be written with another's payload.
 *
 * A module adds its actions here, one line each, under a comment naming the
 * module. `details` carry ids and facts, never personal data (names, emails,
 * birth data): subjects go in the entry's subject ids.
 */
export interface JournalActionDetails {
  // aidants
  'aidant.signed_in': { method: 'password+totp'; currentStructure?: boolean };
  'aidant.sign_in_failed': {
    reason:
      | 'unknown_account'
      | 'not_activated'
      | 'bad_password'
      | 'bad_totp'
      | 'totp_replayed'
      | 'no_totp_device'
      | 'locked'
      | 'not_habilitated'
      | 'no_active_structure';
  };
  'aidant.locked': { scope: 'account' | 'ip' | 'totp' | 'password_change'; until: string };
  // `user`: the aidant signed out; `expired` is the generic form of the two timeouts.
  'aidant.signed_out': { reason: 'user' | 'expired' | 'idle_timeout' | 'absolute_timeout' | 'access_withdrawn' };
  'aidant.structure_switched': { from: string | null; to: string };
  'aidant.totp_reauthenticated': { device: 'card' | 'app' };
  'aidant.totp_reauthentication_failed': { reason: 'bad_totp' | 'totp_replayed' | 'locked' };
  'aidant.invited': { roles: string[]; newAccount: boolean; invitationExpiresAt: string | null; passwordReset?: boolean; awaitingAcceptance?: boolean };
  'aidant.membership_accepted': { roles: string[]; invitedBy: string | null };
  'aidant.membership_declined': { roles: string[]; invitedBy: string | null };
  'aidant.activated': { totpDevice: 'app' };
  'aidant.habilitation_changed': { from: string; to: string };
  'aidant.suspended': Record<string, never>;
  'aidant.reactivated': Record<string, never>;
  'aidant.role_changed': { before: string[]; after: string[] };
  /** The aidant changed their password (current password + TOTP); their other sessions were ended. */
  'aidant.password_changed': { otherSessionsEnded: number };
  'aidant.password_change_failed': { reason: 'bad_password' | 'bad_totp' | 'totp_replayed' };
  /**
   * Sessions of the account ended: by the aidant (`one`, `others`), or all of
   * them by an operator's password reset or a suspension or revocation.
   */
  'aidant.sessions_ended': {
    scope: 'one' | 'others' | 'all';
    count: number;
    reason: 'aidant' | 'password_reset' | 'suspended' | 'habilitation_changed';
  };
  'totp_card.registered': { serial: string; step: number; assigned: boolean };
  'totp_card.resynchronised': { serial: string; driftSteps: number };
  'totp_card.revoked': { serial: string };
  'structure.created': { name: string; siret: string; type: string; allowedDemarches: string[] };
  'structure.demarches_restricted': { before: string[]; after: string[] };
  'structure.status_changed': { active: boolean };

  // franceconnect
  'franceconnect.consent_started': { intent: 'usager_sign_in' | 'mandate_consent' | 'remote_consent'; transactionId: string; expiresAt: string };
  'franceconnect.consent_verified': {
    intent: 'usager_sign_in' | 'mandate_consent' | 'remote_consent';
    transactionId: string;
    acr: string;
    authTime: number | null;
    /** SHA-256 (base64url) of the ID token: evidence, never the token. */
    idTokenHash: string;
  };
  'franceconnect.failed': {
    intent: 'usager_sign_in' | 'mandate_consent' | 'remote_consent' | null;
    transactionId: string | null;
    reason:
      | 'access_denied'
      | 'provider_error'
      | 'state_unknown'
      | 'state_used'
      | 'state_expired'
      | 'state_other_session'
      | 'state_mismatch'
      | 'token_invalid'
      | 'userinfo_invalid'
      | 'claims_invalid'
      | 'unavailable'
      | 'intent_failed';
    /** The OAuth `error` FranceConnect sent back, when it sent one. */
    error?: string;
    /** Names (never values) of the identity claims that failed validation. */
    claims?: string[];
  };

  // usagers
  'usager.created': Record<string, never>;
  'usager.signed_in': { method: 'franceconnect'; acr: string };
  'usager.signed_out': { reason: 'user' | 'idle_timeout' | 'absolute_timeout' };
  /** Only the fields FranceConnect reported differently, old and new value (see decision 0401). */
  'usager.identity_updated': { changes: Record<string, { from: string | null; to: string | null }> };

  // mandates
  'mandate.started': { demarches: string[]; duration: string };
  'mandate.created': { demarches: string[]; duration: string; expiresAt: string; consentId: string; consent: 'franceconnect' | 'renewal' | 'remote'; consentRequestId?: string };
  'autorisation.created': { autorisationId: string };
  'autorisation.superseded': { autorisationId: string; previousMandateId: string; supersededBy: string; lapsed: boolean };
  'mandate.renewed': { renewedFrom: string; previousConsentId: string; consentId: string };
  'attestation.issued': { kind: 'mandate' | 'revocation'; kid: string; attestationId?: string };
  /** Journaled once per attestation and day (Europe/Paris), not per request. */
  'attestation.verified': { kind: 'mandate' | 'revocation'; kid: string; status: 'live' | 'expired' | 'revoked'; attestationId?: string };
  'autorisation.revoked': { autorisationId: string; by: 'aidant' | 'referent' | 'usager'; reason: string };
  'mandate.revoked': { by: 'aidant' | 'referent' | 'usager'; reason: string; autorisations: string[] };
  'mandate.expired': { expiresAt: string };

  // notices (ids and hashes only: never an address or a token)
  'notice.queued': { noticeId: string; kind: string };
  'notice.sent': { noticeId: string; kind: string; attempts: number };
  'notice.failed': {
    noticeId: string;
    kind: string;
    attempts: number;
    smtpCode: number | null;
    /** `refused`: this notice got the 5xx; `address_bounced`: dropped, its address having bounced another (absent on older entries: refused). */
    /** `opted_out`: dropped at send time, the usager chose "none"; `no_address`: dropped, no usable confirmed address left. */
    reason?: 'refused' | 'address_bounced' | 'opted_out' | 'no_address';
  };
  /** `addressHash`: SHA-256 (hex) of the confirmed address. */
  'notice_address.confirmed': { addressHash: string; mode: 'each' | 'daily' | 'none' };

  // remote-consent (ids and hashes only: never an address, a token or a code; never the identity FranceConnect returned)
  'consent_request.created': { requestId: string; channel: 'email' | 'phone'; demarches: string[]; duration: string; expiresAt: string };
  /** `shown`: the code was shown to the aidant to read out; otherwise the mail's delivery. `addressHash`: SHA-256 (hex) of the address. */
  'consent_request.sent': { requestId: string; channel: 'email' | 'phone'; delivery: 'sent' | 'kept' | 'failed' | 'shown'; addressHash?: string };
  'consent_request.accepted': { requestId: string; channel: 'email' | 'phone'; consentId: string; fcTransactionId: string };
  'consent_request.refused': { requestId: string; reason: 'usager' | 'aidant_unavailable' };
  'consent_request.expired': { requestId: string; expiresAt: string };
  'consent_request.cancelled': { requestId: string };
  /** Names (never values) of the expected fields that FranceConnect's identity did not match. */
  'consent_request.identity_mismatch': { requestId: string; fcTransactionId: string; fields: Array<'family_name' | 'given_name' | 'birthdate'> };
  /** A link or code that cannot be used (unknown, expired, answered, cancelled), or too many wrong codes from one address. */
  'consent_request.access_refused': {
    via: 'link' | 'code';
    reason: 'unknown' | 'expired' | 'answered' | 'cancelled' | 'throttled';
    requestId: string | null;
    lockedUntil?: string;
  };

  // journal (the optional fields are written by supervision's exports and verifications)
  'journal.exported': {
    chain: string;
    format: 'jsonl' | 'csv';
    /** Search criteria of the export (absent: the whole chain). */
    filters?: Record<string, string>;
    /** Rows written to the client; with `complete: false`, where an interrupted download stopped. */
    rows?: number;
    complete?: boolean;
  };
  'journal.verified': { chain: string | null; ok: boolean; entries: number; upToSeq?: number; brokenAtSeq?: number | null };
  /** A witness refused the chain's checkpoint as inconsistent with one it cosigned before: the history forked. */
  'journal.witness_refused': { witness: string; origin: string; size: number; cosignedSize: number; reason: string };
  /** Written by the sequencer, once, in a chain idle since before tree version 2 (docs/decisions/0109), so its next checkpoint has a note over that tree. */
  'journal.tree_upgraded': { tree: number };

  // keys
  'keys.rotated': { purpose: string; kid: string; retiredKid: string | null };

  // provider
  'partner.registered': { clientId: string; name: string; demarches: string[]; authMethod: string; scopes?: string[] };
  'partner.disabled': { clientId: string };
  'partner.secret_rotated': { clientId: string };
  'autorisation.used': { clientId: string; useId: string; repScope: string[] };
  'partner.userinfo_served': { clientId: string; useId: string; endpoint: 'userinfo' | 'introspection' };
  /** A partner sign-in's grant and tokens ended before expiry (docs/decisions/0603). */
  'partner.sign_in_ended': { clientId: string; useId: string; reason: 'partner_logout' | 'aidant_signed_out' | 'client_auth_refused' };
  'partner.access_refused': {
    clientId: string;
    reason: 'no_live_mandate' | 'demarche_not_served' | 'autorisation_not_live' | 'rep_scope_not_covered' | 'aidant_cancelled';
  };
}

export type JournalAction = keyof JournalActionDetails;

/** Dotted lower-case names: `module.event_name` (the database checks the same pattern). */
export const JOURNAL_ACTION_PATTERN = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;
