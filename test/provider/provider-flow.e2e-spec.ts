import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { MandateRevocationService } from '../../src/mandates/mandate-revocation.service.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { pairwiseSub } from '../../src/provider/provider.claims.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { openMandate } from '../support/mandates.js';
import {
  createUsager,
  partnerClient,
  pathOf,
  refreshTarget,
  registerPartner,
  startAuthorization,
  startProviderTestApp,
  uidOf,
} from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT_A = 'https://logement.example/callback';
const REDIRECT_B = 'https://autre.example/retour';
type Agent = ReturnType<typeof browser>;

describe('provider face: a partner signs an aidant in for a usager (openid-client over real HTTP)', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let db: DataSource;
  let structure: { id: string; siret: string; name: string };
  let aidantId: string;
  let alice: string; // mandate for logement + social
  let bruno: string; // mandate for famille only
  let mandateAlice: string;
  let partnerA: { clientId: string; id: string };
  let partnerB: { clientId: string; id: string };
  let clientA: oidc.Configuration;
  let clientB: oidc.Configuration;
  let agent: Agent;

  beforeAll(async () => {
    t = await startProviderTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }, { clock });
    db = t.app.get(DataSource);
    structure = await seedStructure(t, 'Médiathèque de Test', '21700550300016');
    aidantId = await seedAidant(t, { email: 'aidant@test.example', givenName: 'Karim', familyName: 'Benali', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    alice = await createUsager(t, { givenName: 'Alice Marie', familyName: 'Durand', preferredUsername: 'Martin', email: 'alice@example.org' });
    bruno = await createUsager(t, { givenName: 'Bruno', familyName: 'Petit', birthplace: '', birthcountry: '99134' });
    mandateAlice = (await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement', 'social'] })).id;
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: bruno, demarches: ['famille'] });
    const a = await registerPartner(t, { name: 'Service logement', redirectUris: [REDIRECT_A], demarches: ['logement', 'social'] });
    const b = await registerPartner(t, {
      name: 'Autre service',
      authMethod: 'client_secret_post',
      redirectUris: [REDIRECT_B],
      demarches: ['logement'],
      idTokenAlg: 'RS256',
      userinfoAlg: 'RS256',
    });
    partnerA = a.partner;
    partnerB = b.partner;
    clientA = await partnerClient(t.url, a.partner.clientId, a.secret!);
    clientB = await partnerClient(t.url, b.partner.clientId, b.secret!, { idTokenAlg: 'RS256', auth: 'post' });
    agent = browser(t);
    const page = await agent.get('/aidant/connexion').expect(200);
    await agent.post('/aidant/connexion').type('form').send({ _csrf: csrfOf(page.text), email: 'aidant@test.example', password: TEST_PASSWORD, totp: totpAt(clock) }).expect(303);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Revoked by the aidant through the mandates module, as from the mandate's page. */
  function revoke(mandateId: string) {
    return t.app.get(TransactionRunner).run((m) =>
      t.app.get(MandateRevocationService).revoke(m, {
        mandateId,
        by: { type: 'aidant', aidantId, structureId: structure.id },
        reason: 'fin_accompagnement',
      }),
    );
  }

  /** The browser part: authorize, choose the usager and the démarche, confirm; returns the partner's callback URL. */
  async function choose(client: oidc.Configuration, redirect: string, usager: string, demarche: string, extra: Record<string, string> = {}) {
    const start = await startAuthorization(client, redirect, extra);
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    await agent.get(`/partenaires/connexion/${uid}`).expect(303);
    const usagers = await agent.get(`/partenaires/connexion/${uid}/usager`).expect(200);
    const demarches = await agent.get(`/partenaires/connexion/${uid}/demarche?usager=${usager}`).expect(200);
    const recap = await agent.get(`/partenaires/connexion/${uid}/confirmation?usager=${usager}&demarche=${demarche}`).expect(200);
    const confirmed = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(recap.text), usager, demarche });
    return { start, uid, usagers, demarches, recap, confirmed };
  }

  async function signInFor(client: oidc.Configuration, redirect: string, usager: string, demarche: string, extra: Record<string, string> = {}) {
    const steps = await choose(client, redirect, usager, demarche, extra);
    expect(steps.confirmed.status).toBe(200);
    const back = await agent.get(refreshTarget(steps.confirmed)).expect(303);
    const callback = new URL(back.headers.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirect);
    return { ...steps, callback };
  }

  function exchange(client: oidc.Configuration, s: { callback: URL; start: { verifier: string; state: string; nonce: string } }) {
    return oidc.authorizationCodeGrant(client, s.callback, {
      pkceCodeVerifier: s.start.verifier,
      expectedState: s.start.state,
      expectedNonce: s.start.nonce,
      idTokenExpected: true,
    });
  }

  it('delivers the usager’s identity and the proof of who acts, in a verified ID token and userinfo', async () => {
    const s = await signInFor(clientA, REDIRECT_A, alice, 'logement');
    // The usager as on her identity card, to check against it: birth name, usage name, birth date and place.
    expect(s.usagers.text).toContain('Alice Marie DURAND, épouse MARTIN');
    expect(s.usagers.text).toContain('née le 15 juin 1980 à Paris');
    expect(s.usagers.text).not.toMatch(/né\(e\)|1980-06-15/);
    expect(s.usagers.text).not.toContain('Bruno'); // his mandate covers no démarche this partner serves
    expect(s.demarches.text).toContain('Logement');
    expect(s.demarches.text).toContain('Social – Santé');
    expect(s.recap.text).toContain('Service logement');
    expect(s.confirmed.text).toContain('Retour au service partenaire');

    const tokens = await exchange(clientA, s);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.expires_in).toBeLessThanOrEqual(600);
    // Checked again by hand, against the published JWKS, as any partner library would.
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${t.url}/oidc/jwks`)), {
      issuer: t.url,
      audience: partnerA.clientId,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(600);
    const expectedSub = pairwiseSub(t.config.provider.pairwiseKey, alice, partnerA.clientId);
    expect(payload).toMatchObject({
      sub: expectedSub,
      nonce: s.start.nonce,
      acr: 'eidas1',
      given_name: 'Alice Marie',
      family_name: 'Durand',
      preferred_username: 'Martin',
      birthdate: '1980-06-15',
      gender: 'female',
      birthplace: '75056',
      birthcountry: '99100',
      email: 'alice@example.org',
      act: { sub: aidantId, given_name: 'Karim', family_name: 'Benali', structure: { siret: structure.siret, name: structure.name } },
      demarche: 'logement',
      mandate: mandateAlice,
      rep_scope: ['logement'],
    });
    expect(tokens.claims()).toMatchObject({ sub: expectedSub });

    const userinfo = await oidc.fetchUserInfo(clientA, tokens.access_token, expectedSub);
    expect(userinfo).toMatchObject({
      sub: expectedSub,
      given_name: 'Alice Marie',
      act: { sub: aidantId, structure: { siret: structure.siret } },
      demarche: 'logement',
      mandate: mandateAlice,
      acr: 'eidas1',
    });

    const used = await journalOf(t, 'autorisation.used');
    expect(used.at(-1)).toMatchObject({
      chain: structure.id,
      actor_type: 'aidant',
      actor_id: aidantId,
      aidant_id: aidantId,
      details: expect.objectContaining({ clientId: partnerA.clientId }),
    });
    expect(used.at(-1)).toMatchObject({ usager_id: alice, mandate_id: mandateAlice, partner_id: partnerA.id, demarche: 'logement' });
    const served = await journalOf(t, 'partner.userinfo_served');
    expect(served.at(-1)).toMatchObject({ usager_id: alice, partner_id: partnerA.id, actor_type: 'partner', details: expect.objectContaining({ endpoint: 'userinfo' }) });
  });

  it('gives each partner its own stable sub (RS256 ID token, signed JWT userinfo for the second one)', async () => {
    const first = await exchange(clientA, await signInFor(clientA, REDIRECT_A, alice, 'social'));
    const second = await exchange(clientA, await signInFor(clientA, REDIRECT_A, alice, 'logement'));
    const other = await exchange(clientB, await signInFor(clientB, REDIRECT_B, alice, 'logement'));
    expect(first.claims()!.sub).toBe(second.claims()!.sub);
    expect(other.claims()!.sub).not.toBe(first.claims()!.sub);
    expect(decodeProtectedHeader(other.id_token!).alg).toBe('RS256');
    expect(first.claims()!.demarche).toBe('social');

    const raw = await request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${other.access_token}`).expect(200);
    expect(raw.type).toBe('application/jwt');
    const { payload } = await jwtVerify(raw.text, createRemoteJWKSet(new URL(`${t.url}/oidc/jwks`)), { issuer: t.url, audience: partnerB.clientId, algorithms: ['RS256'] });
    expect(payload.sub).toBe(other.claims()!.sub);
    expect(payload.act).toMatchObject({ sub: aidantId });
  });

  it('introspection and revocation concern the partner’s own tokens only', async () => {
    const tokens = await exchange(clientA, await signInFor(clientA, REDIRECT_A, alice, 'logement'));
    const own = await oidc.tokenIntrospection(clientA, tokens.access_token);
    expect(own.active).toBe(true);
    expect(own.sub).toBe(pairwiseSub(t.config.provider.pairwiseKey, alice, partnerA.clientId));
    expect(own.client_id).toBe(partnerA.clientId);
    expect((await oidc.tokenIntrospection(clientB, tokens.access_token)).active).toBe(false);
    await expect(oidc.tokenRevocation(clientB, tokens.access_token)).rejects.toMatchObject({ error: 'invalid_request' });
    expect((await oidc.tokenIntrospection(clientA, tokens.access_token)).active).toBe(true);
    await oidc.tokenRevocation(clientA, tokens.access_token);
    expect((await oidc.tokenIntrospection(clientA, tokens.access_token)).active).toBe(false);
    const res = await request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${tokens.access_token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
  });

  it('a replayed code is refused and revokes the tokens it issued', async () => {
    const s = await signInFor(clientA, REDIRECT_A, alice, 'logement');
    const tokens = await exchange(clientA, s);
    await expect(exchange(clientA, s)).rejects.toMatchObject({ error: 'invalid_grant' });
    const res = await request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${tokens.access_token}`);
    expect(res.status).toBe(401);
  });

  it('a wrong PKCE verifier or an expired code gets invalid_grant', async () => {
    const wrong = await signInFor(clientA, REDIRECT_A, alice, 'logement');
    await expect(
      oidc.authorizationCodeGrant(clientA, wrong.callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: wrong.start.state, expectedNonce: wrong.start.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    const late = await signInFor(clientA, REDIRECT_A, alice, 'logement');
    await db.query(`UPDATE oidc_payloads SET expires_at = now() - interval '1 second' WHERE model = 'AuthorizationCode'`);
    await expect(exchange(clientA, late)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it.each([
    ['a démarche the partner does not serve', () => alice, 'famille'],
    ['a usager without a live mandate here', () => bruno, 'logement'],
    ['a made-up usager id', () => '00000000-0000-4000-8000-000000000000', 'logement'],
  ])('refuses %s with a French page and writes nothing', async (_label, usager, demarche) => {
    const before = await db.query(`SELECT count(*)::int AS n FROM provider_uses`);
    const usedBefore = (await journalOf(t, 'autorisation.used')).length;
    const start = await startAuthorization(clientA, REDIRECT_A);
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    const page = await agent.get(`/partenaires/connexion/${uid}/usager`).expect(200);
    const res = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(page.text), usager: usager(), demarche });
    expect(res.status).toBe(409);
    expect(res.text).toContain('Choix impossible');
    expect(await db.query(`SELECT count(*)::int AS n FROM provider_uses`)).toEqual(before);
    expect(await journalOf(t, 'autorisation.used')).toHaveLength(usedBefore);
  });

  it('a mandate revoked between the choice and the token exchange: no token', async () => {
    const usager = await createUsager(t, { givenName: 'Chloé', familyName: 'Roux' });
    const mandate = await openMandate(t, { aidantId, structureId: structure.id, usagerId: usager, demarches: ['logement'] });
    const s = await signInFor(clientA, REDIRECT_A, usager, 'logement');
    await revoke(mandate.id);
    await expect(exchange(clientA, s)).rejects.toMatchObject({ error: 'invalid_grant' });
    const refused = await journalOf(t, 'partner.access_refused');
    expect(refused.at(-1)).toMatchObject({ mandate_id: mandate.id, details: expect.objectContaining({ reason: 'autorisation_not_live' }) });
  });

  it('a mandate revoked after issuance: userinfo and introspection refuse within the same second', async () => {
    const usager = await createUsager(t, { givenName: 'Denis', familyName: 'Moreau' });
    const mandate = await openMandate(t, { aidantId, structureId: structure.id, usagerId: usager, demarches: ['logement'] });
    const tokens = await exchange(clientA, await signInFor(clientA, REDIRECT_A, usager, 'logement'));
    const sub = tokens.claims()!.sub;
    expect((await oidc.fetchUserInfo(clientA, tokens.access_token, sub)).sub).toBe(sub);
    // The very next calls after the revocation commits must refuse: nothing
    // caches an autorisation's liveness (a wall-clock bound would only measure
    // the machine's load).
    await revoke(mandate.id);
    const res = await request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${tokens.access_token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
    expect((await oidc.tokenIntrospection(clientA, tokens.access_token)).active).toBe(false);
  });

  it('honours rep_scope in the claims parameter and emits it', async () => {
    const claims = JSON.stringify({ id_token: { rep_scope: { essential: true, values: ['logement', 'social'] } } });
    const tokens = await exchange(clientA, await signInFor(clientA, REDIRECT_A, alice, 'logement', { claims }));
    expect(tokens.claims()!.rep_scope).toEqual(['logement', 'social']);
    expect(tokens.claims()!.demarche).toBe('logement');
  });

  it('refuses rep_scope values no live autorisation covers: nobody to choose, access_denied', async () => {
    const claims = JSON.stringify({ id_token: { rep_scope: { essential: true, values: ['logement', 'travail'] } } });
    const start = await startAuthorization(clientA, REDIRECT_A, { claims });
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    const none = await agent.get(`/partenaires/connexion/${uid}/usager`).expect(200);
    expect(none.text).toContain('Aucun usager possible');
    expect(none.text).toContain('Travail');
    const forced = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(none.text), usager: alice, demarche: 'logement' });
    expect(forced.status).toBe(409);
    const back = await agent.post(`/partenaires/connexion/${uid}/abandon`).type('form').send({ _csrf: csrfOf(none.text), motif: 'aucun_usager' }).expect(200);
    const answer = new URL((await agent.get(refreshTarget(back)).expect(303)).headers.location!);
    expect(answer.searchParams.get('error')).toBe('access_denied');
  });

  it('a suspended aidant is refused mid-interaction', async () => {
    const other = browser(t);
    const suspendedId = await seedAidant(t, { email: 'suspendu@test.example', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    const start = await startAuthorization(clientA, REDIRECT_A);
    const uid = uidOf((await other.get(pathOf(start.url)).expect(303)).headers.location!);
    const page = await other.get(`/partenaires/connexion/${uid}`).expect(200);
    clock.advance(30_000);
    await other.post(`/partenaires/connexion/${uid}/identification`).type('form').send({ _csrf: csrfOf(page.text), email: 'suspendu@test.example', password: TEST_PASSWORD, totp: totpAt(clock) }).expect(303);
    await db.query(`UPDATE aidants SET habilitation_status = 'suspended' WHERE id = $1`, [suspendedId]);
    const res = await other.get(`/partenaires/connexion/${uid}/usager`);
    expect(res.status).toBe(403);
    expect(res.text).toContain('suspendu');
  });

  it('RP-initiated logout returns to the registered post-logout URI only', async () => {
    const tokens = await exchange(clientA, await signInFor(clientA, REDIRECT_A, alice, 'logement'));
    const wrong = oidc.buildEndSessionUrl(clientA, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' });
    const refused = await agent.get(pathOf(wrong));
    expect(refused.status).toBe(400);
    expect(refused.headers.location).toBeUndefined();
  });

  it('signing out through the partner (RP-initiated logout) ends the access tokens bound to that provider session', async () => {
    const c = await registerPartner(t, {
      name: 'Service à déconnexion',
      redirectUris: ['https://deconnexion.example/cb'],
      postLogoutRedirectUris: ['https://deconnexion.example/au-revoir'],
      demarches: ['logement'],
    });
    const clientC = await partnerClient(t.url, c.partner.clientId, c.secret!);
    const tokens = await exchange(clientC, await signInFor(clientC, 'https://deconnexion.example/cb', alice, 'logement'));
    const userinfo = () => request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${tokens.access_token}`);
    expect((await userinfo()).status).toBe(200);
    const end = oidc.buildEndSessionUrl(clientC, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://deconnexion.example/au-revoir' });
    const page = await agent.get(pathOf(end)).expect(200);
    const action = /action="([^"]+)"/.exec(page.text)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)![1]!;
    const done = await agent.post(pathOf(new URL(action, t.url))).type('form').send({ xsrf, logout: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('https://deconnexion.example/au-revoir');
    const refused = await userinfo();
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('invalid_token');
  });

  it('a disabled partner’s access token is refused at userinfo at once, even right after a served call', async () => {
    const c = await registerPartner(t, { name: 'Service éphémère', redirectUris: ['https://ephemere.example/cb'], demarches: ['logement'] });
    const clientC = await partnerClient(t.url, c.partner.clientId, c.secret!);
    const tokens = await exchange(clientC, await signInFor(clientC, 'https://ephemere.example/cb', alice, 'logement'));
    const userinfo = () => request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${tokens.access_token}`);
    expect((await userinfo()).status).toBe(200);
    await t.app.get(TransactionRunner).run((m) => t.app.get(PartnersService).disable(m, c.partner.clientId, { type: 'operator', id: 'test' }));
    const res = await userinfo();
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
  });
});
