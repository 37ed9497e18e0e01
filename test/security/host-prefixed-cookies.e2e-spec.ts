import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ManualClock } from '../../src/clock/clock.js';
import { startFcSimulator, type FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { providerConfiguration } from '../../src/provider/provider.configuration.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';
import { csrfOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { registerPartner } from '../support/provider.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const secret = () => randomBytes(32).toString('base64url');

/** Every Set-Cookie line of a response. */
function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const value = res.headers['set-cookie'];
  return Array.isArray(value) ? value.map(String) : value ? [String(value)] : [];
}

function cookieNamed(lines: string[], name: string): string | undefined {
  return lines.find((line) => line.startsWith(`${name}=`));
}

/** What a browser requires of a `__Host-` cookie (RFC 6265bis §4.1.3.2): Secure, Path=/, no Domain. */
function expectHostPrefixRules(line: string) {
  expect(line).toMatch(/;\s*Secure/i);
  expect(line).toMatch(/;\s*Path=\/(;|$)/i);
  expect(line).not.toMatch(/;\s*Domain=/i);
}

/**
 * Cookies in production (https PUBLIC_URL behind a TLS-terminating proxy):
 * the session cookies carry the `__Host-` prefix, so that no sibling
 * sub-domain and no plain-http page can set or overwrite them.
 */
describe('host-prefixed cookies in production', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  // Production checks FranceConnect at start: a real (simulated) issuer on loopback.
  let fc: FcSimulator;

  beforeAll(async () => {
    fc = await startFcSimulator({ port: 0, nodeEnv: 'test', clients: [] });
    const port = await freeLoopbackPort();
    t = await startTestApp(
      {
        NODE_ENV: 'production',
        PORT: String(port),
        PUBLIC_URL: `https://127.0.0.1:${port}`,
        TRUST_PROXY: 'true',
        SESSION_SECRET: secret(),
        FC_ISSUER: fc.issuer,
        FC_CLIENT_SECRET: secret(),
        FC_SUB_KEY: secret(),
        KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        TOTP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        PROVIDER_PAIRWISE_KEY: secret(),
      },
      { clock },
    );
    const structure = await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016');
    await seedAidant(t, { email: 'aidant@vesoul.test', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
  });
  afterAll(async () => {
    await t?.close();
    await fc?.close();
  });

  /** A request as the TLS proxy in front of the service forwards it. */
  const overTls = <T extends { set(name: string, value: string): T }>(req: T): T => req.set('X-Forwarded-Proto', 'https').set('X-Forwarded-For', '192.0.2.10');

  it('names the session cookie __Host-procuration.sid, Secure, Path=/, without Domain, from the first form on', async () => {
    const form = await overTls(request(t.url).get('/aidant/connexion')).expect(200);
    const lines = setCookies(form);
    const cookie = cookieNamed(lines, '__Host-procuration.sid');
    expect(cookie).toBeDefined();
    expectHostPrefixRules(cookie!);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookieNamed(lines, 'procuration.sid')).toBeUndefined();
  });

  it('signs in, serves the aidant space and signs out with the prefixed cookie only', async () => {
    const form = await overTls(request(t.url).get('/aidant/connexion')).expect(200);
    const first = cookieNamed(setCookies(form), '__Host-procuration.sid')!.split(';')[0]!;
    const signIn = await overTls(request(t.url).post('/aidant/connexion'))
      .set('Cookie', first)
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: 'aidant@vesoul.test', password: TEST_PASSWORD, totp: totpAt(clock) })
      .expect(303);
    const session = cookieNamed(setCookies(signIn), '__Host-procuration.sid');
    expect(session).toBeDefined();
    expectHostPrefixRules(session!);
    const jar = session!.split(';')[0]!;

    const home = await overTls(request(t.url).get('/aidant')).set('Cookie', jar).expect(200);
    // The same value under the unprefixed name is not a session.
    await overTls(request(t.url).get('/aidant')).set('Cookie', jar.replace('__Host-', '')).expect(401);

    const signOut = await overTls(request(t.url).post('/aidant/deconnexion'))
      .set('Cookie', jar)
      .type('form')
      .send({ _csrf: csrfOf(home.text) })
      .expect(200);
    const cleared = cookieNamed(setCookies(signOut), '__Host-procuration.sid');
    expect(cleared).toBeDefined();
    // A browser ignores a __Host- Set-Cookie without Secure and Path=/: the clearing one keeps them too.
    expectHostPrefixRules(cleared!);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('prefixes the provider face’s cookies: __Secure- for its path-bound interaction cookies', async () => {
    const redirectUri = 'https://partenaire.example.fr/callback';
    const { partner } = await registerPartner(t, { redirectUris: [redirectUri] });
    const verifier = randomBytes(32).toString('base64url');
    const res = await overTls(request(t.url).get('/oidc/authorize'))
      .query({
        client_id: partner.clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: redirectUri,
        state: randomBytes(16).toString('hex'),
        nonce: randomBytes(16).toString('hex'),
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      })
      .expect(303);
    const lines = setCookies(res);
    const names = lines.map((line) => line.split('=')[0]);
    expect(names.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.split('=')[0]).toMatch(/^__(Host|Secure)-/);
      expect(line).toMatch(/;\s*Secure/i);
      if (line.startsWith('__Host-')) expectHostPrefixRules(line);
    }
    expect(names).toContain('__Secure-procuration.interaction');
    expect(names).toContain('__Secure-procuration.interaction-resume');
  });

  it('names the provider face’s own session cookie with __Host-, set without Path or Domain (so Path=/)', () => {
    // Set only once a partner sign-in completes: checked on the configuration oidc-provider receives.
    const hooks = {} as Parameters<typeof providerConfiguration>[0]['hooks'];
    const config = providerConfiguration({ sessionSecret: secret(), secureCookies: true, keys: [], adapter: undefined, hooks });
    expect(config.cookies?.names?.session).toBe('__Host-procuration.op-session');
    expect(config.cookies?.long).not.toHaveProperty('path');
    expect(config.cookies?.long).not.toHaveProperty('domain');
    const plain = providerConfiguration({ sessionSecret: secret(), secureCookies: false, keys: [], adapter: undefined, hooks });
    expect(plain.cookies?.names?.session).toBe('procuration.op-session');
  });
});
