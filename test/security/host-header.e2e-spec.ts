import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startProviderTestApp } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const DISCOVERY = '/.well-known/openid-configuration';

/** Every string value of the discovery document that is a URL. */
function urlsOf(document: Record<string, unknown>): string[] {
  return Object.values(document).filter((v): v is string => typeof v === 'string' && /^https?:/.test(v));
}

/**
 * Finding 4 (ASVS 4.1.3): the service names itself only from PUBLIC_URL.
 * A request for any other host is refused before it reaches a page or the
 * provider; /health answers whatever the host (load balancers probe it).
 */
describe('host header: one public host', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startProviderTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(['/', '/aidant/connexion', '/usager', DISCOVERY, '/oidc/jwks', '/.well-known/procuration/jwks.json', '/oidc/authorize?client_id=x'])(
    'refuses %s asked for another host with a short French 421 page',
    async (path) => {
      const res = await request(t.url).get(path).set('Host', 'evil.example').set('Accept', 'text/html');
      expect(res.status).toBe(421);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<html lang="fr">');
      expect(res.text).toContain('Adresse non reconnue');
      expect(res.text).toContain(`href="${t.url}/"`);
      expect(res.text).not.toContain('evil.example');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toContain("base-uri 'none'");
    },
  );

  it('refuses a provider POST (token endpoint) for another host', async () => {
    const res = await request(t.url).post('/oidc/token').set('Host', 'evil.example').type('form').send({ grant_type: 'authorization_code', code: 'x' });
    expect(res.status).toBe(421);
  });

  it('refuses a Host that only starts like the public one', async () => {
    const { host } = new URL(t.url);
    for (const forged of [`${host}.evil.example`, `${host}@evil.example`, `evil.example#${host}`, `${host}/x`]) {
      expect((await request(t.url).get('/').set('Host', forged)).status).toBe(421);
    }
  });

  it('answers /health whatever the host', async () => {
    await request(t.url).get('/health').set('Host', 'evil.example').expect(200);
  });

  it('announces only PUBLIC_URL in discovery, with a public cache lifetime', async () => {
    const res = await request(t.url).get(DISCOVERY).expect(200);
    expect(res.body.issuer).toBe(t.url);
    const urls = urlsOf(res.body as Record<string, unknown>);
    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls) expect(url.startsWith(`${t.url}/`) || url === t.url).toBe(true);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it('gives the provider JWKS a public cache lifetime', async () => {
    const res = await request(t.url).get('/oidc/jwks').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it('ignores X-Forwarded-Host and X-Forwarded-Proto when no proxy is trusted', async () => {
    const res = await request(t.url).get(DISCOVERY).set('X-Forwarded-Host', 'evil.example').set('X-Forwarded-Proto', 'https').expect(200);
    for (const url of urlsOf(res.body as Record<string, unknown>)) expect(url.startsWith(t.url)).toBe(true);
  });
});

describe('host header behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startProviderTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([DISCOVERY, '/', '/oidc/jwks'])('refuses %s when X-Forwarded-Host names another host', async (path) => {
    const res = await request(t.url).get(path).set('X-Forwarded-Host', 'evil.example');
    expect(res.status).toBe(421);
    expect(res.text).not.toContain('evil.example');
  });

  it('serves the public host named by the proxy, whatever the upstream Host', async () => {
    const res = await request(t.url).get(DISCOVERY).set('Host', 'backend:3000').set('X-Forwarded-Host', new URL(t.url).host).expect(200);
    expect(res.body.issuer).toBe(t.url);
    for (const url of urlsOf(res.body as Record<string, unknown>)) expect(url.startsWith(`${t.url}/`) || url === t.url).toBe(true);
  });

  it('answers as the configured issuer whatever scheme the proxy reports', async () => {
    const res = await request(t.url).get(DISCOVERY).set('X-Forwarded-Proto', 'https').expect(200);
    expect(res.body.issuer).toBe(t.url);
    for (const url of urlsOf(res.body as Record<string, unknown>)) expect(url.startsWith(`${t.url}/`) || url === t.url).toBe(true);
  });
});
