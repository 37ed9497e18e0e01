import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('web shell', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves a French home page with the DSFR layout and the three entrances', async () => {
    const res = await request(t.url).get('/').expect(200).expect('Content-Type', /html/);
    expect(res.text).toContain('<html lang="fr">');
    expect(res.text).toContain('fr-header__service-title">Procuration');
    expect(res.text).toContain('href="#contenu"');
    for (const href of ['/aidant/connexion', '/usager', '/structure']) expect(res.text).toContain(`href="${href}"`);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle=/);
  });

  it('serves the DSFR assets from the app itself', async () => {
    await request(t.url).get('/dsfr/dsfr.min.css').expect(200).expect('Content-Type', /css/);
    await request(t.url).get('/static/procuration.css').expect(200);
  });

  it('sends strict security headers', async () => {
    const res = await request(t.url).get('/').expect(200);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('renders a French 404 page with the request id', async () => {
    const res = await request(t.url).get('/nulle-part').set('Accept', 'text/html').expect(404);
    expect(res.headers['content-type']).toMatch(/html/);
    expect(res.text).toContain('Page introuvable');
    expect(res.text).toContain(res.headers['x-request-id']);
  });

  it('answers API clients with an RFC 9457 problem document', async () => {
    const res = await request(t.url).get('/nulle-part').set('Accept', 'application/json').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toEqual({
      type: 'urn:procuration:problem:not_found',
      title: 'Page introuvable',
      status: 404,
      detail: expect.stringContaining("n'existe pas"),
      instance: '/nulle-part',
      requestId: res.headers['x-request-id'],
    });
  });

  it('keeps a safe incoming request id and replaces an unsafe one', async () => {
    const kept = await request(t.url).get('/health').set('X-Request-Id', 'abc-12345678');
    expect(kept.headers['x-request-id']).toBe('abc-12345678');
    const replaced = await request(t.url).get('/health').set('X-Request-Id', 'bad id <injected> into logs');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body over the limit with a French 413', async () => {
    const res = await request(t.url)
      .post('/')
      .set('Accept', 'application/json')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ filler: 'x'.repeat(200 * 1024) }))
      .expect(413);
    expect(JSON.parse(res.text).title).toBe('Envoi trop volumineux');
  });
});

describe('web shell behind https', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://procuration.example.fr' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends HSTS and upgrades insecure requests', async () => {
    // The app answers only to PUBLIC_URL's host.
    const res = await request(t.url).get('/').set('Host', 'procuration.example.fr').expect(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });
});
