import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { registerPartner, startProviderTestApp } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

/** The directives of a Content-Security-Policy header, by name. */
function directivesOf(csp: string | undefined): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (csp ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name, values);
  }
  return directives;
}

/**
 * Item 10: one CSP for every page, the provider's included, with
 * `base-uri 'none'` and a `form-action`; a client's X-Request-Id is kept
 * only when it is a short token of safe characters.
 */
describe('one content security policy', () => {
  let t: TestApp;
  let clientId: string;
  beforeAll(async () => {
    t = await startProviderTestApp();
    ({
      partner: { clientId },
    } = await registerPartner(t, {
      redirectUris: ['https://partenaire.example/callback'],
      postLogoutRedirectUris: ['https://partenaire.example/au-revoir'],
    }));
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['the home page', '/'],
    ['the sign-in form', '/aidant/connexion'],
    ['the usager page', '/usager'],
    ['a 404 page', '/nulle-part'],
    ['the provider error page', '/oidc/authorize?client_id=inconnu'],
    ['the provider logout page', '/oidc/session/end'],
  ])('%s has base-uri none, a form-action and no arbitrary inline script', async (_name, path) => {
    const res = await request(t.url).get(path).set('Accept', 'text/html');
    expect(res.headers['content-type']).toMatch(/html/);
    const csp = directivesOf(res.headers['content-security-policy']);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')?.[0]).toBe("'self'");
    expect(csp.get('default-src')).toEqual(["'self'"]);
    // oidc-provider's self-submitting logout form adds the hash of its one script, never 'unsafe-inline'.
    expect(csp.get('script-src')?.[0]).toBe("'self'");
    expect(csp.get('script-src')).not.toContain("'unsafe-inline'");
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('lets the logout page’s form end at the partner’s registered post-logout address, and nowhere else', async () => {
    const query = new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: 'https://partenaire.example/au-revoir' });
    const res = await request(t.url).get(`/oidc/session/end?${query}`).expect(200);
    expect(res.text).toContain('<form');
    const formAction = directivesOf(res.headers['content-security-policy']).get('form-action');
    expect(formAction).toEqual(["'self'", 'https://partenaire.example']);
    // Without a partner's address, the logout ends on Procuration's own page.
    const alone = await request(t.url).get('/oidc/session/end').expect(200);
    expect(directivesOf(alone.headers['content-security-policy']).get('form-action')).toEqual(["'self'"]);
  });

  it('keeps the form-action of ordinary pages to our origin and FranceConnect', async () => {
    const res = await request(t.url).get('/aidant/connexion').expect(200);
    const formAction = directivesOf(res.headers['content-security-policy']).get('form-action');
    expect(formAction).toEqual(["'self'", new URL(t.config.franceConnect.issuer!).origin]);
  });
});

describe('request id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startProviderTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(['a', 'req-42', 'A.b_c-9', 'x'.repeat(64)])('keeps the safe client id %j', async (id) => {
    const res = await request(t.url).get('/').set('X-Request-Id', id).expect(200);
    expect(res.headers['x-request-id']).toBe(id);
  });

  it.each(['x'.repeat(65), 'a b', 'a;b', 'é', '../etc', 'id\tx', '{"a":1}'])('replaces the unsafe client id %j with a new one', async (id) => {
    const res = await request(t.url).get('/').set('X-Request-Id', id).expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('shows the kept id on the error page', async () => {
    const res = await request(t.url).get('/nulle-part').set('Accept', 'text/html').set('X-Request-Id', 'ticket-7').expect(404);
    expect(res.text).toContain('ticket-7');
  });
});
