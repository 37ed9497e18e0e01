import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import type { AppConfig } from '../../config/config.js';
import {
  FranceConnectAccessDeniedError,
  FranceConnectClaimsInvalidError,
  FranceConnectError,
  FranceConnectProviderError,
  FranceConnectStateMismatchError,
  FranceConnectTokenInvalidError,
  FranceConnectUnavailableError,
  FranceConnectUserinfoInvalidError,
} from './franceconnect.errors.js';
import { validateIdentityClaims, type IdentityClaims } from './identity-claims.js';
import { stateMatches } from './state-check.js';

/** The scopes of FranceConnect v2's identity, email and nom d'usage. */
export const FC_SCOPES = 'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username';
/** Levels of assurance accepted in the ID token (eIDAS low and above). */
export const ACCEPTED_ACR = ['eidas1', 'eidas2', 'eidas3'] as const;
export const REQUESTED_ACR = 'eidas1';

export interface FranceConnectClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Send PKCE (real FranceConnect v2 refuses it: off there). */
  pkce: boolean;
  /** The one accepted signing algorithm of ID tokens and JWT userinfo. */
  idTokenAlg: 'ES256' | 'RS256';
  /** Per-request timeout towards FranceConnect, in seconds. */
  timeoutSeconds?: number;
}

export function franceConnectOptionsFrom(config: AppConfig): FranceConnectClientOptions {
  const fc = config.franceConnect;
  if (!fc.issuer) throw new Error('FranceConnect issuer is not configured (FC_ISSUER, or the simulator in development)');
  return { issuer: fc.issuer, clientId: fc.clientId, clientSecret: fc.clientSecret, pkce: fc.pkce, idTokenAlg: fc.idTokenAlg };
}

/** What the caller stores server-side (bound to the browser session) until the callback. */
export interface AuthorizationRequest {
  url: string;
  state: string;
  nonce: string;
  codeVerifier?: string;
}

export interface ExpectedCallback {
  state: string;
  nonce: string;
  codeVerifier?: string;
}

export interface VerifiedIdentity extends IdentityClaims {
  /** Pairwise subject: hash it (`hashFcSub`) before storing. */
  sub: string;
  acr: string;
  /** `auth_time` of the ID token (seconds since the epoch), when FranceConnect sent it. */
  authTime?: number;
  /** SHA-256 (base64url) of the raw ID token: consent evidence. */
  idTokenHash: string;
  /** The raw ID token, only for `id_token_hint` at logout; never store or log it. */
  idToken: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * At most one fetch of FranceConnect's key set per this delay, whatever
 * asks for it: a token signed with a key id we do not know yet triggers an
 * immediate refetch (FranceConnect rotated its key), but a flood of forged
 * tokens does not become a flood of requests to FranceConnect.
 */
export const KEY_REFETCH_MIN_INTERVAL_MS = 5000;

/** FranceConnect's public keys as last fetched (`uat`: seconds since the epoch, openid-client's cache format). */
interface KeySet {
  jwks: { keys: Array<Record<string, unknown>> };
  uat: number;
}

/**
 * The relying party towards FranceConnect (openid-client behind one class).
 * It keeps no protocol state: state, nonce and PKCE verifier go back to the
 * caller, who stores them server-side and gives them back at the callback.
 * Only the discovered metadata is cached.
 */
export class FranceConnectClient {
  private configuration: Promise<oidc.Configuration> | undefined;
  private readonly insecureHttp: boolean;
  private keySet: KeySet | undefined;
  private lastKeyFetchAt = Number.NEGATIVE_INFINITY;
  private keyFetch: Promise<KeySet> | undefined;

  constructor(private readonly options: FranceConnectClientOptions) {
    const issuer = new URL(options.issuer);
    this.insecureHttp = issuer.protocol === 'http:';
    if (this.insecureHttp && !LOOPBACK.has(issuer.hostname)) {
      throw new Error('FranceConnect issuer must use https (plain http is allowed on loopback only)');
    }
  }

  /** Discovery, cached once it succeeds; a failure is retried at the next call. */
  async discover(): Promise<oidc.Configuration> {
    this.configuration ??= this.load().catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  async buildAuthorizationRequest({ redirectUri }: { redirectUri: string }): Promise<AuthorizationRequest> {
    const config = await this.discover();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: FC_SCOPES,
      acr_values: REQUESTED_ACR,
      prompt: 'login',
      state,
      nonce,
    };
    if (!this.options.pkce) {
      return { url: oidc.buildAuthorizationUrl(config, parameters).href, state, nonce };
    }
    const codeVerifier = oidc.randomPKCECodeVerifier();
    parameters.code_challenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
    parameters.code_challenge_method = 'S256';
    return { url: oidc.buildAuthorizationUrl(config, parameters).href, state, nonce, codeVerifier };
  }

  /**
   * The callback: OAuth error first, then state, code exchange
   * (client_secret_post), ID token (signature with the pinned algorithm,
   * iss, aud, exp, nonce, acr), userinfo at once (signature when a JWT, same
   * sub) and the identity claims.
   */
  async handleCallback({ currentUrl, expected }: { currentUrl: string | URL; expected: ExpectedCallback }): Promise<VerifiedIdentity> {
    const url = new URL(currentUrl);
    const error = url.searchParams.get('error');
    if (error === 'access_denied') throw new FranceConnectAccessDeniedError();
    if (error !== null) throw new FranceConnectProviderError(error);
    if (!stateMatches(url.searchParams.get('state'), expected.state)) throw new FranceConnectStateMismatchError();

    const config = await this.callbackConfiguration();
    const tokens = await this.exchangeCode(config, url, expected);
    const claims = tokens.claims();
    if (!claims) throw new FranceConnectTokenInvalidError('token response without an ID token');
    const acr = claims.acr;
    if (typeof acr !== 'string' || !(ACCEPTED_ACR as readonly string[]).includes(acr)) {
      throw new FranceConnectTokenInvalidError('ID token acr is missing or below eidas1');
    }
    const userinfo = await this.fetchUserinfo(config, tokens.access_token, claims.sub);
    const checked = validateIdentityClaims(userinfo, new Date());
    if (!checked.ok) throw new FranceConnectClaimsInvalidError(checked.invalid);
    const idToken = tokens.id_token as string;
    return {
      sub: claims.sub,
      ...checked.claims,
      acr,
      ...(typeof claims.auth_time === 'number' ? { authTime: claims.auth_time } : {}),
      idTokenHash: createHash('sha256').update(idToken, 'ascii').digest('base64url'),
      idToken,
    };
  }

  /** RP-initiated logout at FranceConnect, with exactly the parameters FranceConnect v2 knows. */
  async buildEndSessionUrl(input: { idTokenHint: string; state: string; postLogoutRedirectUri: string }): Promise<string> {
    const endpoint = (await this.discover()).serverMetadata().end_session_endpoint;
    if (!endpoint) throw new FranceConnectUnavailableError('FranceConnect metadata has no end_session_endpoint');
    const url = new URL(endpoint);
    url.searchParams.set('id_token_hint', input.idTokenHint);
    url.searchParams.set('state', input.state);
    url.searchParams.set('post_logout_redirect_uri', input.postLogoutRedirectUri);
    return url.href;
  }

  /** The discovered metadata and the key set, fetched for the start-up check (errors: `unavailable`). */
  async inspect(): Promise<{ server: oidc.ServerMetadata; jwks: KeySet['jwks'] }> {
    const server = (await this.discover()).serverMetadata();
    try {
      return { server, jwks: (await this.refreshKeys()).jwks };
    } catch (cause) {
      throw cause instanceof FranceConnectError ? cause : new FranceConnectUnavailableError('FranceConnect key set request failed', { cause });
    }
  }

  get issuer(): string {
    return this.options.issuer;
  }

  /**
   * FranceConnect's key set, fetched now unless it was fetched less than
   * KEY_REFETCH_MIN_INTERVAL_MS ago (then the copy in hand). Used by the
   * start-up check and when a token names a key id we do not know.
   */
  async refreshKeys(): Promise<KeySet> {
    if (this.keySet && Date.now() - this.lastKeyFetchAt < KEY_REFETCH_MIN_INTERVAL_MS) return this.keySet;
    this.keyFetch ??= this.fetchKeys().finally(() => {
      this.keyFetch = undefined;
    });
    return this.keyFetch;
  }

  private async fetchKeys(): Promise<KeySet> {
    const jwksUri = (await this.discover()).serverMetadata().jwks_uri;
    if (!jwksUri) throw new FranceConnectUnavailableError('FranceConnect metadata has no jwks_uri');
    const response = await this.fetchKeySetResponse(jwksUri, { method: 'GET', headers: { accept: 'application/json' } });
    if (!response.ok) throw new FranceConnectUnavailableError(`FranceConnect key set answered HTTP ${response.status}`);
    if (!this.keySet) throw new FranceConnectUnavailableError('FranceConnect key set is not a JWK set');
    return this.keySet;
  }

  /** The key set request itself (network), bounded and recorded; within the bound, the copy in hand. */
  private async fetchKeySetResponse(url: string, init: RequestInit): Promise<Response> {
    if (this.keySet && Date.now() - this.lastKeyFetchAt < KEY_REFETCH_MIN_INTERVAL_MS) {
      return Response.json(this.keySet.jwks);
    }
    this.lastKeyFetchAt = Date.now();
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout((this.options.timeoutSeconds ?? 10) * 1000) });
    if (response.ok) {
      const jwks = (await response.clone().json()) as KeySet['jwks'];
      if (Array.isArray(jwks?.keys)) this.keySet = { jwks, uat: Math.floor(Date.now() / 1000) };
    }
    return response;
  }

  /**
   * A configuration for one callback. openid-client keeps verified key sets
   * per metadata object and refetches one for an unknown key id only if
   * the copy is a minute old: each callback gets its own metadata object,
   * seeded with our copy of the keys, and its token response is looked at
   * first, so that an ID token naming a key id we do not know triggers one
   * refetch (bounded) before openid-client checks the signature.
   */
  private async callbackConfiguration(): Promise<oidc.Configuration> {
    const base = await this.discover();
    const server = base.serverMetadata();
    const config = new oidc.Configuration({ ...server }, this.options.clientId, base.clientMetadata(), oidc.ClientSecretPost(this.options.clientSecret));
    if (this.insecureHttp) oidc.allowInsecureRequests(config);
    oidc.enableNonRepudiationChecks(config);
    config.timeout = base.timeout;
    if (this.keySet) oidc.setJwksCache(config, this.keySet);
    config[oidc.customFetch] = async (url, init) => {
      if (url === server.jwks_uri) return this.fetchKeySetResponse(url, init as RequestInit);
      const response = await fetch(url, init as RequestInit);
      if (url === server.token_endpoint && response.ok) {
        const kid = await idTokenKidOf(response.clone());
        if (kid !== undefined && !this.knowsKey(kid)) {
          await this.refreshKeys().catch(() => undefined);
          if (this.keySet) oidc.setJwksCache(config, this.keySet);
        }
      }
      return response;
    };
    return config;
  }

  private knowsKey(kid: string): boolean {
    return this.keySet?.jwks.keys.some((key) => key.kid === kid) ?? false;
  }

  private async load(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret, idTokenAlg } = this.options;
    const execute = this.insecureHttp ? [oidc.allowInsecureRequests] : [];
    const timeout = this.options.timeoutSeconds ?? 10;
    let server: oidc.ServerMetadata;
    try {
      const discovered = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretPost(clientSecret), { execute, timeout });
      server = discovered.serverMetadata();
    } catch (cause) {
      throw new FranceConnectUnavailableError('FranceConnect discovery failed', { cause });
    }
    // Pin the algorithms: the ID token always, userinfo when the issuer
    // answers JWTs (FranceConnect v2 does; a plain OIDC provider may answer JSON).
    const jwtUserinfo = server.userinfo_signing_alg_values_supported?.includes(idTokenAlg) ?? false;
    const metadata: Partial<oidc.ClientMetadata> = {
      id_token_signed_response_alg: idTokenAlg,
      ...(jwtUserinfo ? { userinfo_signed_response_alg: idTokenAlg } : {}),
    };
    const config = new oidc.Configuration(server, clientId, metadata, oidc.ClientSecretPost(clientSecret));
    if (this.insecureHttp) oidc.allowInsecureRequests(config);
    // openid-client trusts TLS by default: make it verify signatures against the issuer's JWKS.
    oidc.enableNonRepudiationChecks(config);
    config.timeout = timeout;
    return config;
  }

  private async exchangeCode(config: oidc.Configuration, url: URL, expected: ExpectedCallback) {
    try {
      return await oidc.authorizationCodeGrant(config, url, {
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        pkceCodeVerifier: expected.codeVerifier,
        idTokenExpected: true,
      });
    } catch (cause) {
      throw translate(cause, 'token', (message) => new FranceConnectTokenInvalidError(message, { cause }));
    }
  }

  private async fetchUserinfo(config: oidc.Configuration, accessToken: string, sub: string): Promise<Record<string, unknown>> {
    try {
      return await oidc.fetchUserInfo(config, accessToken, sub);
    } catch (cause) {
      throw translate(cause, 'userinfo', (message) => new FranceConnectUserinfoInvalidError(message, { cause }));
    }
  }
}

/** The `kid` of the ID token in a token response, without trusting anything else in it. */
async function idTokenKidOf(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { id_token?: unknown };
    if (typeof body.id_token !== 'string') return undefined;
    const header = JSON.parse(Buffer.from(body.id_token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** openid-client / fetch failures → our errors: unreachable or 5xx is `unavailable`, anything else a failed check. */
function translate(cause: unknown, step: string, invalid: (message: string) => FranceConnectError): FranceConnectError {
  if (cause instanceof FranceConnectError) return cause;
  if (cause instanceof TypeError || isNetworkFailure(cause)) {
    return new FranceConnectUnavailableError(`FranceConnect ${step} request failed`, { cause });
  }
  const status = statusOf(cause);
  if (status !== undefined && status >= 500) {
    return new FranceConnectUnavailableError(`FranceConnect ${step} endpoint answered HTTP ${status}`, { cause });
  }
  const code = (cause as { code?: unknown })?.code;
  if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') {
    return new FranceConnectUnavailableError(`FranceConnect ${step} request timed out`, { cause });
  }
  return invalid(`FranceConnect ${step} check failed (${typeof code === 'string' ? code : 'unknown'}): ${innermostMessage(cause)}`);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/**
 * fetch's "fetch failed" or a socket error anywhere in the chain of causes.
 * Compared by name and code, not `instanceof`: the error may come from
 * another realm (undici's TypeError is not always this realm's).
 */
function isNetworkFailure(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 5; depth += 1) {
    const { name, code, message } = current as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'TypeError' && typeof message === 'string' && /fetch failed/i.test(message)) return true;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The most precise reason in a chain of causes (library messages name the check, never token contents). */
function innermostMessage(error: unknown): string {
  let message = '';
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    message = current.message;
  }
  return message;
}

function statusOf(error: unknown): number | undefined {
  const direct = (error as { status?: unknown })?.status;
  if (typeof direct === 'number') return direct;
  const inner = (error as { cause?: { status?: unknown } })?.cause?.status;
  return typeof inner === 'number' ? inner : undefined;
}
