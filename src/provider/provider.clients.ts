import type { PartnerCredentials } from '../partners/partners.types.js';

/** A partner as oidc-provider's client metadata: code flow only, its own auth method and algorithms. */
export function clientMetadataOf(partner: PartnerCredentials): Record<string, unknown> {
  return {
    client_id: partner.clientId,
    client_name: partner.name,
    ...(partner.secret !== null ? { client_secret: partner.secret } : {}),
    ...(partner.jwks !== null ? { jwks: partner.jwks } : {}),
    token_endpoint_auth_method: partner.authMethod,
    redirect_uris: partner.redirectUris,
    post_logout_redirect_uris: partner.postLogoutRedirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // Only these may be requested (anything else: invalid_scope); the grant never holds claims beyond them.
    scope: partner.scopes.join(' '),
    id_token_signed_response_alg: partner.idTokenAlg,
    ...(partner.userinfoAlg ? { userinfo_signed_response_alg: partner.userinfoAlg } : {}),
    // Pairwise subjects: HMAC of the usager and the client id (provider.claims.ts), whatever the sector.
    subject_type: 'pairwise',
  };
}
