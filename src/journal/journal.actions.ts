// Placeholder of the journal's contract until branch `journal` is merged (taken from theirs on merge).
export interface JournalActionDetails {
  // aidants
  'structure.created': { name: string; siret: string; type: string; allowedDemarches: string[] };
  'structure.demarches_restricted': { before: string[]; after: string[] };
  'aidant.invited': { roles: string[]; newAccount: boolean; invitationExpiresAt: string | null; passwordReset?: boolean };
  'aidant.activated': { totpDevice: 'app' };
  'aidant.habilitation_changed': { from: string; to: string };
  'aidant.suspended': Record<string, never>;
  'aidant.reactivated': Record<string, never>;
  'aidant.role_changed': { before: string[]; after: string[] };
  'aidant.signed_in': { method: 'password+totp'; currentStructure: boolean };
  'aidant.sign_in_failed': { reason: string };
  'aidant.locked': { scope: 'account' | 'ip'; until: string };
  'aidant.signed_out': { reason: 'sign_out' | 'idle_timeout' | 'absolute_timeout' | 'access_withdrawn' };
  'aidant.structure_switched': { from: string | null; to: string };
  'aidant.totp_reauthenticated': { device: 'card' | 'app' };
  'totp_card.registered': { serial: string; step: number; assigned: boolean };
  'totp_card.resynchronised': { serial: string; driftSteps: number };
  'totp_card.revoked': { serial: string };
}
export type JournalAction = keyof JournalActionDetails;
