import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import superagent from 'superagent';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { MandateRevocationService } from '../../src/mandates/mandate-revocation.service.js';
import { seedDemoPartner } from '../../src/seed/demo-partner-seed.js';
import { csrfOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { openMandate } from '../support/mandates.js';
import { createUsager, refreshTarget, startProviderTestApp, uidOf } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const textOf = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('demo partner service: "Se connecter avec Procuration" end to end', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  beforeAll(async () => {
    t = await startProviderTestApp({}, { clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('signs the aidant in for the usager and shows who acts, for whom, for which démarche', async () => {
    const demo = t.demoPartner!;
    expect((await seedDemoPartner(t.app, 'test', demo)).created).toBe(true);
    expect((await seedDemoPartner(t.app, 'test', demo)).created).toBe(false);
    const structure = await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016');
    const aidantId = await seedAidant(t, { email: 'aidant@test.example', givenName: 'Karim', familyName: 'Benali', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    const usager = await createUsager(t, { givenName: 'Alice', familyName: 'Durand' });
    const mandate = await openMandate(t, { aidantId, structureId: structure.id, usagerId: usager, demarches: ['logement'] });

    const browser = superagent.agent().redirects(0).ok(() => true);
    const home = await browser.get(`${demo.url}/`);
    expect(home.text).toContain('Se connecter avec Procuration');
    const toProvider = await browser.get(`${demo.url}/connexion`);
    expect(toProvider.status).toBe(303);
    const authorized = await browser.get(toProvider.headers.location!);
    const uid = uidOf(authorized.headers.location!);
    const signInPage = await browser.get(`${t.url}/partenaires/connexion/${uid}`);
    expect(signInPage.text).toContain('Démarche de démonstration — Logement');
    await browser
      .post(`${t.url}/partenaires/connexion/${uid}/identification`)
      .type('form')
      .send({ _csrf: csrfOf(signInPage.text), email: 'aidant@test.example', password: TEST_PASSWORD, totp: totpAt(clock) });
    const recap = await browser.get(`${t.url}/partenaires/connexion/${uid}/confirmation?usager=${usager}&demarche=logement`);
    const confirmed = await browser.post(`${t.url}/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(recap.text), usager, demarche: 'logement' });
    const resumed = await browser.get(`${t.url}${refreshTarget(confirmed)}`);
    expect(resumed.headers.location!.startsWith(demo.redirectUri)).toBe(true);
    const callback = await browser.get(resumed.headers.location!);
    expect(callback.status).toBe(303);
    const page = await browser.get(`${demo.url}/`);
    const text = textOf(page.text);
    expect(text).toContain(`Vous agissez pour Alice Durand en tant que Karim Benali de Médiathèque de Vesoul, démarche : logement, mandat : ${mandate.id}`);
    expect(text).toContain('même identifiant : oui');

    // "Rafraîchir": userinfo again with the access token the partner holds; refused once the mandate is revoked.
    expect((await browser.post(`${demo.url}/actualisation`)).status).toBe(303);
    expect(textOf((await browser.get(`${demo.url}/`)).text)).toContain('Réponse du point userinfo : reçue, même identifiant : oui');
    await t.app.get(TransactionRunner).run((m) =>
      t.app.get(MandateRevocationService).revoke(m, {
        mandateId: mandate.id,
        by: { type: 'aidant', aidantId, structureId: structure.id },
        reason: 'fin_accompagnement',
      }),
    );
    expect((await browser.post(`${demo.url}/actualisation`)).status).toBe(303);
    expect(textOf((await browser.get(`${demo.url}/`)).text)).toContain('Réponse du point userinfo : refusée (invalid_token)');

    const signOut = await browser.post(`${demo.url}/deconnexion`);
    expect(signOut.status).toBe(303);
    expect(signOut.headers.location).toContain(`${t.url}/oidc/session/end`);
  });
});
