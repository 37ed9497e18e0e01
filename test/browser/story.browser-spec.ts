import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JWK } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ManualClock } from '../../src/clock/clock.js';
import { verifyExportLines } from '../../src/journal/export/export-format.js';
import { verifierFromKey } from '../../src/journal/notes/note.verifiers.js';
import { verifyProofBundle } from '../../src/journal/proofs/proof-bundle.js';
import { seedDemoPartner } from '../../src/seed/demo-partner-seed.js';
import { runDemoSeed } from '../../src/seed/demo-seed.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ARTIFACTS_DIR, launchBrowser, newContext, screenshot } from './support/browser.js';
import { clickAndWait, decodeQr, fillSignIn, linesOf, nextTotp, pdfFacts, StoryRecorder, tick, visibleText } from './support/story.js';

const SUITE = 'story';
const AIDANT = 'aidant@demo.procuration.test';
const REFERENTE = 'referente@demo.procuration.test';

/**
 * The whole story of issue "Browser", in Chromium, on the real app seeded as
 * `npm start` seeds it (demo structures and accounts, demo partner), with the
 * FranceConnect simulator and the demo partner running beside it. One test:
 * each step needs the previous one. Screenshots: test-artifacts/browser/story/
 * (docs/tour.md describes each).
 *
 * Here the app, the simulator and the demo partner all answer on 127.0.0.1
 * (different ports), and browsers do not scope cookies by port: the app's
 * provider face and the simulator, both oidc-provider, use the same cookie
 * names. The story passes through them one after the other (the simulator's
 * session ends with the usager's FranceConnect logout before the partner
 * sign-in starts, and the usager signs in to /usager on another device), so
 * they do not collide here; `npm start` keeps them apart anyway (localhost
 * for the app and the demo partner, 127.0.0.1 for the simulator).
 */
describe('the whole story in Chromium', () => {
  const clock = new ManualClock();
  const story = new StoryRecorder(SUITE);
  let t: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp({}, { clock }), launchBrowser()]);
    await runDemoSeed(t.app, 'test');
    await seedDemoPartner(t.app, 'test', t.demoPartner!);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.close();
  });

  /** A new device: its own cookies, a page watched for CSP reports. */
  async function device(): Promise<Page> {
    const context = await newContext(browser);
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    return story.watch(await context.newPage());
  }

  it('from the counter to the référente’s verified journal', async () => {
    try {
      await theStory();
    } catch (error) {
      // Where each device stood when the story broke, for the person reading the CI artifacts.
      const where: string[] = [];
      for (const [i, context] of contexts.entries()) {
        for (const page of context.pages()) {
          where.push(`device ${i + 1}: ${page.url()}`);
          await screenshot(page, SUITE, `echec-appareil-${i + 1}`).catch(() => undefined);
        }
      }
      throw new Error(`the story broke (${where.join(', ')}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }, 150_000);

  async function theStory(): Promise<void> {
    const app = t.url;
    const partner = t.demoPartner!.url;
    const simulator = new URL(t.config.franceConnect.issuer!).origin;

    // 1. The aidant signs in with password and TOTP code.
    const counter = await device();
    await counter.goto(`${app}/aidant/connexion`);
    await story.record(counter, 'connexion-aidant');
    await fillSignIn(counter, AIDANT, clock);
    expect(new URL(counter.url()).pathname).toBe('/aidant');
    await story.record(counter, 'tableau-de-bord-aidant');

    // 2. A `long` mandate for logement and social, through the wizard.
    await counter.goto(`${app}/aidant/mandats/nouveau`);
    await tick(counter.getByLabel('Logement', { exact: true }));
    await tick(counter.getByLabel('Social – Santé'));
    await tick(counter.getByLabel('1 an'));
    await story.record(counter, 'mandat-demarches-et-duree');
    await clickAndWait(counter, counter.getByRole('button', { name: 'Continuer' }));
    expect(new URL(counter.url()).pathname).toBe('/aidant/mandats/nouveau/franceconnect');
    await story.record(counter, 'mandat-franceconnect');

    // 3. The usager picks an identity at the FranceConnect simulator, at the counter.
    await clickAndWait(counter, counter.getByRole('button', { name: /S’identifier avec FranceConnect/ }), (u) => u.origin === simulator);
    await story.record(counter, 'simulateur-identites');
    await clickAndWait(counter, counter.locator('button[name="identity"][value="angela"]'));
    await story.record(counter, 'simulateur-transmission');
    await clickAndWait(counter, counter.locator('button[name="decision"][value="continue"]'));
    // Procuration signs the usager out of FranceConnect at once: the simulator asks to confirm, as FranceConnect does.
    expect(new URL(counter.url()).origin).toBe(simulator);
    await story.record(counter, 'simulateur-deconnexion');
    await clickAndWait(counter, counter.locator('button[name="logout"]'), (u) => u.origin === app);

    // 4. The recap, confirmed with a new TOTP code.
    expect(new URL(counter.url()).pathname).toBe('/aidant/mandats/nouveau/recapitulatif');
    const recap = await visibleText(counter);
    expect(recap).toContain('Angela Claire Louise');
    expect(recap).toContain('1 an');
    await tick(counter.getByLabel(/Je déclare que la personne est présente/));
    await counter.getByLabel('Votre code à usage unique').fill(nextTotp(clock));
    await story.record(counter, 'mandat-recapitulatif');
    await clickAndWait(counter, counter.getByRole('button', { name: 'Créer le mandat' }));
    expect(new URL(counter.url()).pathname).toMatch(/^\/aidant\/mandats\/[0-9a-f-]{36}$/);
    expect(await visibleText(counter)).toContain('Le mandat a été créé');
    await story.record(counter, 'mandat-cree');
    const mandatePath = new URL(counter.url()).pathname;

    // 5. The attestation: printed to PDF by the browser; its QR code leads to a verification page that says it is valid.
    await clickAndWait(counter, counter.getByRole('link', { name: 'Imprimer l’attestation' }));
    await story.record(counter, 'attestation');
    await counter.emulateMedia({ media: 'print' });
    const pdf = await counter.pdf({ format: 'A4', printBackground: true });
    await counter.emulateMedia({ media: 'screen' });
    mkdirSync(join(ARTIFACTS_DIR, SUITE), { recursive: true });
    writeFileSync(join(ARTIFACTS_DIR, SUITE, `${String(story.shots.length).padStart(2, '0')}-attestation.pdf`), pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(20_000);
    // The print stylesheet puts each of the two copies on its own sheet.
    expect(pdfFacts(pdf)).toEqual({ pages: 2, title: 'Attestation de mandat – Procuration' });
    // The QR code carries a short link (the attestation's id): it reads from a capture at device scale 1.
    const scanner = await newContext(browser, { width: 1280, height: 900, deviceScaleFactor: 1, storageState: await counter.context().storageState() });
    contexts.push(scanner);
    const sheet = await scanner.newPage();
    await sheet.goto(counter.url());
    const verificationUrl = await decodeQr(sheet.locator('.attestation-qr svg').first());
    expect(verificationUrl).toMatch(new RegExp(`^${app.replace(/[.]/g, '\\.')}/attestations/verification\\?id=[0-9a-f-]{36}$`));
    const phone = await device();
    await phone.goto(verificationUrl!);
    expect(await visibleText(phone)).toContain('Attestation authentique : mandat actif');
    await story.record(phone, 'attestation-verifiee');

    // 6. The aidant signs in to the demo partner "with Procuration", for Angela and `logement`.
    await counter.goto(partner);
    await story.record(counter, 'partenaire-accueil');
    await clickAndWait(counter, counter.getByRole('link', { name: 'Se connecter avec Procuration' }), (u) => u.origin === app);
    expect(new URL(counter.url()).pathname).toMatch(/^\/partenaires\/connexion\/[^/]+\/usager$/);
    await story.record(counter, 'procuration-choix-usager');
    await tick(counter.getByLabel(/Angela Claire Louise/));
    await clickAndWait(counter, counter.getByRole('button', { name: 'Continuer' }));
    await story.record(counter, 'procuration-choix-demarche');
    await tick(counter.getByLabel('Logement', { exact: true }));
    await clickAndWait(counter, counter.getByRole('button', { name: 'Continuer' }));
    await story.record(counter, 'procuration-confirmation');
    // The confirmation answers with a page that moves on by itself (Refresh header, no script).
    await clickAndWait(counter, counter.getByRole('button', { name: /^Confirmer et continuer/ }), (u) => u.origin === partner && u.pathname === '/');
    const signedIn = await visibleText(counter);
    expect(signedIn).toContain('Vous agissez pour Angela Claire Louise DUBOIS en tant que Karim Benali de Médiathèque de Vesoul, démarche : logement');
    expect(signedIn).toContain('Réponse du point userinfo : reçue, même identifiant : oui');
    await story.record(counter, 'partenaire-connecte');

    // 7. The usager, on their own device, signs in to /usager, sees the mandate and its use, and revokes it.
    const home = await device();
    await home.goto(`${app}/usager`);
    await story.record(home, 'usager-accueil');
    await clickAndWait(home, home.getByRole('button', { name: /S’identifier avec FranceConnect/ }), (u) => u.origin === simulator);
    await clickAndWait(home, home.locator('button[name="identity"][value="angela"]'));
    await clickAndWait(home, home.locator('button[name="decision"][value="continue"]'), (u) => u.origin === app);
    expect(new URL(home.url()).pathname).toBe('/usager');
    const space = await visibleText(home);
    expect(space).toContain('Médiathèque de Vesoul');
    expect(space).toMatch(/Logement/);
    expect(space).toMatch(/Social/);
    await story.record(home, 'usager-espace');
    await clickAndWait(home, home.getByRole('link', { name: 'Consulter mon journal' }));
    expect(await visibleText(home)).toContain('Karim Benali a agi pour Angela Claire Louise DUBOIS (épouse MARTIN) sur Démarche de démonstration — Logement (démarche Logement)');
    await story.record(home, 'usager-journal');
    // The proof of that entry, downloaded and checked offline with the published note keys only (docs/journal-proofs.md).
    const [proof] = await Promise.all([
      home.waitForEvent('download'),
      home.locator('.fr-card', { hasText: 'Karim Benali a agi pour' }).first().getByRole('link', { name: 'Télécharger la preuve' }).click(),
    ]);
    const proofFile = join(ARTIFACTS_DIR, SUITE, 'preuve-usager.json');
    await proof.saveAs(proofFile);
    const noteKeys = (await (await fetch(`${app}/.well-known/procuration/journal-note-keys`)).text()).trim().split('\n').map(verifierFromKey);
    expect(verifyProofBundle(JSON.parse(readFileSync(proofFile, 'utf8')), noteKeys).requestFacts).toBe('committed');
    expect(readFileSync(proofFile, 'utf8')).not.toMatch(/"ip"|"userAgent"/);

    // Meanwhile, at the counter, Angela asks Karim to stop the social démarche only: a confirmation page first.
    const desk = story.watch(await counter.context().newPage());
    await desk.goto(`${app}${mandatePath}`);
    await clickAndWait(desk, desk.getByRole('link', { name: 'Révoquer cette démarche (Social – Santé)' }));
    expect(new URL(desk.url()).pathname).toBe(`${mandatePath}/revocation`);
    const demarcheConfirmation = await visibleText(desk);
    expect(demarcheConfirmation).toContain('Angela Claire Louise');
    expect(demarcheConfirmation).toContain('Cette action est définitive');
    expect(demarcheConfirmation).toMatch(/Démarches qui restent autorisées\s*Logement/);
    await desk.getByLabel('Motif de la révocation').selectOption({ label: 'À la demande de la personne accompagnée' });
    await story.record(desk, 'aidant-confirmation-revocation-demarche');
    await clickAndWait(desk, desk.getByRole('button', { name: 'Confirmer la révocation de la démarche' }));
    expect(new URL(desk.url()).pathname).toBe(mandatePath);
    expect(await visibleText(desk)).toContain('La révocation est enregistrée');
    await story.record(desk, 'aidant-demarche-revoquee');
    await desk.close();

    // Back home, Angela revokes what is left of the mandate herself, after its confirmation page.
    await home.goto(`${app}/usager`);
    await clickAndWait(home, home.getByRole('link', { name: /^Révoquer/ }));
    expect(new URL(home.url()).pathname).toMatch(/^\/usager\/mandats\/[0-9a-f-]{36}\/revocation$/);
    const usagerConfirmation = await visibleText(home);
    expect(usagerConfirmation).toContain('Médiathèque de Vesoul');
    expect(usagerConfirmation).toContain('Logement');
    expect(usagerConfirmation).not.toContain('Social');
    expect(usagerConfirmation).toContain('Cette action est définitive');
    await story.record(home, 'usager-confirmation-revocation');
    await clickAndWait(home, home.getByRole('button', { name: 'Confirmer la révocation' }));
    expect(new URL(home.url()).pathname).toBe('/usager');
    expect(await visibleText(home)).toContain('Votre mandat est révoqué');
    await story.record(home, 'usager-mandat-revoque');

    // 8. The partner calls userinfo again with its access token: refused.
    await clickAndWait(counter, counter.getByRole('button', { name: /^Rafraîchir/ }));
    expect(await visibleText(counter)).toContain('Réponse du point userinfo : refusée (invalid_token)');
    await story.record(counter, 'partenaire-userinfo-refuse');

    // 9. The référente finds it all in the journal, exports it, checks it offline and in the app.
    // She starts from the home page's tile; signed out, /structure offers the sign-in, which brings her back there.
    const office = await device();
    await office.goto(`${app}/`);
    await clickAndWait(office, office.getByRole('link', { name: 'Je suis référent' }));
    expect(new URL(office.url()).pathname).toBe('/structure');
    await story.record(office, 'referente-porte');
    await clickAndWait(office, office.locator('main').getByRole('link', { name: 'Se connecter' }));
    expect(new URL(office.url()).pathname).toBe('/aidant/connexion');
    await fillSignIn(office, REFERENTE, clock);
    expect(new URL(office.url()).pathname).toBe('/structure');
    await story.record(office, 'referente-tableau-de-bord');
    await clickAndWait(office, office.locator('main').getByRole('link', { name: 'Journal', exact: true }));
    expect(new URL(office.url()).pathname).toBe('/structure/journal');
    const journal = await visibleText(office);
    for (const fact of [
      'Karim Benali a ouvert un mandat Social – Santé, Logement de 365 jours pour Angela Claire Louise DUBOIS (épouse MARTIN)',
      'Karim Benali a agi pour Angela Claire Louise DUBOIS (épouse MARTIN) sur Démarche de démonstration — Logement (démarche Logement)',
      'Démarche de démonstration — Logement a obtenu l’identité d’Angela Claire Louise DUBOIS (épouse MARTIN)',
      'Angela Claire Louise DUBOIS (épouse MARTIN) a révoqué le mandat d’Angela Claire Louise DUBOIS (épouse MARTIN)',
    ]) {
      expect(journal).toContain(fact);
    }
    await story.record(office, 'referente-journal');
    const [download] = await Promise.all([
      office.waitForEvent('download'),
      office.getByRole('link', { name: /Exporter en JSON Lines/ }).click(),
    ]);
    // The whole chain (not a filtered extract), which ends at a signed checkpoint.
    expect(download.suggestedFilename()).toMatch(/^journal-[0-9a-f-]{36}-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const exported = join(ARTIFACTS_DIR, SUITE, 'journal-structure.jsonl');
    await download.saveAs(exported);
    expect(statSync(exported).size).toBeGreaterThan(0);
    const jwks = (await (await fetch(`${app}/.well-known/procuration/jwks.json`)).json()) as { keys: JWK[] };
    const offline = await verifyExportLines(linesOf(exported), jwks.keys);
    expect(offline).toMatchObject({ ok: true, error: null });
    expect(offline.entries).toBeGreaterThan(5);
    await office.goto(`${app}/structure/journal/verification`);
    await clickAndWait(office, office.getByRole('button', { name: /Lancer la vérification/ }));
    // While it runs the page reloads itself (Refresh header); wait for the verdict.
    await office.locator('#verification-state:not([data-state="running"])').waitFor({ timeout: 20_000 });
    expect(await office.getAttribute('#verification-state', 'data-state')).toBe('ok');
    expect(await visibleText(office)).toContain('Journal intègre');
    await story.record(office, 'referente-verification');

    expect(story.csp).toEqual({});
    expect(story.axe).toEqual({});
  }
});
