/**
 * The provider benchmark's ceiling: a bare oidc-provider with its in-memory
 * adapter, one client, the same scopes, claims shape, lifetimes and signing
 * algorithm (ES256) as ours, PKCE required, no refresh tokens, and an
 * interaction that signs in at once. What a flow costs when neither a
 * database, nor pages, nor a journal are involved.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { interactionPolicy, type Configuration } from 'oidc-provider';
import { CLAIMS_BY_SCOPE, PROVIDER_SCOPES } from '../../src/provider/provider.claims.js';
import { LIFETIMES } from '../../src/provider/provider.configuration.js';

export interface Ceiling {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

const ACCOUNT = 'bench-usager';

/** The same rule as ours: an interaction for every authorization request, even with a provider session. */
function alwaysInteract() {
  const base = interactionPolicy.base();
  base.get('login')!.checks.add(
    new interactionPolicy.Check('fresh_choice', 'an interaction for every sign-in', (ctx) =>
      ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
    ),
  );
  return base;
}

/** Claims shaped like ours (identity, acting aidant, démarche, mandate). */
function claimsOf(accountId: string) {
  return {
    sub: accountId,
    given_name: 'Angela Claire Louise',
    family_name: 'Dubois',
    birthdate: '1962-08-24',
    gender: 'female',
    birthplace: '75107',
    birthcountry: '99100',
    email: 'angela@example.fr',
    act: { sub: '00000000-0000-4000-8000-000000000000', given_name: 'Aidant', family_name: 'N0', structure: { siret: '21700550300016', name: 'Médiathèque' } },
    demarche: 'logement',
    mandate: '00000000-0000-4000-8000-000000000001',
    rep_scope: ['logement'],
    acr: 'eidas1',
  };
}

/**
 * `adapter`: none for the ceiling proper (oidc-provider's in-memory adapter);
 * ours, to see what storage alone costs the same bare flow.
 */
export async function startCeiling(port: number, redirectUri: string, adapter?: Configuration['adapter']): Promise<Ceiling> {
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const key = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'ceiling' };
  const clientId = 'ceiling-partner';
  const clientSecret = randomBytes(32).toString('base64url');
  const configuration: Configuration = {
    ...(adapter ? { adapter } : {}),
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [key as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: () => claimsOf(id) }),
    scopes: PROVIDER_SCOPES,
    claims: CLAIMS_BY_SCOPE,
    responseTypes: ['code'],
    pkce: { required: () => true },
    issueRefreshToken: async () => false,
    ttl: LIFETIMES,
    conformIdTokenClaims: false,
    interactions: { policy: alwaysInteract(), url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();
  const server: Server = createServer((req, res) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: ACCOUNT, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT }, consent: { grantId } }, { mergeWithLastSubmission: false });
    })().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    clientId,
    clientSecret,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
