import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A deliberately small OpenID provider for the checks the real one would
 * never fail: it answers discovery, JWKS, token and userinfo like
 * FranceConnect v2 (ES256, JWT userinfo), but signs whatever the current
 * `Forgery` says. No sign-in: the authorization code is the nonce itself
 * (base64url), so a test builds the callback URL directly.
 */

export type Signature = 'good' | 'other-key' | 'unknown-kid' | 'none' | 'hs256-client-secret' | 'rs256';

export interface Forgery {
  idToken?: { signature?: Signature; claims?: Record<string, unknown>; drop?: string[] };
  userinfo?: { signature?: Signature | 'json'; claims?: Record<string, unknown> };
}

export interface ForgingProvider {
  issuer: string;
  forge(forgery: Forgery): void;
  /** The callback URL FranceConnect would send the browser to. */
  callbackFor(redirectUri: string, request: { state: string; nonce: string }): string;
  /** How many times the key set was fetched. */
  readonly jwksRequests: number;
  close(): Promise<void>;
}

export const FORGED_SUB = `${'ab'.repeat(32)}v1`;
const KID = 'fc-forging-key';

interface Keys {
  good: CryptoKey;
  other: CryptoKey;
  rsa: CryptoKey;
  jwks: JWK[];
}

async function keys(): Promise<Keys> {
  const good = await generateKeyPair('ES256', { extractable: true });
  const other = await generateKeyPair('ES256');
  const rsa = await generateKeyPair('RS256', { extractable: true });
  return {
    good: good.privateKey,
    other: other.privateKey,
    rsa: rsa.privateKey,
    jwks: [
      { ...(await exportJWK(good.publicKey)), kid: KID, alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
    ],
  };
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function sign(payload: Record<string, unknown>, signature: Signature, k: Keys, clientSecret: string): Promise<string> {
  switch (signature) {
    case 'none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    case 'hs256-client-secret':
      return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: KID }).sign(new TextEncoder().encode(clientSecret));
    case 'rs256':
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'rsa' }).sign(k.rsa);
    case 'other-key':
      return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: KID }).sign(k.other);
    case 'unknown-kid':
      return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'never-published' }).sign(k.other);
    case 'good':
      return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: KID }).sign(k.good);
  }
}

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startForgingProvider(client: { clientId: string; clientSecret: string }): Promise<ForgingProvider> {
  const k = await keys();
  let forgery: Forgery = {};
  let issuer = '';
  let jwksRequests = 0;
  const now = () => Math.floor(Date.now() / 1000);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const json = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (path === '/api/v2/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
        end_session_endpoint: `${issuer}/session/end`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['ES256', 'RS256'],
        userinfo_signing_alg_values_supported: ['ES256', 'RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
        acr_values_supported: ['eidas1'],
      });
    }
    if (path === '/api/v2/jwks') {
      jwksRequests += 1;
      return json(200, { keys: k.jwks });
    }
    if (path === '/api/v2/token' && req.method === 'POST') {
      const body = await readBody(req);
      if (body.get('client_id') !== client.clientId || body.get('client_secret') !== client.clientSecret) {
        return json(401, { error: 'invalid_client' });
      }
      const nonce = Buffer.from(body.get('code') ?? '', 'base64url').toString('utf8');
      const claims: Record<string, unknown> = {
        iss: issuer,
        aud: client.clientId,
        sub: FORGED_SUB,
        iat: now(),
        exp: now() + 60,
        auth_time: now() - 5,
        nonce,
        acr: 'eidas1',
        ...forgery.idToken?.claims,
      };
      for (const name of forgery.idToken?.drop ?? []) delete claims[name];
      const idToken = await sign(claims, forgery.idToken?.signature ?? 'good', k, client.clientSecret);
      return json(200, { access_token: 'forged-access-token', token_type: 'Bearer', expires_in: 60, id_token: idToken });
    }
    if (path === '/api/v2/userinfo') {
      const claims = {
        sub: FORGED_SUB,
        iss: issuer,
        aud: client.clientId,
        given_name: 'Claire',
        family_name: 'FORGE',
        birthdate: '1970-01-01',
        gender: 'female',
        birthplace: '35238',
        birthcountry: '99100',
        ...forgery.userinfo?.claims,
      };
      const signature = forgery.userinfo?.signature ?? 'good';
      if (signature === 'json') return json(200, claims);
      res.writeHead(200, { 'content-type': 'application/jwt' });
      return res.end(await sign(claims, signature, k, client.clientSecret));
    }
    return json(404, { error: 'not_found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
  return {
    issuer,
    get jwksRequests() {
      return jwksRequests;
    },
    forge: (next) => {
      forgery = next;
    },
    callbackFor: (redirectUri, request) => {
      const url = new URL(redirectUri);
      url.searchParams.set('code', Buffer.from(request.nonce).toString('base64url'));
      url.searchParams.set('state', request.state);
      return url.href;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
