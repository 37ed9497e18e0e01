import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AidantsService } from '../../src/aidants/aidants.service.js';
import { InvitationsService } from '../../src/aidants/invitations.service.js';
import { runOperatorCommand } from '../../src/cli/operator-commands.js';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, freshIp, journalOf, postForm, seedAidant, seedStructure, signIn, TEST_PASSWORD } from '../support/aidants.js';

/** What the aidants module writes in the journal, and what it never writes there. */
describe('aidants journal entries', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let vesoul: string;
  let gray: string;
  let karim: string;
  let helene: string;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    helene = await seedAidant(t, { email: 'helene@vesoul.test', memberships: [{ structureId: vesoul, roles: ['aidant', 'referent'] }] });
    karim = await seedAidant(t, {
      email: 'karim@vesoul.test',
      memberships: [
        { structureId: vesoul, roles: ['aidant'] },
        { structureId: gray, roles: ['aidant'] },
      ],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('journals structure creation and habilitation in the structure’s chain', async () => {
    const created = await journalOf(t, 'structure.created');
    expect(created.map((e) => e.chain)).toEqual([vesoul, gray]);
    const habilitation = await journalOf(t, 'aidant.habilitation_changed');
    expect(habilitation).toContainEqual(
      expect.objectContaining({ chain: vesoul, aidant_id: helene, details: { from: 'requested', to: 'habilitated' } }),
    );
    // An aidant of two structures: the change is in both chains.
    expect(habilitation.filter((e) => e.aidant_id === karim).map((e) => e.chain).sort()).toEqual([vesoul, gray].sort());
  });

  it('journals a sign-in in each structure with the request facts', async () => {
    clock.advance(30_000);
    const ip = freshIp();
    expect((await signIn(browser(t), clock, 'helene@vesoul.test', { ip })).status).toBe(303);
    expect(await journalOf(t, 'aidant.signed_in')).toEqual([
      expect.objectContaining({
        chain: vesoul,
        actor_type: 'aidant',
        actor_id: helene,
        aidant_id: helene,
        ip,
        details: { method: 'password+totp', currentStructure: true },
      }),
    ]);
  });

  it('journals a failure for an unknown email in the national chain, with no personal data', async () => {
    clock.advance(30_000);
    await signIn(browser(t), clock, 'inconnue.dupont@nulle-part.test', { password: 'Secret-tres-secret-42' });
    const [entry, ...others] = await journalOf(t, 'aidant.sign_in_failed');
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ chain: 'national', actor_type: 'system', actor_id: null, aidant_id: null, details: { reason: 'unknown_account' } });
    const text = JSON.stringify(entry);
    expect(text).not.toContain('dupont');
    expect(text).not.toContain('Secret-tres-secret-42');
  });

  it('journals a wrong password and a lock in the aidant’s chains, never the password or the code', async () => {
    clock.advance(30_000);
    const ip = freshIp();
    for (let i = 0; i < 5; i++) await signIn(browser(t), clock, 'helene@vesoul.test', { password: 'Mauvais-mot-de-passe-1', totp: '123456', ip });
    const failures = (await journalOf(t, 'aidant.sign_in_failed')).filter((e) => e.aidant_id === helene);
    expect(failures).toHaveLength(5);
    expect(failures.every((e) => e.chain === vesoul && (e.details as { reason: string }).reason === 'bad_password')).toBe(true);
    const locks = await journalOf(t, 'aidant.locked');
    expect(locks.map((e) => (e.details as { scope: string }).scope).sort()).toEqual(['account', 'ip']);
    const text = JSON.stringify([...failures, ...locks]);
    expect(text).not.toContain('Mauvais-mot-de-passe-1');
    expect(text).not.toContain('123456');
    await signIn(browser(t), clock, 'helene@vesoul.test', { password: TEST_PASSWORD });
    expect((await journalOf(t, 'aidant.sign_in_failed')).at(-1)!.details).toEqual({ reason: 'locked' });
    clock.advance(16 * 60_000);
  });

  it('journals a structure switch and the sign-out, and nothing for a refused CSRF token', async () => {
    clock.advance(30_000);
    const agent = browser(t);
    await signIn(agent, clock, 'karim@vesoul.test');
    await postForm(agent, '/aidant/structure', '/aidant/structure', { structure: gray });
    expect(await journalOf(t, 'aidant.structure_switched')).toEqual([
      expect.objectContaining({ chain: gray, actor_id: karim, details: { from: null, to: gray } }),
    ]);
    const before = (await journalOf(t, 'aidant.signed_out')).length;
    await agent.post('/aidant/deconnexion').type('form').send({ _csrf: 'x'.repeat(43) }).expect(403);
    expect(await journalOf(t, 'aidant.signed_out')).toHaveLength(before);
    await postForm(agent, '/aidant', '/aidant/deconnexion', {});
    expect((await journalOf(t, 'aidant.signed_out')).at(-1)).toMatchObject({ chain: gray, actor_id: karim, details: { reason: 'user' } });
  });

  it('journals an idle timeout', async () => {
    clock.advance(30_000);
    const agent = browser(t);
    await signIn(agent, clock, 'helene@vesoul.test');
    clock.advance(31 * 60_000);
    await agent.get('/aidant').expect(401);
    expect((await journalOf(t, 'aidant.signed_out')).at(-1)).toMatchObject({ chain: vesoul, actor_type: 'system', details: { reason: 'idle_timeout' } });
  });

  it('journals the référent’s actions with the référent as actor', async () => {
    clock.advance(30_000);
    const agent = browser(t);
    await signIn(agent, clock, 'helene@vesoul.test');
    await postForm(agent, '/structure/aidants', `/structure/aidants/${karim}/suspension`, {});
    await postForm(agent, '/structure/aidants', `/structure/aidants/${karim}/reactivation`, {});
    await postForm(agent, '/structure/aidants', `/structure/aidants/${karim}/referent`, {});
    await postForm(agent, '/structure/aidants', '/structure/demarches', { demarches: ['papiers'] });
    await postForm(agent, '/structure/aidants', '/structure/aidants/invitation', { email: 'noe@vesoul.test', givenName: 'Noé', familyName: 'V', roles: 'aidant' });
    const entries = await journalOf(t, 'aidant.suspended', 'aidant.reactivated', 'aidant.role_changed', 'structure.demarches_restricted', 'aidant.invited');
    const byHelene = entries.filter((e) => e.actor_id === helene);
    expect(byHelene.map((e) => e.action)).toEqual([
      'aidant.suspended',
      'aidant.reactivated',
      'aidant.role_changed',
      'structure.demarches_restricted',
      'aidant.invited',
    ]);
    expect(byHelene.every((e) => e.chain === vesoul)).toBe(true);
    expect(byHelene[2]!.details).toEqual({ before: ['aidant'], after: ['aidant', 'referent'] });
    expect(JSON.stringify(byHelene[4])).not.toContain('noe@vesoul.test');
  });

  it('journals operator commands with the operator as actor', async () => {
    const out: string[] = [];
    const code = await runOperatorCommand(t.app, ['aidant:suspend', 'karim@vesoul.test'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      publicUrl: 'http://localhost',
      operator: 'alice',
    });
    expect(code).toBe(0);
    const last = (await journalOf(t, 'aidant.habilitation_changed')).filter((e) => e.aidant_id === karim).slice(-2);
    expect(last.map((e) => [e.actor_type, e.actor_id, e.details])).toEqual([
      ['operator', 'alice', { from: 'habilitated', to: 'suspended' }],
      ['operator', 'alice', { from: 'habilitated', to: 'suspended' }],
    ]);
  });

  it('writes nothing when the journal fails half-way through a use case', async () => {
    const journal = t.app.get(JournalService);
    const spy = jest.spyOn(journal, 'append').mockRejectedValueOnce(new Error('journal down'));
    try {
      await expect(
        t.app.get(TransactionRunner).run((m) =>
          t.app.get(InvitationsService).inviteToStructure(m, vesoul, { email: 'perdu@vesoul.test', givenName: 'P', familyName: 'D' }, ['aidant'], { type: 'operator', id: 'alice' }),
        ),
      ).rejects.toThrow('journal down');
    } finally {
      spy.mockRestore();
    }
    const db = t.app.get(DataSource);
    expect(await db.query(`SELECT count(*)::int AS n FROM aidants WHERE email = 'perdu@vesoul.test'`)).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM invitations i JOIN aidants a ON a.id = i.aidant_id WHERE a.email = 'perdu@vesoul.test'`)).toEqual([{ n: 0 }]);
    const status = await t.app.get(TransactionRunner).run((m) => t.app.get(AidantsService).findByEmail(m, 'perdu@vesoul.test'));
    expect(status).toBeNull();
  });
});
