import { DEMARCHE_IDS, isDemarcheId, type DemarcheId } from '../demarches/demarches.js';
import { ValidationError } from '../shared/domain-error.js';
import { PARTNER_AUTH_METHODS, PARTNER_SCOPES, type NewPartner, type PartnerAuthMethod, type PartnerScope } from './partners.types.js';

const CLIENT_ID = /^[A-Za-z0-9._-]{8,100}$/;

/** Whether a text has the shape of a client id we register: anything else names no partner (and never reaches SQL). */
export function isClientIdShape(value: string): boolean {
  return CLIENT_ID.test(value);
}

/**
 * A redirect URI as partners register it: absolute, https (http only for
 * loopback development hosts), no fragment; compared later by exact match.
 */
export function isAcceptableRedirectUri(value: string, allowHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash || url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return url.protocol === 'http:' && (allowHttp || loopback);
}

/** Checks a new partner's registration; every problem named in French by field. */
export function validateNewPartner(input: NewPartner, allowHttp: boolean): NewPartner & { demarches: DemarcheId[]; scopes: PartnerScope[] } {
  const fields: Record<string, string> = {};
  if (typeof input.name !== 'string' || input.name.trim().length < 2 || input.name.length > 200) {
    fields.name = 'Le nom du service doit compter de 2 à 200 caractères.';
  }
  if (input.clientId !== undefined && !CLIENT_ID.test(input.clientId)) {
    fields.clientId = 'L’identifiant client compte de 8 à 100 caractères parmi lettres, chiffres, « . », « _ » et « - ».';
  }
  if (!(PARTNER_AUTH_METHODS as readonly string[]).includes(input.authMethod)) {
    fields.authMethod = `Méthode d’authentification inconnue (attendu : ${PARTNER_AUTH_METHODS.join(', ')}).`;
  }
  if (input.authMethod === 'private_key_jwt' && !Array.isArray(input.jwks?.keys)) {
    fields.jwks = 'La méthode private_key_jwt demande un jeu de clés publiques (JWKS).';
  }
  if (!input.redirectUris.length || !input.redirectUris.every((u) => isAcceptableRedirectUri(u, allowHttp))) {
    fields.redirectUris = 'Au moins une URL de retour, absolue, en https (http seulement en local), sans fragment.';
  }
  else if (new Set(input.redirectUris.map((u) => new URL(u).host)).size > 1) {
    // One sector per partner: its pairwise subjects do not depend on which of its URIs it uses.
    fields.redirectUris = 'Les URL de retour d’un même service doivent être sur un même hôte (enregistrez un service par hôte).';
  }
  if (!(input.postLogoutRedirectUris ?? []).every((u) => isAcceptableRedirectUri(u, allowHttp))) {
    fields.postLogoutRedirectUris = 'Les URL de retour après déconnexion suivent les mêmes règles que les URL de retour.';
  }
  if (!input.demarches.length || !input.demarches.every(isDemarcheId)) {
    fields.demarches = `Au moins une démarche du catalogue (${DEMARCHE_IDS.join(', ')}).`;
  }
  const scopes = Array.isArray(input.scopes) ? input.scopes : [];
  if (!scopes.includes('openid') || !scopes.every((s) => (PARTNER_SCOPES as readonly string[]).includes(s))) {
    fields.scopes = `Les portées que le service peut recevoir, dont openid (parmi : ${PARTNER_SCOPES.join(', ')}).`;
  }
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);
  return {
    ...input,
    name: input.name.trim(),
    demarches: [...new Set(input.demarches)] as DemarcheId[],
    scopes: [...new Set(scopes)] as PartnerScope[],
  };
}

export function isAuthMethod(value: string): value is PartnerAuthMethod {
  return (PARTNER_AUTH_METHODS as readonly string[]).includes(value);
}
