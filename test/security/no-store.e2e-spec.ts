import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { InvitationsService } from '../../src/aidants/invitations.service.js';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { browser, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { openMandate, seedUsager } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, usagerBrowser } from '../support/usagers.js';

/**
 * Finding 5 (ASVS 14.3.2): pages behind a session and pages showing a secret
 * are never kept by a browser or a shared cache (`no-store`); public static
 * assets and the public keys keep their cache lifetime.
 */
describe('no-store on personal and secret pages', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let referente: TestAgent;
  let mandateId: string;
  let aidantId: string;
  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    const structureId = (await seedStructure(t, 'Mairie de Test', '21700550300016')).id;
    aidantId = await seedAidant(t, { email: 'referente@test.example', memberships: [{ structureId, roles: ['aidant', 'referent'] }] });
    const usagerId = await seedUsager(t);
    mandateId = (await openMandate(t, { aidantId, structureId, usagerId, demarches: ['logement'] })).id;
    referente = browser(t);
    expect((await signIn(referente, clock, 'referente@test.example')).status).toBe(303);
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    '/aidant',
    '/aidant/mandats/nouveau',
    '/structure',
    '/structure/aidants',
    '/structure/journal',
    '/structure/journal/verification',
  ])('%s is no-store', async (path) => {
    const res = await referente.get(path);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('the mandate, its attestation and the journal export are no-store', async () => {
    for (const path of [`/aidant/mandats/${mandateId}`, `/aidant/mandats/${mandateId}/attestation`, '/structure/journal/export?format=csv']) {
      const res = await referente.get(path);
      expect([path, res.status]).toEqual([path, 200]);
      expect([path, res.headers['cache-control']]).toEqual([path, 'no-store']);
    }
  });

  it('the invitation page that shows a new TOTP seed is no-store', async () => {
    const invited = await seedAidant(t, { email: 'invitee@test.example', memberships: [] });
    const { token } = await t.app.get(TransactionRunner).run((m) => t.app.get(InvitationsService).issue(m, invited));
    const res = await request(t.url).get(`/aidant/invitation?jeton=${token}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("Saisissez cette clé");
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('the usager’s space and journal are no-store', async () => {
    const usager = usagerBrowser();
    const space = await signInAsUsager(t, usager, 'angela');
    expect(space.url).toBe(`${t.url}/usager`);
    expect(space.headers.get('cache-control')).toBe('no-store');
    const journal = await usager.get(`${t.url}/usager/journal`);
    expect(journal.status).toBe(200);
    expect(journal.headers.get('cache-control')).toBe('no-store');
  });

  it('sign-in and error pages are no-store too (dynamic by default)', async () => {
    for (const path of ['/aidant/connexion', '/nulle-part', '/']) {
      expect([path, (await request(t.url).get(path)).headers['cache-control']]).toEqual([path, 'no-store']);
    }
  });

  it('static assets and the public keys stay cacheable', async () => {
    const css = await request(t.url).get('/dsfr/dsfr.min.css').expect(200);
    expect(css.headers['cache-control']).toMatch(/^public, max-age=\d+/);
    const keys = await request(t.url).get('/.well-known/procuration/jwks.json').expect(200);
    expect(keys.headers['cache-control']).toBe('public, max-age=300');
  });
});
