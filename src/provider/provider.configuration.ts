import { createHmac } from 'node:crypto';
import nunjucks from 'nunjucks';
import { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { PrivateSigningJwk } from '../keys/keys.service.js';
import { CLAIMS_BY_SCOPE, claimsParameterProblem, PROVIDER_SCOPES } from './provider.claims.js';

/** Where oidc-provider's own endpoints live (Nest owns every other path). */
export const PROVIDER_PREFIX = '/oidc';
/** The interaction pages (Nest controllers). */
export const INTERACTION_PATH = '/partenaires/connexion';

/** oidc-provider's userinfo route, under PROVIDER_PREFIX. */
export const USERINFO_ROUTE = '/userinfo';

export const LIFETIMES = { AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 600 };
/** A retired provider key stays published this long (longer than any token it signed). */
export const RETIRED_KEY_PUBLISHED_SECONDS = 3600;

export interface ProviderHooks {
  findAccount: Configuration['findAccount'];
  /** The usager's pairwise `sub` for this client, from the account (a sign-in) oidc-provider names. */
  pairwiseIdentifier(accountId: string, clientId: string): Promise<string>;
  /** Introspection answers only for the partner's own, still-live tokens. */
  introspectionAllowed(ctx: KoaContextWithOIDC, clientId: string, token: { clientId?: string; accountId?: string }): Promise<boolean>;
}

function render(view: string, context: object): string {
  return nunjucks.render(`provider/views/${view}.njk`, context);
}

/**
 * A fresh choice of usager and démarche for every authorization request:
 * the aidant's own session is reused, but never a previous choice.
 */
function policy() {
  const base = interactionPolicy.base();
  const login = base.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('fresh_choice', 'a usager and a démarche are chosen for every sign-in', (ctx) =>
      ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
    ),
  );
  // A claim the grant does not hold (beyond the partner's scopes) is simply not released: no second prompt.
  base.get('consent')!.checks.remove('op_claims_missing');
  return base;
}

/**
 * Over https the provider's session cookie (Path=/, no Domain) takes the
 * `__Host-` prefix; its interaction cookies are scoped by oidc-provider to
 * one interaction's path, which `__Host-` forbids, so they take `__Secure-`
 * (still refused by browsers from a plain-http response).
 */
function cookieNames(secure: boolean) {
  const [host, scoped] = secure ? ['__Host-', '__Secure-'] : ['', ''];
  return {
    session: `${host}procuration.op-session`,
    interaction: `${scoped}procuration.interaction`,
    resume: `${scoped}procuration.interaction-resume`,
  };
}

export function providerConfiguration(input: {
  sessionSecret: string;
  /** Served over https: cookie names take the `__Host-` / `__Secure-` prefixes. */
  secureCookies: boolean;
  keys: PrivateSigningJwk[];
  adapter: Configuration['adapter'];
  hooks: ProviderHooks;
}): Configuration {
  // Shared by every instance (signed cookies), derived from the session secret.
  const cookieKey = createHmac('sha256', input.sessionSecret).update('oidc-provider cookies').digest('base64url');
  return {
    adapter: input.adapter,
    jwks: { keys: input.keys },
    cookies: {
      keys: [cookieKey],
      names: cookieNames(input.secureCookies),
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: input.hooks.findAccount,
    clientAuthMethods: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
    responseTypes: ['code'],
    scopes: PROVIDER_SCOPES,
    claims: CLAIMS_BY_SCOPE,
    acrValues: ['eidas1'],
    subjectTypes: ['pairwise'],
    pairwiseIdentifier: (_ctx, accountId, client) => input.hooks.pairwiseIdentifier(accountId, client.clientId),
    conformIdTokenClaims: false,
    allowOmittingSingleRegisteredRedirectUri: false,
    issueRefreshToken: async () => false,
    // A sign-in's code and tokens are not bound to the browser's provider session (docs/decisions/0603).
    expiresWithSession: async () => false,
    pkce: { required: () => true },
    ttl: LIFETIMES,
    clientBasedCORS: () => false,
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: USERINFO_ROUTE,
      jwks: '/jwks',
      end_session: '/session/end',
      introspection: '/token/introspection',
      revocation: '/token/revocation',
    },
    interactions: {
      policy: policy(),
      url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      requestObjectSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: {
        enabled: true,
        // An unknown rep_scope value is refused at once (back to the partner with invalid_request).
        assertClaimsParameter: async (_ctx, claims) => {
          const problem = claimsParameterProblem(claims as Record<string, unknown>);
          if (problem) throw new errors.InvalidRequest(problem);
        },
      },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      requestObjects: { enabled: true, requireSignedRequestObject: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      introspection: {
        enabled: true,
        allowedPolicy: (ctx, client, token) => input.hooks.introspectionAllowed(ctx, client.clientId, token),
      },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a token issued to another client is refused, and the caller told.
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest('the token was not issued to this client');
          return true;
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        // The page is written after the library's handler (showLogoutPage), for every case.
        logoutSource: async () => undefined,
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = render('logged-out', { pageTitle: 'Déconnexion' });
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = render('error', {
        pageTitle: 'Connexion impossible',
        error: out.error,
        description: out.error_description,
        message: frenchMessageOf(String(out.error)),
      });
    },
  };
}

/** What a person reads when the provider cannot send them back to the partner. */
function frenchMessageOf(error: string): string {
  switch (error) {
    case 'invalid_client':
      return 'Ce service partenaire n’est pas reconnu par Procuration (inconnu ou désactivé).';
    case 'invalid_redirect_uri':
      return 'L’adresse de retour demandée n’est pas enregistrée pour ce service partenaire : par sécurité, Procuration ne vous y renvoie pas.';
    case 'invalid_request':
      return 'La demande de connexion envoyée par le service partenaire est incomplète ou invalide.';
    case 'session_not_found':
    case 'interaction_not_found':
      return 'La connexion a expiré ou a déjà été utilisée. Retournez sur le service partenaire et recommencez.';
    default:
      return 'La connexion avec Procuration n’a pas pu aboutir. Retournez sur le service partenaire et recommencez.';
  }
}
