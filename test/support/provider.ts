import { randomBytes } from 'node:crypto';
import { freeLoopbackPort } from '../../src/shared/loopback.js';
import * as oidc from 'openid-client';
import { loadConfig, type Environment } from '../../config/config.js';
import { createApp, type CreateAppOptions, type RunningApp } from '../../src/app.factory.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { simulatorClientFrom } from '../../src/fc-simulator/fc-simulator.js';
import type { VerifiedIdentity } from '../../src/franceconnect/franceconnect.client.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { UsagersService } from '../../src/usagers/usagers.service.js';
import { PARTNER_SCOPES, type NewPartner, type PartnerView } from '../../src/partners/partners.types.js';
import type { TestApp } from './test-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/**
 * Like `startTestApp`, but PUBLIC_URL (the provider's issuer) is the very
 * URL the app listens on, as partners see it. With `database`, the app joins
 * an existing test database (a second instance behind the same "load
 * balancer": its own port, the same issuer).
 */
export async function startProviderTestApp(
  env: Environment = {},
  options: CreateAppOptions & { database?: TestDatabase; issuer?: string } = {},
): Promise<TestApp> {
  const ownsDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase());
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: String(port),
    FC_SIMULATOR_PORT: '0',
    DEMO_PARTNER_PORT: '0',
    PUBLIC_URL: options.issuer ?? url,
    // PGlite's socket interleaves the protocol messages of concurrent connections outside
    // transactions (an unnamed statement of one may be bound by another): one connection.
    ...(database.kind === 'pglite' ? { DATABASE_POOL_SIZE: '1' } : {}),
    ...env,
    DATABASE_URL: database.url,
  });
  let running: RunningApp | undefined;
  try {
    running = await createApp(config, options);
    await running.app.listen(port, '127.0.0.1');
    if (running.simulator) await running.simulator.registerClient(simulatorClientFrom({ ...running.config, publicUrl: url }));
    return {
      app: running.app,
      config: running.config,
      database,
      simulator: running.simulator,
      demoPartner: running.demoPartner,
      url,
      close: async () => {
        await running?.close();
        if (ownsDatabase) await database.drop();
      },
    };
  } catch (error) {
    await running?.close();
    if (ownsDatabase) await database.drop();
    throw error;
  }
}

/** Registers a partner through the service (as the operator CLI does); returns it with its secret. */
export function registerPartner(t: TestApp, input: Partial<NewPartner> & Pick<NewPartner, 'redirectUris'>): Promise<{ partner: PartnerView; secret: string | null }> {
  return t.app.get(TransactionRunner).run((m) =>
    t.app.get(PartnersService).register(
      m,
      { name: 'Service de test', authMethod: 'client_secret_basic', demarches: ['logement'], scopes: [...PARTNER_SCOPES], ...input },
      { type: 'operator', id: 'test' },
    ),
  );
}

/** A partner's openid-client configuration, as a partner would build it (signatures checked against the JWKS). */
export async function partnerClient(
  issuer: string,
  clientId: string,
  secret: string,
  options: { idTokenAlg?: 'ES256' | 'RS256'; auth?: 'basic' | 'post'; fetch?: typeof fetch } = {},
): Promise<oidc.Configuration> {
  const config = await oidc.discovery(
    new URL(issuer),
    clientId,
    { id_token_signed_response_alg: options.idTokenAlg ?? 'ES256' },
    options.auth === 'post' ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret),
    { execute: [oidc.allowInsecureRequests] },
  );
  oidc.enableNonRepudiationChecks(config);
  if (options.fetch) config[oidc.customFetch] = options.fetch;
  return config;
}

export interface AuthorizationStart {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

/** The partner's authorization request (code flow, PKCE S256, state and nonce). */
export async function startAuthorization(
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
): Promise<AuthorizationStart> {
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid given_name family_name preferred_username birthdate gender birthplace birthcountry email',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, state, nonce, verifier };
}

/** Path and query of an absolute URL (supertest agents take paths). */
export function pathOf(url: string | URL): string {
  const u = new URL(url.toString(), 'http://unused.invalid');
  return `${u.pathname}${u.search}`;
}

/** The interaction's uid from its page path. */
export function uidOf(location: string): string {
  const match = /\/partenaires\/connexion\/([A-Za-z0-9_-]+)/.exec(location);
  if (!match) throw new Error(`not an interaction path: ${location}`);
  return match[1]!;
}

/** Where the "continue" page sends the browser (Refresh header). */
export function refreshTarget(res: { headers: Record<string, string | string[] | undefined> }): string {
  const refresh = String(res.headers.refresh ?? '');
  const match = /^0;url=(.+)$/.exec(refresh);
  if (!match) throw new Error(`no Refresh header (${refresh})`);
  return match[1]!;
}

/**
 * A test database for several instances at once: on PGlite, a server that
 * accepts more connections than one app's pools need (each instance has its
 * own); on PostgreSQL, the usual fresh database.
 */
export function createSharedTestDatabase(): Promise<TestDatabase> {
  return createTestDatabase(process.env.DATABASE_URL, { maxConnections: 40 });
}

let usagerCount = 0;
/** A usager as FranceConnect would have reported them (through UsagersService, as at the counter). */
export async function createUsager(
  t: TestApp,
  identity: Partial<Omit<VerifiedIdentity, 'sub' | 'acr' | 'idToken' | 'idTokenHash'>> & { givenName: string; familyName: string },
): Promise<string> {
  usagerCount += 1;
  const verified: VerifiedIdentity = {
    birthdate: '1980-06-15',
    gender: 'female',
    birthplace: '75056',
    birthcountry: '99100',
    ...identity,
    sub: `${randomBytes(32).toString('hex')}v1`,
    acr: 'eidas1',
    idTokenHash: 'A'.repeat(43),
    idToken: `test-id-token-${usagerCount}`,
  };
  return t.app.get(TransactionRunner).run(async (m) =>
    (await t.app.get(UsagersService).upsertFromIdentity(m, verified, { actor: { type: 'system', id: null }, structureId: null })).id,
  );
}
