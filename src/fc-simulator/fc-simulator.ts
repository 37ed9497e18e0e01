import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';
import helmet from 'helmet';
import nunjucks from 'nunjucks';
import Provider from 'oidc-provider';
import type { AppConfig } from '../../config/config.js';
import type { NodeEnv } from '../../config/config.schema.js';
import { SAME_ORIGIN_CSP_DIRECTIVES } from '../web/content-security-policy.js';
import { DSFR_DIST, SOURCE_ROOT } from '../web/paths.js';
import { SIMULATED_IDENTITIES } from './simulator-identities.js';
import { SimulatorStore } from './simulator-adapter.js';
import { newSigningKey, newSimulatorKeys, providerConfiguration, type Render, type SimulatorKeys } from './simulator-configuration.js';
import { mountInteractions } from './simulator-interactions.js';
import { checkAuthorizeParams, checkEndSessionParams, type ParamsProblem } from './simulator-params.js';

/** FranceConnect v2 serves everything under this path of its host. */
export const SIMULATOR_BASE_PATH = '/api/v2';

export interface SimulatorClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  clientName?: string;
}

export interface FcSimulatorOptions {
  /** 0 picks a free port. */
  port: number;
  nodeEnv: NodeEnv;
  clients: SimulatorClient[];
  /** Accept PKCE parameters (real FranceConnect v2 refuses them). */
  acceptPkce?: boolean;
}

export interface FcSimulator {
  issuer: string;
  port: number;
  /** Registers a client, or replaces its metadata (tests add their own redirect URIs). */
  registerClient(client: SimulatorClient): Promise<void>;
  /**
   * Signs with a new key from now on and publishes only that one, as
   * FranceConnect does when it rotates (sessions and clients are kept).
   * Returns the new key id.
   */
  rotateSigningKey(): Promise<string>;
  /** How many times the key set (`/jwks`) was fetched: relying parties must not hammer it. */
  readonly jwksFetches: number;
  close(): Promise<void>;
}

/** A clear one-line reason the simulator could not start. */
export class FcSimulatorStartError extends Error {
  override name = 'FcSimulatorStartError';
}

/** Procuration's own registration at the simulator, from the configuration. */
export function simulatorClientFrom(
  config: Pick<AppConfig, 'publicUrl'> & { franceConnect: Pick<AppConfig['franceConnect'], 'clientId' | 'clientSecret'> },
): SimulatorClient {
  return {
    clientId: config.franceConnect.clientId,
    clientSecret: config.franceConnect.clientSecret,
    redirectUris: [`${config.publicUrl}/franceconnect/callback`],
    postLogoutRedirectUris: [`${config.publicUrl}/franceconnect/deconnexion`],
    clientName: 'Procuration',
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new FcSimulatorStartError(
              `FranceConnect simulator: port ${port} is already in use (set FC_SIMULATOR_PORT to another port, or FC_ISSUER to use another FranceConnect).`,
            )
          : error,
      );
    });
    // Loopback only: the simulator is never reachable from the network.
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Starts the FranceConnect v2 "low" simulator on its own HTTP server
 * (development and tests only; refused in production).
 */
export async function startFcSimulator(options: FcSimulatorOptions): Promise<FcSimulator> {
  if (options.nodeEnv === 'production') {
    throw new FcSimulatorStartError('The FranceConnect simulator never runs in production: set FC_ISSUER.');
  }
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handle(req, res));
  const port = await listen(server, options.port);
  const issuer = `http://127.0.0.1:${port}${SIMULATOR_BASE_PATH}`;
  const store = new SimulatorStore();
  const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(SOURCE_ROOT), { autoescape: true });
  const render = (name: string, context: object) => views.render(`fc-simulator/views/${name}.njk`, context);
  const keys = await newSimulatorKeys();
  let jwksFetches = 0;
  const build = async (current: SimulatorKeys) => {
    const provider = new Provider(issuer, await providerConfiguration(store, render, SIMULATOR_BASE_PATH, current));
    provider.proxy = false;
    const acceptPkce = options.acceptPkce ?? false;
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route === 'jwks') jwksFetches += 1;
      // FranceConnect v2 does not announce PKCE; the simulator announces it only when it accepts it.
      if (ctx.oidc?.route === 'discovery' && !acceptPkce && ctx.body && typeof ctx.body === 'object') {
        delete (ctx.body as Record<string, unknown>).code_challenge_methods_supported;
      }
    });
    return buildApp(provider, render, acceptPkce);
  };
  handle = await build(keys);

  const registerClient = async (client: SimulatorClient) => {
    await store.adapterFor('Client').upsert(client.clientId, {
      client_id: client.clientId,
      client_secret: client.clientSecret,
      client_name: client.clientName ?? client.clientId,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris,
    });
  };
  for (const client of options.clients) await registerClient(client);

  return {
    issuer,
    port,
    registerClient,
    rotateSigningKey: async () => {
      keys.signing = await newSigningKey();
      handle = await build(keys);
      return keys.signing.kid as string;
    },
    get jwksFetches() {
      return jwksFetches;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function refuse(res: Response, render: Render, problem: ParamsProblem): void {
  res.status(400).type('html').send(render('error', { pageTitle: 'Erreur', error: problem.error, description: problem.description }));
}

function queryOf(req: Request): URLSearchParams {
  return new URL(req.originalUrl, 'http://simulator.invalid').searchParams;
}

function buildApp(provider: Provider, render: Render, acceptPkce: boolean): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          ...SAME_ORIGIN_CSP_DIRECTIVES,
          baseUri: ["'self'"],
          // No form-action: browsers apply it to the redirect that follows a
          // form post, which here goes to the relying party's redirect_uri.
        },
      },
      hsts: false,
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  app.use('/dsfr', express.static(DSFR_DIST, { index: false }));
  const base = SIMULATOR_BASE_PATH;
  app.get(`${base}/authorize`, (req, res, next) => {
    const problem = checkAuthorizeParams(queryOf(req), { acceptPkce });
    return problem ? refuse(res, render, problem) : next();
  });
  app.get(`${base}/session/end`, (req, res, next) => {
    const problem = checkEndSessionParams(queryOf(req));
    return problem ? refuse(res, render, problem) : next();
  });
  // FranceConnect takes these as GET only; POST would bypass the whitelist.
  app.post([`${base}/authorize`, `${base}/session/end`], (_req, res) => {
    refuse(res, render, { error: 'invalid_request', description: 'only GET is accepted here' });
  });
  // oidc-provider treats client_secret_basic and client_secret_post as one;
  // FranceConnect accepts the secret in the form body only.
  app.post(`${base}/token`, (req, res, next) => {
    if (req.headers.authorization === undefined) return next();
    res.status(401).json({ error: 'invalid_client', error_description: 'client authentication must use client_secret_post' });
  });
  mountInteractions(app, provider, render, SIMULATED_IDENTITIES, base);
  app.use(base, provider.callback());
  return app;
}

/**
 * The simulator as `npm start` and the test harness use it: started only
 * when no FranceConnect issuer is configured, never in production.
 */
export async function startSimulatorIfNeeded(config: AppConfig): Promise<FcSimulator | undefined> {
  if (config.franceConnect.issuer !== undefined || config.nodeEnv === 'production') return undefined;
  return startFcSimulator({
    port: config.franceConnect.simulatorPort,
    nodeEnv: config.nodeEnv,
    clients: [simulatorClientFrom(config)],
    acceptPkce: config.franceConnect.pkce,
  });
}
