import type { DemarcheId } from '../demarches/demarches.js';

export const PARTNER_AUTH_METHODS = ['client_secret_post', 'client_secret_basic', 'private_key_jwt'] as const;
export type PartnerAuthMethod = (typeof PARTNER_AUTH_METHODS)[number];
export type PartnerSigningAlg = 'ES256' | 'RS256';

/** The usager's identity claims, each released by the scope of the same name (FranceConnect style). */
export const IDENTITY_CLAIMS = [
  'given_name',
  'family_name',
  'preferred_username',
  'birthdate',
  'gender',
  'birthplace',
  'birthcountry',
  'email',
] as const;

/**
 * Scopes a partner may be registered for: `openid` (who acts, for which
 * démarche, under which mandate), `profile` (every identity claim but the
 * email) and one scope per identity claim.
 */
export const PARTNER_SCOPES = ['openid', 'profile', ...IDENTITY_CLAIMS] as const;
export type PartnerScope = (typeof PARTNER_SCOPES)[number];

/** A partner service as other modules see it (never its secret). */
export interface PartnerView {
  id: string;
  name: string;
  clientId: string;
  authMethod: PartnerAuthMethod;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  demarches: DemarcheId[];
  /** The scopes it may receive (and so the identity claims), never more. */
  scopes: PartnerScope[];
  idTokenAlg: PartnerSigningAlg;
  userinfoAlg: PartnerSigningAlg | null;
  active: boolean;
  createdAt: Date;
}

/** What the provider needs to authenticate an active partner: the view plus its secret or keys. */
export interface PartnerCredentials extends PartnerView {
  /** Plain client secret (decrypted on demand), for the secret methods. */
  secret: string | null;
  jwks: { keys: object[] } | null;
}

export interface NewPartner {
  name: string;
  clientId?: string;
  authMethod: PartnerAuthMethod;
  /** A JWK Set (public keys) for `private_key_jwt`. */
  jwks?: { keys: object[] };
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  demarches: string[];
  /** Must include `openid`. */
  scopes: string[];
  idTokenAlg?: PartnerSigningAlg;
  userinfoAlg?: PartnerSigningAlg | null;
}
