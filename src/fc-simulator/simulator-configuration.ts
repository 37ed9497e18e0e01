import { createHmac, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { findSimulatedIdentity } from './simulator-identities.js';
import type { SimulatorStore } from './simulator-adapter.js';

/** The identity claims of FranceConnect v2, each requested by the scope of the same name. */
export const FC_CLAIMS = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email', 'preferred_username'];
/**
 * Key of the simulated pairwise subjects. Fixed on purpose so that a
 * fictional person keeps the same `sub` across restarts of the simulator.
 */
const PAIRWISE_KEY = 'fc-simulator-pairwise-subjects';

/** `sub` as FranceConnect shapes it: 64 lowercase hex characters and a version suffix, per client. */
export function simulatedPairwiseSub(accountId: string, clientId: string): string {
  return `${createHmac('sha256', PAIRWISE_KEY).update(`${accountId}\n${clientId}`).digest('hex')}v1`;
}

export type Render = (name: string, context: object) => string;

/** The simulator's signing key (private JWK) and cookie key; rotation replaces the first and keeps the second. */
export interface SimulatorKeys {
  signing: JWK;
  cookie: string;
}

export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `fc-sim-${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'ES256' };
}

export async function newSimulatorKeys(): Promise<SimulatorKeys> {
  return { signing: await newSigningKey(), cookie: randomBytes(32).toString('base64url') };
}

/**
 * oidc-provider configured as FranceConnect v2 "low": ES256, JWT userinfo,
 * pairwise subjects, client_secret_post, FranceConnect's lifetimes and
 * endpoint names, no refresh tokens, no development interactions.
 */
export async function providerConfiguration(
  store: SimulatorStore,
  render: Render,
  basePath: string,
  keys: SimulatorKeys,
): Promise<Configuration> {
  return {
    adapter: (model: string) => store.adapterFor(model),
    jwks: { keys: [keys.signing] },
    cookies: { keys: [keys.cookie] },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
      subject_type: 'pairwise',
      require_auth_time: true,
    },
    clientAuthMethods: ['client_secret_post'],
    responseTypes: ['code'],
    scopes: ['openid', ...FC_CLAIMS],
    claims: Object.fromEntries([['openid', ['sub']], ...FC_CLAIMS.map((claim) => [claim, [claim]])]),
    acrValues: ['eidas1'],
    subjectTypes: ['pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) => simulatedPairwiseSub(accountId, client.clientId),
    findAccount: async (ctx, id) => {
      const identity = findSimulatedIdentity(id);
      if (!identity) return undefined;
      if (identity.scenario === 'token_error' && ctx.oidc.route === 'token') {
        throw new Error('simulated FranceConnect outage at the token endpoint');
      }
      return { accountId: id, claims: async () => ({ sub: id, ...identity.claims }) };
    },
    conformIdTokenClaims: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    issueRefreshToken: async () => false,
    pkce: { required: () => false },
    ttl: { AuthorizationCode: 30, AccessToken: 60, IdToken: 60, Interaction: 600, Session: 3600, Grant: 3600 },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      jwks: '/jwks',
      end_session: '/session/end',
    },
    interactions: { url: async (_ctx, interaction) => `${basePath}/interaction/${interaction.uid}` },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
    },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      claimsParameter: { enabled: true },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          const action = /action="([^"]+)"/.exec(form)?.[1] ?? '';
          const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
          ctx.type = 'html';
          ctx.body = render('logout', { pageTitle: 'Déconnexion', action, xsrf });
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = render('logged-out', { pageTitle: 'Déconnecté' });
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = render('error', { pageTitle: 'Erreur', error: out.error, description: out.error_description });
    },
  };
}
