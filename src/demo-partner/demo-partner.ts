import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import nunjucks from 'nunjucks';
import * as oidc from 'openid-client';
import { DSFR_DIST, SOURCE_ROOT } from '../web/paths.js';

/** The demo partner's registration at Procuration (development only: the seed registers it). */
export const DEMO_PARTNER = {
  name: 'Démarche de démonstration — Logement',
  clientId: 'demo-partenaire-logement',
  /** Published on purpose: a development-only demo, never registered in production. */
  clientSecret: 'demo-partenaire-logement-secret-de-developpement',
  demarches: ['logement'] as const,
};

export interface DemoPartnerOptions {
  /** Procuration's issuer (PUBLIC_URL). */
  issuer: string;
  /** 0 picks a free port. */
  port: number;
  /** Host name in the partner's own URLs (`localhost` when the issuer uses it, so cookies stay on one host name). */
  hostname: string;
}

export interface DemoPartner {
  url: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  close(): Promise<void>;
}

/** What the partner keeps about one visitor (in memory: it is a demo of a partner, not part of Procuration). */
interface Visit {
  state?: string;
  nonce?: string;
  verifier?: string;
  idToken?: string;
  claims?: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
  /** Kept to call userinfo again ("Rafraîchir"): a partner re-reads the identity while the aidant works. */
  accessToken?: string;
  /** Why the last userinfo call failed (the OAuth error code), when it did. */
  userinfoError?: string;
}

const COOKIE = 'demo_partner_visit';

/**
 * A partner service as an administration would build one on `openid-client`:
 * "Se connecter avec Procuration", then what it received (the usager, the
 * acting aidant, the démarche, the mandate), and sign-out. Never in production.
 */
export async function startDemoPartner(options: DemoPartnerOptions): Promise<DemoPartner> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handle(req, res));
  const port = await listen(server, options.port);
  const url = `http://${options.hostname}:${port}`;
  const partner: DemoPartner = {
    url,
    redirectUri: `${url}/callback`,
    postLogoutRedirectUri: `${url}/deconnecte`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  handle = buildApp(options.issuer, partner);
  return partner;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function buildApp(issuer: string, partner: DemoPartner): Express {
  const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(SOURCE_ROOT), { autoescape: true });
  const render = (name: string, context: object) => views.render(`demo-partner/views/${name}.njk`, context);
  const visits = new Map<string, Visit>();
  let configuration: Promise<oidc.Configuration> | undefined;
  const config = () => {
    configuration ??= discover(issuer).catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  };

  const app = express();
  app.disable('x-powered-by');
  // Signing out posts a form that redirects to Procuration's end-session endpoint:
  // browsers apply form-action to that redirect, so the provider's origin is allowed.
  const formAction = ["'self'", new URL(issuer).origin];
  app.use(helmet({ contentSecurityPolicy: { useDefaults: true, directives: { 'upgrade-insecure-requests': null, 'form-action': formAction } }, hsts: false }));
  app.use('/dsfr', express.static(DSFR_DIST, { index: false }));
  app.use(express.urlencoded({ extended: false, limit: '2kb' }));

  const visitOf = (req: Request, res: Response): Visit => {
    const id = /(?:^|;\s*)demo_partner_visit=([A-Za-z0-9_-]{20,})/.exec(req.headers.cookie ?? '')?.[1];
    if (id && visits.has(id)) return visits.get(id)!;
    const fresh = randomBytes(18).toString('base64url');
    visits.set(fresh, {});
    res.cookie(COOKIE, fresh, { httpOnly: true, sameSite: 'lax', path: '/' });
    return visits.get(fresh)!;
  };

  app.get('/', (req, res) => {
    const visit = visitOf(req, res);
    res.type('html').send(render('home', { claims: visit.claims, userinfo: visit.userinfo, userinfoError: visit.userinfoError, partnerName: DEMO_PARTNER.name }));
  });

  app.get('/connexion', wrap(async (req, res) => {
    const visit = visitOf(req, res);
    visit.state = oidc.randomState();
    visit.nonce = oidc.randomNonce();
    visit.verifier = oidc.randomPKCECodeVerifier();
    const target = oidc.buildAuthorizationUrl(await config(), {
      redirect_uri: partner.redirectUri,
      scope: 'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username',
      state: visit.state,
      nonce: visit.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(visit.verifier),
      code_challenge_method: 'S256',
      acr_values: 'eidas1',
    });
    res.redirect(303, target.href);
  }));

  app.get('/callback', wrap(async (req, res) => {
    const visit = visitOf(req, res);
    const current = new URL(req.originalUrl, partner.url);
    if (current.searchParams.get('error')) {
      res.status(200).type('html').send(render('refused', { error: current.searchParams.get('error') }));
      return;
    }
    if (!visit.state || !visit.verifier) throw new Error('no sign-in in progress');
    const c = await config();
    const tokens = await oidc.authorizationCodeGrant(c, current, {
      pkceCodeVerifier: visit.verifier,
      expectedState: visit.state,
      expectedNonce: visit.nonce,
      idTokenExpected: true,
    });
    visit.state = visit.verifier = visit.nonce = undefined;
    const claims = tokens.claims()!;
    visit.idToken = tokens.id_token;
    visit.claims = claims as Record<string, unknown>;
    visit.accessToken = tokens.access_token;
    visit.userinfoError = undefined;
    visit.userinfo = (await oidc.fetchUserInfo(c, tokens.access_token, claims.sub)) as Record<string, unknown>;
    res.redirect(303, '/');
  }));

  // Calls userinfo again with the access token received at sign-in: once the
  // usager has revoked the mandate, Procuration refuses it.
  app.post('/actualisation', wrap(async (req, res) => {
    const visit = visitOf(req, res);
    if (!visit.accessToken || !visit.claims) return res.redirect(303, '/');
    try {
      visit.userinfo = (await oidc.fetchUserInfo(await config(), visit.accessToken, String(visit.claims.sub))) as Record<string, unknown>;
      visit.userinfoError = undefined;
    } catch (error) {
      visit.userinfo = undefined;
      visit.userinfoError = oauthErrorOf(error);
    }
    res.redirect(303, '/');
  }));

  app.post('/deconnexion', wrap(async (req, res) => {
    const visit = visitOf(req, res);
    const idToken = visit.idToken;
    visit.claims = visit.userinfo = visit.idToken = visit.accessToken = visit.userinfoError = undefined;
    if (!idToken) return res.redirect(303, '/');
    const target = oidc.buildEndSessionUrl(await config(), {
      id_token_hint: idToken,
      post_logout_redirect_uri: partner.postLogoutRedirectUri,
    });
    res.redirect(303, target.href);
  }));

  app.get('/deconnecte', (_req, res) => {
    res.type('html').send(render('logged-out', {}));
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const message = error instanceof Error ? error.message : String(error);
    res.status(502).type('html').send(render('refused', { error: 'erreur', description: message }));
  });
  return app;
}

async function discover(issuer: string): Promise<oidc.Configuration> {
  const config = await oidc.discovery(
    new URL(issuer),
    DEMO_PARTNER.clientId,
    { id_token_signed_response_alg: 'ES256' },
    oidc.ClientSecretBasic(DEMO_PARTNER.clientSecret),
    issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  oidc.enableNonRepudiationChecks(config);
  return config;
}

/**
 * The OAuth error code of a refused call (`invalid_token`…): from the
 * WWW-Authenticate challenge of a refused bearer token, or an error body;
 * else the error's message.
 */
function oauthErrorOf(error: unknown): string {
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    const code = error.cause.find((challenge) => typeof challenge.parameters.error === 'string')?.parameters.error;
    if (code) return code;
  }
  if (error instanceof oidc.ResponseBodyError) return error.error;
  return error instanceof Error ? error.message : String(error);
}

function wrap(fn: (req: Request, res: Response) => Promise<unknown>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}

/** Started beside the service outside production (as the FranceConnect simulator is). */
export async function startDemoPartnerIfNeeded(config: {
  nodeEnv: string;
  publicUrl: string;
  provider: { demoPartnerPort: number };
}): Promise<DemoPartner | undefined> {
  if (config.nodeEnv === 'production') return undefined;
  const hostname = new URL(config.publicUrl).hostname === 'localhost' ? 'localhost' : '127.0.0.1';
  return startDemoPartner({ issuer: config.publicUrl, port: config.provider.demoPartnerPort, hostname });
}
