import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { ManualClock } from '../../src/clock/clock.js';
import { seedDemoPartner } from '../../src/seed/demo-partner-seed.js';
import { mailedLink, seedAidant, seedStructure, totpAt } from '../support/aidants.js';
import { openMandate, seedUsager } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { launchBrowser, newContext } from './support/browser.js';
import { expectPageProblem } from './support/page-problems.js';
import { afterNavigation, consentAtSimulator, fill, PageAuditor, pathOf, press, submitSignIn, tick } from './support/pages.js';

/**
 * Every page of the service, with seeded data, in Chromium: no serious or
 * critical axe-core violation, no CSP report, French, a title, one h1.
 * Screenshots land in test-artifacts/browser/pages/.
 */
describe('every page in Chromium: accessibility, CSP, structure', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let browser: Browser;
  let structureId: string;
  let otherStructureId: string;
  let aidantId: string;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    browser = await launchBrowser();
    structureId = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    otherStructureId = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    aidantId = await seedAidant(t, { email: 'karim@example.fr', givenName: 'Karim', familyName: 'Benali', memberships: [{ structureId, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'helene@example.fr', givenName: 'Hélène', familyName: 'Marchand', memberships: [{ structureId, roles: ['referent'] }] });
    await seedAidant(t, {
      email: 'thomas@example.fr',
      givenName: 'Thomas',
      familyName: 'Girard',
      memberships: [
        { structureId, roles: ['aidant'] },
        { structureId: otherStructureId, roles: ['aidant', 'referent'] },
      ],
    });
    await seedAidant(t, { email: 'lea@example.fr', givenName: 'Léa', familyName: 'Roux', memberships: [{ structureId: otherStructureId, roles: ['aidant'] }] });
    const usager = await seedUsager(t, { givenName: 'Alice', familyName: 'Durand', birthdate: '1980-06-15' });
    await openMandate(t, { aidantId, structureId, usagerId: usager, demarches: ['logement', 'social'] });
    await seedDemoPartner(t.app, 'test', t.demoPartner!);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A fresh code: the clock moves one TOTP step, since a code is accepted once. */
  function freshCode(): string {
    clock.advance(30_000);
    return totpAt(clock);
  }

  async function signedIn(auditor: PageAuditor, email: string): Promise<Page> {
    const page = await auditor.open(await newContext(browser));
    await page.goto(`${t.url}/aidant/connexion`);
    await submitSignIn(page, email, freshCode());
    return page;
  }

  it('public pages and error pages', async () => {
    const auditor = new PageAuditor('pages', t.url);
    const page = await auditor.open(await newContext(browser));
    await page.goto(`${t.url}/`);
    await auditor.audit(page, 'public-01-accueil');
    await page.goto(`${t.url}/aidant/connexion`);
    await auditor.audit(page, 'public-02-connexion-aidant');
    await submitSignIn(page, 'karim@example.fr', '000000', 'pas le bon mot de passe');
    await auditor.audit(page, 'public-03-connexion-aidant-erreur');
    await page.goto(`${t.url}/aidant/connexion`);
    await press(page, 'Se connecter');
    await auditor.audit(page, 'public-04-connexion-aidant-champs-vides');
    await page.goto(`${t.url}/attestations/verification`);
    await auditor.audit(page, 'public-05-verification-attestation');
    await fill(page, /^Signature électronique/, 'ceci.nest.pas-une-attestation');
    await press(page, 'Vérifier');
    await auditor.audit(page, 'public-06-verification-attestation-invalide');
    await page.goto(`${t.url}/usager`);
    await auditor.audit(page, 'public-07-connexion-usager', ['franceconnect']);
    await page.goto(`${t.url}/accessibilite`);
    await auditor.audit(page, 'public-07b-accessibilite');
    await page.goto(`${t.url}/page-qui-nexiste-pas`);
    await auditor.audit(page, 'public-08-erreur-404');
    await page.goto(`${t.url}/aidant/mandats/pas-un-identifiant`);
    await auditor.audit(page, 'public-09-erreur-connexion-requise');
    await page.goto(`${t.url}/franceconnect/deconnexion`);
    await auditor.audit(page, 'public-10-deconnecte-franceconnect');
    await page.goto(`${t.url}/dev/outbox`);
    await auditor.audit(page, 'public-11-boite-envoi');
    await page.goto(`${t.simulator!.issuer}/authorize?client_id=inconnu`);
    await auditor.audit(page, 'public-12-simulateur-erreur');
    await page.goto(`${t.url}/oidc/authorize?client_id=inconnu&response_type=code&scope=openid`);
    await auditor.audit(page, 'public-13-fournisseur-erreur');
    // Without a session or a partner named, the provider's end-session page still says what each choice ends.
    await page.goto(`${t.url}/oidc/session/end`);
    await auditor.audit(page, 'public-13b-fournisseur-deconnecte');
    // A 5xx-class page: FranceConnect's token endpoint fails during a usager's sign-in.
    expectPageProblem(/\/franceconnect\/callback\?/);
    await page.goto(`${t.url}/usager`);
    await press(page, /S’identifier avec FranceConnect/);
    await press(page, /^Scénario : erreur 500/);
    if (pathOf(page).includes('/interaction/')) await press(page, /^Continuer sur/);
    await auditor.audit(page, 'public-14-erreur-franceconnect');
    expect(auditor.problems).toEqual([]);
  }, 180_000);

  it('the aidant: dashboard, the mandate wizard, the mandate, its attestation and its verification', async () => {
    const auditor = new PageAuditor('pages', t.url);
    const page = await signedIn(auditor, 'karim@example.fr');
    expect(pathOf(page)).toBe('/aidant');
    await auditor.audit(page, 'aidant-01-tableau-de-bord');
    await press(page, 'Nouveau mandat');
    await auditor.audit(page, 'aidant-02-mandat-etape-1', ['breadcrumb', 'stepper']);
    await press(page, 'Continuer');
    await auditor.audit(page, 'aidant-03-mandat-etape-1-erreurs', ['breadcrumb', 'stepper']);
    await tick(page, 'Logement');
    await tick(page, /^Argent/);
    await tick(page, '1 an');
    await press(page, 'Continuer');
    await auditor.audit(page, 'aidant-04-mandat-etape-2', ['breadcrumb', 'stepper', 'franceconnect']);
    await press(page, /S’identifier avec FranceConnect/);
    await consentAtSimulator(page, /^Angela/, (step) => auditor.audit(page, `aidant-05-simulateur-${step}`));
    expect(pathOf(page)).toBe('/aidant/mandats/nouveau/recapitulatif');
    await auditor.audit(page, 'aidant-06-mandat-etape-3', ['breadcrumb', 'stepper']);
    await press(page, 'Créer le mandat');
    await auditor.audit(page, 'aidant-07-mandat-etape-3-erreurs', ['breadcrumb', 'stepper']);
    await tick(page, /^Je déclare/);
    await fill(page, /^Votre code à usage unique/, freshCode());
    await press(page, 'Créer le mandat');
    expect(pathOf(page)).toMatch(/^\/aidant\/mandats\/[0-9a-f-]{36}$/);
    await auditor.audit(page, 'aidant-08-mandat-cree', ['breadcrumb']);
    const mandatePath = pathOf(page);
    await press(page, 'Imprimer l’attestation');
    await auditor.audit(page, 'aidant-09-attestation', ['breadcrumb']);
    const jws = /[\w-]+\.[\w-]+\.[\w-]+/.exec((await page.locator('.attestation-jws').first().textContent()) ?? '')?.[0];
    expect(jws).toBeDefined();
    await page.goto(`${t.url}/attestations/verification?jws=${jws}`);
    await auditor.audit(page, 'aidant-10-attestation-verifiee');
    await page.goto(`${t.url}${mandatePath}/renouvellement`);
    await auditor.audit(page, 'aidant-11-renouvellement', ['breadcrumb']);
    await press(page, 'Renouveler le mandat');
    await auditor.audit(page, 'aidant-12-renouvellement-erreurs', ['breadcrumb']);
    await page.goto(`${t.url}/aidant/reauthentification?suite=${encodeURIComponent(mandatePath)}`);
    await auditor.audit(page, 'aidant-13-reauthentification');
    await page.goto(`${t.url}${mandatePath}`);
    await press(page, /^Révoquer cette démarche/);
    await auditor.audit(page, 'aidant-14a-confirmation-revocation-demarche', ['breadcrumb']);
    await page.goto(`${t.url}${mandatePath}`);
    await press(page, 'Révoquer tout le mandat');
    await auditor.audit(page, 'aidant-14b-confirmation-revocation', ['breadcrumb']);
    await press(page, 'Confirmer la révocation du mandat');
    await auditor.audit(page, 'aidant-14-revocation-sans-motif', ['breadcrumb']);
    await page.getByLabel('Motif').selectOption({ index: 1 });
    await press(page, 'Confirmer la révocation du mandat');
    await auditor.audit(page, 'aidant-15-mandat-revoque', ['breadcrumb']);
    await press(page, 'Imprimer l’attestation de révocation');
    await auditor.audit(page, 'aidant-16-attestation-revocation', ['breadcrumb']);
    await page.goto(`${t.url}/aidant?nom=Durand`);
    await auditor.audit(page, 'aidant-17-recherche');
    await page.goto(`${t.url}/structure`);
    await auditor.audit(page, 'aidant-18-erreur-403');
    await page.goto(`${t.url}/aidant`);
    await press(page, 'Se déconnecter');
    await auditor.audit(page, 'aidant-19-deconnecte');
    expect(auditor.problems).toEqual([]);
  }, 240_000);

  it('the référent: aidants, invitation, activation, dashboard, journal, entry, verification', async () => {
    const auditor = new PageAuditor('pages', t.url);
    const page = await signedIn(auditor, 'helene@example.fr');
    await page.goto(`${t.url}/structure/aidants`);
    await auditor.audit(page, 'referent-01-aidants', ['breadcrumb']);
    await press(page, /^Suspendre/);
    await auditor.audit(page, 'referent-01b-confirmation-suspension', ['breadcrumb']);
    await press(page, 'Annuler');
    expect(pathOf(page)).toBe('/structure/aidants');
    await press(page, 'Créer l’invitation');
    await auditor.audit(page, 'referent-02-invitation-erreurs', ['breadcrumb']);
    await fill(page, /^Adresse électronique/, 'nadia@example.fr');
    await fill(page, 'Prénom', 'Nadia');
    await fill(page, 'Nom', 'Haddad');
    await press(page, 'Créer l’invitation');
    await auditor.audit(page, 'referent-03-invitation-creee', ['breadcrumb']);
    // The link goes to the person by mail (kept in the outbox here), not on the référent's page.
    expect(await page.locator('code').count()).toBe(0);
    const link = `${t.url}${await mailedLink(t, 'nadia@example.fr', 'invitation')}`;

    const invited = await auditor.open(await newContext(browser));
    await invited.goto(link);
    await auditor.audit(invited, 'referent-04-activation');
    await press(invited, 'Activer mon compte');
    await auditor.audit(invited, 'referent-05-activation-erreurs');
    const secret = (await invited.locator('code').first().textContent())!.replace(/\s+/g, '');
    await fill(invited, /^Mot de passe/, 'Une phrase de passe assez longue 2026');
    await fill(invited, /^Confirmez le mot de passe/, 'Une phrase de passe assez longue 2026');
    clock.advance(30_000);
    await fill(invited, /^Code affiché par votre application/, TOTP.generate({ secret: Secret.fromBase32(secret), period: 30, digits: 6, timestamp: clock.nowMs() }));
    await press(invited, 'Activer mon compte');
    await auditor.audit(invited, 'referent-06-compte-active');

    await page.goto(`${t.url}/structure`);
    await auditor.audit(page, 'referent-07-tableau-de-bord');
    await page.goto(`${t.url}/structure/journal`);
    await auditor.audit(page, 'referent-08-journal', ['breadcrumb']);
    await page.goto(`${t.url}/structure/journal?du=hier&taille=9999`);
    await auditor.audit(page, 'referent-09-journal-erreurs', ['breadcrumb']);
    await page.goto(`${t.url}/structure/journal`);
    await afterNavigation(page, () => page.locator('#journal-entries a').first().click());
    await auditor.audit(page, 'referent-10-entree', ['breadcrumb']);
    await page.goto(`${t.url}/structure/journal/verification`);
    await auditor.audit(page, 'referent-11-verification', ['breadcrumb']);
    await press(page, 'Lancer la vérification');
    await auditor.audit(page, 'referent-12-verification-lancee', ['breadcrumb']);
    expect(auditor.problems).toEqual([]);
  }, 180_000);

  it('an aidant of two structures chooses one', async () => {
    const auditor = new PageAuditor('pages', t.url);
    const page = await signedIn(auditor, 'thomas@example.fr');
    expect(pathOf(page)).toBe('/aidant/structure');
    await auditor.audit(page, 'structures-01-choix');
    expect(auditor.problems).toEqual([]);
  }, 120_000);

  it('the aidant’s account: password change and sessions', async () => {
    const auditor = new PageAuditor('pages', t.url);
    await signedIn(auditor, 'lea@example.fr');
    const page = await signedIn(auditor, 'lea@example.fr');
    await press(page, 'Mot de passe');
    expect(pathOf(page)).toBe('/aidant/mot-de-passe');
    await auditor.audit(page, 'compte-01-mot-de-passe');
    await fill(page, 'Mot de passe actuel', 'Procuration-test-2026');
    await fill(page, /^Code à usage unique/, freshCode());
    await fill(page, /^Nouveau mot de passe/, 'password1234');
    await fill(page, 'Confirmez le nouveau mot de passe', 'password1234');
    await press(page, 'Changer le mot de passe');
    await expect(page.getByText('parmi les plus courants').first().isVisible()).resolves.toBe(true);
    await auditor.audit(page, 'compte-02-mot-de-passe-erreurs');
    await press(page, 'Sessions');
    expect(pathOf(page)).toBe('/aidant/sessions');
    await expect(page.getByText('Cette session').first().isVisible()).resolves.toBe(true);
    await auditor.audit(page, 'compte-03-sessions');
    await press(page, 'Terminer toutes les autres sessions');
    await auditor.audit(page, 'compte-04-sessions-terminees');
    expect(auditor.problems).toEqual([]);
  }, 120_000);

  it('the usager: FranceConnect, the space, the journal, signing out', async () => {
    const auditor = new PageAuditor('pages', t.url);
    const page = await auditor.open(await newContext(browser));
    await page.goto(`${t.url}/usager`);
    await press(page, /S’identifier avec FranceConnect/);
    await consentAtSimulator(page, /^Angela/);
    expect(pathOf(page)).toBe('/usager');
    await auditor.audit(page, 'usager-01-espace');
    await page.goto(`${t.url}/usager/journal`);
    await auditor.audit(page, 'usager-02-journal', ['breadcrumb']);
    await page.goto(`${t.url}/usager`);
    await afterNavigation(page, () => page.locator('main').getByRole('button', { name: 'Se déconnecter' }).click());
    if (pathOf(page).endsWith('/session/end')) await press(page, 'Se déconnecter');
    await auditor.audit(page, 'usager-03-deconnecte');
    expect(auditor.problems).toEqual([]);
  }, 120_000);

  it('signing in to a partner with Procuration, and the demo partner pages', async () => {
    const auditor = new PageAuditor('pages', t.url);
    const demo = t.demoPartner!;
    const page = await auditor.open(await newContext(browser));
    await page.goto(`${demo.url}/`);
    await auditor.audit(page, 'partenaire-01-accueil');
    await press(page, 'Se connecter avec Procuration');
    expect(pathOf(page)).toMatch(/^\/partenaires\/connexion\//);
    await auditor.audit(page, 'partenaire-02-connexion');
    await submitSignIn(page, 'karim@example.fr', '000000', 'pas le bon mot de passe');
    await auditor.audit(page, 'partenaire-03-connexion-erreur');
    await submitSignIn(page, 'karim@example.fr', freshCode());
    await auditor.audit(page, 'partenaire-04-usagers', ['stepper']);
    await press(page, 'Continuer');
    await auditor.audit(page, 'partenaire-05-demarches', ['stepper']);
    await press(page, 'Continuer');
    await auditor.audit(page, 'partenaire-06-confirmation', ['stepper']);
    // The page that hands the browser back to the partner moves on by itself (a Refresh header);
    // without it, as for a browser that ignores Refresh, its link must do the same.
    await page.route('**/partenaires/connexion/*/confirmation', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers.refresh;
      return route.fulfill({ response, headers });
    });
    await press(page, /^Confirmer et continuer/);
    await auditor.audit(page, 'partenaire-07-retour-au-partenaire');
    await page.unrouteAll();
    await press(page, 'Continuer vers le service partenaire');
    await page.waitForURL(`${demo.url}/**`);
    await page.waitForLoadState('load');
    await auditor.audit(page, 'partenaire-07-connecte');
    await press(page, 'Se déconnecter');
    await auditor.audit(page, 'partenaire-08-deconnexion');
    // Procuration's logout page: end the partner's sign-in only (the aidant stays signed in to Procuration).
    await press(page, /^Terminer la connexion/);
    await auditor.audit(page, 'partenaire-09-deconnecte');

    // An aidant whose structure has no mandate for this partner's démarches.
    const other = await auditor.open(await newContext(browser));
    await other.goto(`${demo.url}/connexion`);
    await submitSignIn(other, 'lea@example.fr', freshCode());
    await auditor.audit(other, 'partenaire-10-aucun-usager');
    await press(other, 'Revenir au service partenaire');
    await other.waitForURL(`${demo.url}/**`);
    await other.waitForLoadState('load');
    await auditor.audit(other, 'partenaire-11-refus');
    expect(auditor.problems).toEqual([]);
  }, 180_000);

  // Last: Léa then belongs to two structures, which the pages above do not expect.
  it('an aidant of another structure accepts a référent’s invitation', async () => {
    const auditor = new PageAuditor('pages', t.url);
    const referente = await signedIn(auditor, 'helene@example.fr');
    await referente.goto(`${t.url}/structure/aidants`);
    await fill(referente, /^Adresse électronique/, 'lea@example.fr');
    await fill(referente, 'Prénom', 'Léa');
    await fill(referente, 'Nom', 'Roux');
    await press(referente, 'Créer l’invitation');
    expect(await referente.locator('code').count()).toBe(0);
    const page = await signedIn(auditor, 'lea@example.fr');
    await page.goto(`${t.url}${await mailedLink(t, 'lea@example.fr', 'rejoindre')}`);
    await auditor.audit(page, 'rejoindre-01-invitation');
    await press(page, 'Accepter');
    await auditor.audit(page, 'rejoindre-02-acceptee');
    expect(auditor.problems).toEqual([]);
  }, 120_000);
});
