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
  // aidants (accounts and sign-in)
  'aidant.signed_in': { method: 'password+totp' };
  'aidant.sign_in_failed': { reason: 'unknown_account' | 'bad_password' | 'bad_totp' | 'not_habilitated' | 'locked' };
  'aidant.signed_out': { reason: 'user' | 'expired' };

  // journal
  'journal.exported': { chain: string; format: 'jsonl' | 'csv' };
  'journal.verified': { chain: string | null; ok: boolean; entries: number };

  // keys
  'keys.rotated': { purpose: string; kid: string; retiredKid: string | null };
}

export type JournalAction = keyof JournalActionDetails;

/** Dotted lower-case names: `module.event_name` (the database checks the same pattern). */
export const JOURNAL_ACTION_PATTERN = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;
