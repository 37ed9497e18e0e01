import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { AidantsService } from '../../src/aidants/aidants.service.js';
import { InvitationsService } from '../../src/aidants/invitations.service.js';
import { TotpDevicesService } from '../../src/aidants/totp-devices.service.js';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { StructuresService } from '../../src/structures/structures.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, csrfOf, freshIp, seedAidant, seedStructure, signIn, totpAt } from '../support/aidants.js';

const OPERATOR = { type: 'operator' as const, id: 'alice' };
const CARD_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('structures, accounts, habilitation, invitations and TOTP cards', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let vesoul: string;
  let run: <T>(fn: (m: EntityManager) => Promise<T>) => Promise<T>;
  let aidants: AidantsService;
  let structures: StructuresService;
  let invitations: InvitationsService;
  let devices: TotpDevicesService;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    const runner = t.app.get(TransactionRunner);
    run = (fn) => runner.run(fn);
    aidants = t.app.get(AidantsService);
    structures = t.app.get(StructuresService);
    invitations = t.app.get(InvitationsService);
    devices = t.app.get(TotpDevicesService);
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
  });
  afterAll(async () => {
    await t.close();
  });

  describe('structures', () => {
    it('creates a structure with all ten démarches by default', async () => {
      const s = await run((m) =>
        structures.create(m, { name: ' CCAS de Lure ', siret: '130 002 960 00016', type: 'ccas', address: 'Lure' }, OPERATOR),
      );
      expect(s).toMatchObject({ name: 'CCAS de Lure', siret: '13000296000016', active: true });
      expect(s.allowedDemarches).toHaveLength(10);
    });

    it.each([
      ['a bad SIRET checksum', { siret: '21700550300017' }, 'siret'],
      ['an unknown type', { type: 'banque' }, 'type'],
      ['an empty name', { name: '  ' }, 'name'],
      ['an unknown démarche', { allowedDemarches: ['papiers', 'casino'] }, 'demarches'],
    ])('refuses %s', async (_label, override, field) => {
      const input = { name: 'X', siret: '13002526500013', type: 'mairie', address: '', ...override };
      await expect(run((m) => structures.create(m, input, OPERATOR))).rejects.toMatchObject({
        status: 400,
        fields: { [field]: expect.any(String) },
      });
    });

    it('refuses a SIRET already registered', async () => {
      const input = { name: 'Doublon', siret: '21700550300016', type: 'mairie', address: '' };
      await expect(run((m) => structures.create(m, input, OPERATOR))).rejects.toMatchObject({ status: 409 });
    });

    it('restricts the démarches to a non-empty subset of the catalogue, in catalogue order', async () => {
      const s = await run((m) => structures.restrictDemarches(m, vesoul, ['logement', 'papiers'], OPERATOR));
      expect(s.allowedDemarches).toEqual(['papiers', 'logement']);
      await expect(run((m) => structures.restrictDemarches(m, vesoul, [], OPERATOR))).rejects.toMatchObject({ status: 400 });
    });
  });

  describe('accounts and habilitation', () => {
    it.each([
      ['a malformed email', { email: 'pas une adresse' }, 'email'],
      ['a name too long', { familyName: 'x'.repeat(101) }, 'familyName'],
      ['letters in the phone', { phone: '06 appelle-moi' }, 'phone'],
    ])('refuses %s', async (_label, override, field) => {
      const input = { email: 'x@y.fr', givenName: 'A', familyName: 'B', ...override };
      await expect(run((m) => aidants.create(m, input, OPERATOR))).rejects.toMatchObject({ fields: { [field]: expect.any(String) } });
    });

    it('stores emails lower-cased and unique', async () => {
      const a = await run((m) => aidants.create(m, { email: 'Lea.Petit@Vesoul.FR', givenName: 'Léa', familyName: 'Petit' }, OPERATOR));
      expect(a.email).toBe('lea.petit@vesoul.fr');
      expect(a.habilitationStatus).toBe('requested');
      await expect(
        run((m) => aidants.create(m, { email: 'LEA.PETIT@vesoul.fr', givenName: 'L', familyName: 'P' }, OPERATOR)),
      ).rejects.toMatchObject({ status: 409 });
    });

    it('follows requested → habilitated → suspended → habilitated → revoked, and revoked is final', async () => {
      const a = await run((m) => aidants.create(m, { email: 'cycle@vesoul.fr', givenName: 'C', familyName: 'Y' }, OPERATOR));
      for (const to of ['habilitated', 'suspended', 'habilitated', 'revoked'] as const) {
        await run((m) => aidants.changeHabilitation(m, a.id, to, OPERATOR));
      }
      const after = await run((m) => aidants.getById(m, a.id));
      expect(after).toMatchObject({ habilitationStatus: 'revoked', statusChangedBy: 'operator:alice' });
      expect(after.habilitatedAt).toBeInstanceOf(Date);
      await expect(run((m) => aidants.changeHabilitation(m, a.id, 'habilitated', OPERATOR))).rejects.toMatchObject({ status: 400 });
    });

    it('keeps at least one référent per structure and one role per membership', async () => {
      const ref = await seedAidant(t, { email: 'seule-referente@vesoul.test', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
      await expect(run((m) => aidants.setRole(m, vesoul, ref, 'referent', false, OPERATOR))).rejects.toMatchObject({ status: 400 });
      await run((m) => aidants.setRole(m, vesoul, ref, 'aidant', true, OPERATOR));
      await expect(run((m) => aidants.setRole(m, vesoul, ref, 'referent', false, OPERATOR))).rejects.toMatchObject({ status: 409 });
    });
  });

  describe('invitations', () => {
    let token: string;

    it('invites a new person: an account awaiting habilitation and a 72 h link', async () => {
      const { aidant, invitation } = await run((m) =>
        invitations.inviteToStructure(
          m,
          vesoul,
          { email: 'nouvelle@vesoul.test', givenName: 'Nina', familyName: 'Rousseau' },
          ['aidant'],
          OPERATOR,
        ),
      );
      expect(aidant.passwordHash).toBeNull();
      expect(invitation!.expiresAt.getTime() - clock.nowMs()).toBe(72 * 3600 * 1000);
      token = invitation!.token;
    });

    it('shows the invitation page with a QR code image and no script', async () => {
      const res = await browser(t).get(`/aidant/invitation?jeton=${token}`).expect(200);
      expect(res.text).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    });

    it('refuses a weak password and a wrong first code, with messages bound to the fields', async () => {
      const agent = browser(t);
      const page = await agent.get(`/aidant/invitation?jeton=${token}`);
      const weak = await agent
        .post('/aidant/invitation')
        .type('form')
        .send({ _csrf: csrfOf(page.text), jeton: token, password: 'Rousseau-2026-nina', confirmation: 'Rousseau-2026-nina', totp: '000000' })
        .expect(400);
      expect(weak.text).toContain('id="password-error"');
      expect(weak.text).toContain('ni votre nom');
      // The same seed is shown again after an error (the app already scanned it).
      expect(/<code>([A-Z2-7 ]+)<\/code>/.exec(weak.text)![1]).toBe(/<code>([A-Z2-7 ]+)<\/code>/.exec(page.text)![1]);
    });

    it('activates the account with a strong password and a code of the enrolled app, once', async () => {
      const agent = browser(t);
      const page = await agent.get(`/aidant/invitation?jeton=${token}`);
      const secret = /<code>([A-Z2-7 ]+)<\/code>/.exec(page.text)![1]!.replace(/ /g, '');
      const wrong = await agent
        .post('/aidant/invitation')
        .type('form')
        .send({ _csrf: csrfOf(page.text), jeton: token, password: 'Une phrase de passe solide', confirmation: 'Une phrase de passe solide', totp: '000000' });
      expect(wrong.status).toBe(400);
      expect(wrong.text).toContain('id="totp-error"');
      const ok = await agent
        .post('/aidant/invitation')
        .type('form')
        .send({
          _csrf: csrfOf(page.text),
          jeton: token,
          password: 'Une phrase de passe solide',
          confirmation: 'Une phrase de passe solide',
          totp: totpAt(clock, secret),
        })
        .expect(200);
      expect(ok.text).toContain('Compte activé');
      const reused = await browser(t).get(`/aidant/invitation?jeton=${token}`).expect(410);
      expect(reused.text).toContain('déjà servi ou a expiré');

      // Not habilitated yet: correct credentials, but no entry.
      clock.advance(30_000);
      const refused = await signIn(browser(t), clock, 'nouvelle@vesoul.test', {
        password: 'Une phrase de passe solide',
        totp: totpAt(clock, secret),
      });
      expect(refused.status).toBe(403);
      const nina = await run((m) => aidants.findByEmail(m, 'nouvelle@vesoul.test'));
      await run((m) => aidants.changeHabilitation(m, nina!.id, 'habilitated', OPERATOR));
      clock.advance(30_000);
      const accepted = await signIn(browser(t), clock, 'nouvelle@vesoul.test', {
        password: 'Une phrase de passe solide',
        totp: totpAt(clock, secret),
      });
      expect(accepted.status).toBe(303);
    });

    it('refuses an expired link with 410 and an unknown one with 404', async () => {
      const { invitation } = await run((m) =>
        invitations.inviteToStructure(m, vesoul, { email: 'tardif@vesoul.test', givenName: 'T', familyName: 'Ard' }, ['aidant'], OPERATOR),
      );
      clock.advance(72 * 3600 * 1000 + 1000);
      await browser(t).get(`/aidant/invitation?jeton=${invitation!.token}`).expect(410);
      const agent = browser(t);
      const form = await agent.get('/aidant/connexion');
      const posted = await agent
        .post('/aidant/invitation')
        .type('form')
        .send({ _csrf: csrfOf(form.text), jeton: invitation!.token, password: 'Une phrase de passe solide', confirmation: 'Une phrase de passe solide', totp: '123456' })
        .expect(410);
      expect(posted.text).toContain('déjà servi ou a expiré');
      expect(posted.text).not.toContain('name="password"');
      await browser(t).get(`/aidant/invitation?jeton=${'A'.repeat(43)}`).expect(404);
    });
  });

  describe('TOTP cards', () => {
    let cardOwner: string;

    beforeAll(async () => {
      cardOwner = await seedAidant(t, { email: 'carte@vesoul.test', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
      await run((m) => devices.registerCard(m, { serial: 'GA-000123', seed: CARD_SEED, step: 60 }, OPERATOR));
    });

    it('stores the seed encrypted', async () => {
      const rows: { secret_sealed: string }[] = await run((m) => m.query(`SELECT secret_sealed FROM totp_devices WHERE serial = 'GA-000123'`));
      expect(rows[0]!.secret_sealed).toMatch(/^v1\./);
      expect(rows[0]!.secret_sealed).not.toContain(CARD_SEED);
    });

    it.each([
      ['a duplicate serial', { serial: 'GA-000123', seed: CARD_SEED, step: 60 }, 409],
      ['a 45 s step', { serial: 'GA-9', seed: CARD_SEED, step: 45 }, 400],
      ['a seed that is not base32', { serial: 'GA-10', seed: 'not-base-32!', step: 30 }, 400],
    ])('refuses %s', async (_label, card, status) => {
      await expect(run((m) => devices.registerCard(m, card, OPERATOR))).rejects.toMatchObject({ status });
    });

    it('assigns a card only with a code read on it, then signs in with it', async () => {
      await expect(
        run((m) => devices.assignCard(m, vesoul, cardOwner, 'GA-000123', '000000', OPERATOR)),
      ).rejects.toMatchObject({ status: 400 });
      await run((m) => devices.assignCard(m, vesoul, cardOwner, 'GA-000123', totpAt(clock, CARD_SEED, 60), OPERATOR));
      clock.advance(60_000);
      const res = await signIn(browser(t), clock, 'carte@vesoul.test', { totp: totpAt(clock, CARD_SEED, 60) });
      expect(res.status).toBe(303);
      await expect(
        run((m) => devices.assignCard(m, vesoul, cardOwner, 'GA-000123', totpAt(clock, CARD_SEED, 60), OPERATOR)),
      ).rejects.toMatchObject({ status: 409 });
    });

    it('re-synchronises a drifted card from two consecutive codes', async () => {
      const ahead = new ManualClock(new Date(clock.nowMs() + 9 * 60_000));
      const drifted = () => totpAt(ahead, CARD_SEED, 60);
      clock.advance(60_000);
      ahead.advance(60_000);
      expect((await signIn(browser(t), clock, 'carte@vesoul.test', { totp: drifted(), ip: freshIp() })).status).toBe(401);
      const first = drifted();
      ahead.advance(60_000);
      clock.advance(60_000);
      await run((m) => devices.resynchroniseCard(m, 'GA-000123', first, drifted(), OPERATOR));
      clock.advance(60_000);
      ahead.advance(60_000);
      expect((await signIn(browser(t), clock, 'carte@vesoul.test', { totp: drifted() })).status).toBe(303);
    });

    it('refuses the codes of a revoked card', async () => {
      clock.advance(60_000);
      await run((m) => devices.revokeCard(m, 'GA-000123', OPERATOR));
      const res = await signIn(browser(t), clock, 'carte@vesoul.test', { totp: totpAt(clock, CARD_SEED, 60) });
      expect(res.status).toBe(401);
    });
  });
});
