import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { runOperatorCommand } from '../../src/cli/operator-commands.js';
import { ManualClock } from '../../src/clock/clock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, seedAidant, signIn, totpAt } from '../support/aidants.js';

describe('operator CLI', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'procuration-cli-'));

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOperatorCommand(t.app, argv, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      publicUrl: 'https://procuration.example.fr',
      operator: 'alice',
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  async function rows(sql: string): Promise<Record<string, unknown>[]> {
    return t.app.get(DataSource).query(sql);
  }

  it('creates a structure', async () => {
    const r = await cli('structure:create', '--name', 'Mairie de Lure', '--siret', '21700550300016', '--type', 'mairie', '--address', '1 rue X', '--demarches', 'papiers,logement');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('Structure créée : Mairie de Lure');
    expect(await rows(`SELECT allowed_demarches FROM structures`)).toEqual([{ allowed_demarches: ['papiers', 'logement'] }]);
  });

  it.each([
    [['structure:create', '--name', 'X', '--siret', '123', '--type', 'mairie', '--address', ''], 'siret'],
    [['structure:create', '--name', 'X', '--siret', '21700550300016', '--type', 'mairie', '--address', ''], 'existe déjà'],
    [['aidant:add', '--structure', '13002526500013', '--email', 'a@b.fr', '--given-name', 'A', '--family-name', 'B'], 'Aucune structure'],
    [['aidant:add', '--structure', '21700550300016', '--email', 'a@b.fr', '--given-name', 'A', '--family-name', 'B', '--roles', 'chef'], 'roles'],
    [['aidant:habilitate', 'personne@nulle-part.fr'], 'Aucun aidant'],
    [['cards:import', '/nulle/part.csv'], 'Impossible de lire'],
  ])('refuses %j with a French message and exit code 1', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
  });

  it('answers an unknown command or option with the usage and exit code 2', async () => {
    expect((await cli('structure:delete')).code).toBe(2);
    expect((await cli('structure:create', '--colour', 'red')).err).toContain('Option invalide');
  });

  it('adds an aidant with roles and prints a one-time invitation link', async () => {
    const r = await cli('aidant:add', '--structure', '217 005 503 00016', '--email', 'Referente@Lure.fr', '--given-name', 'Rose', '--family-name', 'Lenoir', '--roles', 'aidant,referent');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/https:\/\/procuration\.example\.fr\/aidant\/invitation\?jeton=[A-Za-z0-9_-]{43}/);
    expect(r.out).toContain('conservé dans la boîte d’envoi');
    expect(await rows(`SELECT roles FROM memberships`)).toEqual([{ roles: ['aidant', 'referent'] }]);
  });

  it('habilitates, suspends and revokes, refusing what cannot follow', async () => {
    expect((await cli('aidant:habilitate', 'referente@lure.fr')).out).toContain('habilitated');
    expect((await cli('aidant:suspend', 'referente@lure.fr')).out).toContain('suspended');
    expect((await cli('aidant:habilitate', 'referente@lure.fr')).code).toBe(0);
    expect((await cli('aidant:revoke', 'referente@lure.fr')).out).toContain('revoked');
    const again = await cli('aidant:habilitate', 'referente@lure.fr');
    expect(again.code).toBe(1);
    expect(await rows(`SELECT habilitation_status, status_changed_by FROM aidants`)).toEqual([
      { habilitation_status: 'revoked', status_changed_by: 'operator:alice' },
    ]);
  });

  it('imports TOTP cards from a CSV file, all or nothing', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'serial,seed,step\nC-1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30\nC-2,GEZDGNBVGY3TQOJQ,45\n');
    const refused = await cli('cards:import', bad);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('ligne 3');
    expect(await rows(`SELECT count(*)::int AS n FROM totp_devices`)).toEqual([{ n: 0 }]);
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'serial,seed,step\nC-1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30\r\nC-2,MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U,60\n\n');
    expect((await cli('cards:import', good)).out).toContain('2 carte(s) enregistrée(s)');
    expect(await rows(`SELECT serial, step, aidant_id FROM totp_devices ORDER BY serial`)).toEqual([
      { serial: 'C-1', step: 30, aidant_id: null },
      { serial: 'C-2', step: 60, aidant_id: null },
    ]);
    expect((await cli('card:revoke', 'C-2')).code).toBe(0);
    expect((await cli('card:revoke', 'C-2')).code).toBe(1);
  });

  it('resets a password with a new invitation link that replaces the previous one', async () => {
    await cli('aidant:add', '--structure', '21700550300016', '--email', 'oubli@lure.fr', '--given-name', 'Olga', '--family-name', 'Bli');
    const first = await cli('aidant:reset-password', 'oubli@lure.fr');
    const second = await cli('aidant:reset-password', 'oubli@lure.fr');
    const link = (text: string) => /\/aidant\/invitation\?jeton=[A-Za-z0-9_-]+/.exec(text)![0];
    await browser(t).get(link(first.out)).expect(410);
    await browser(t).get(link(second.out)).expect(200);
    expect((await cli('aidant:reset-password', 'inconnu@lure.fr')).code).toBe(1);
  });

  it('closes a structure: its habilitated aidants can no longer sign in, until it reopens', async () => {
    const structures = (await rows(`SELECT id FROM structures WHERE siret = '21700550300016'`)) as { id: string }[];
    await seedAidant(t, { email: 'ferme@lure.fr', memberships: [{ structureId: structures[0]!.id, roles: ['aidant'] }] });
    expect((await cli('structure:deactivate', '21700550300016')).out).toContain('fermée');
    clock.advance(30_000);
    const refused = await signIn(browser(t), clock, 'ferme@lure.fr');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('Aucune de vos structures n’est active');
    expect((await cli('structure:activate', '21700550300016')).out).toContain('ouverte');
    clock.advance(30_000);
    expect((await signIn(browser(t), clock, 'ferme@lure.fr')).status).toBe(303);
  });

  it('re-synchronises a card from two consecutive codes', async () => {
    const seed = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const ahead = new ManualClock(new Date(clock.nowMs() + 20 * 30_000));
    const first = totpAt(ahead, seed);
    ahead.advance(30_000);
    expect((await cli('card:resync', 'C-1', first, totpAt(ahead, seed))).out).toContain('re-synchronisée');
    expect((await cli('card:resync', 'C-1', first, totpAt(ahead, seed))).code).toBe(1);
  });
});
