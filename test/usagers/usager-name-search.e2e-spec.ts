import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import type { VerifiedIdentity } from '../../src/franceconnect/franceconnect.types.js';
import { matchesUsager } from '../../src/supervision/usager-match.js';
import { foldName } from '../../src/usagers/name-fold.js';
import { UsagersService } from '../../src/usagers/usagers.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Names whose folding is easy to get wrong (decomposed accents, capitals without decomposition, separators). */
const NAMES: Array<[given: string, family: string, preferred: string | null, birthdate: string]> = [
  ['Élodie Anne', 'D’ARC-ÂNGEL', null, '1962-08-24'],
  ['Angela Claire Louise', 'DUBOIS', 'Martin-Lefèvre', '1962-08-24'],
  ['Jean-Pierre', 'CŒUR', null, '1950-01-31'],
  ['Ælis', 'N’DIAYE', 'St. Clair', '1944-12-01'],
  ['Øyvind', 'ŁUKASZEWICZ', null, '1990-06-15'],
  ['Zoë', 'ÇA IRA', 'Nuñez', '1937-05-02'],
  ['Jean', 'MARTIN', null, '1940-01-01'],
  ['Jeanne', 'MARTINEZ', null, '1940-01-01'],
  ['Marie Jeanne', 'DURAND', 'Martin', '1975-03-03'],
];

const SEARCHES: Array<[name: string, birthdate: string | null]> = [
  ['elodie', null], ['D\'Arc', null], ['arc angel', null], ['ANGEL', '1962-08-24'], ['angela dubois', null], ['claire', null],
  ['martin lefevre', null], ['lefèvre angela', null], ['Dub', null], ['coeur', null], ['cœur', null], ['CŒ', null],
  ['jean pierre', null], ['æ', null], ['aelis', null], ['n diaye', null], ['st clair', null], ['øy', null], ['łukasz', null],
  ['lukasz', null], ['zoe', null], ['ça', null], ['nunez', null], ['jean', null], ['jean', '1940-01-01'], ['jean martin', null],
  ['martin', null], ['Martin', '1975-03-03'], ['Martin', '1999-01-01'], ['mar jea', null], ['durand', null], ['x', null],
];

/** The search by name goes through the folded words the database keeps: the same usagers as comparing every one. */
describe('UsagersService.identitiesNamed', () => {
  let t: TestApp;
  let usagers: UsagersService;
  let dataSource: DataSource;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    usagers = t.app.get(UsagersService);
    dataSource = t.app.get(DataSource);
    for (const [given, family, preferred, birthdate] of NAMES) {
      const [{ id }]: { id: string }[] = await dataSource.query(
        `INSERT INTO usagers (fc_sub_hash, given_name, family_name, preferred_username, birthdate, gender, birthplace, birthcountry)
         VALUES ($1, $2, $3, $4, $5, 'female', '75056', '99100') RETURNING id`,
        [randomBytes(32).toString('hex'), given, family, preferred, birthdate],
      );
      ids.push(id);
    }
  });

  afterAll(async () => {
    await t.close();
  });

  it('folds names in the database as the application does', async () => {
    for (const [given, family, preferred] of NAMES) {
      const text = [given, family, preferred ?? ''].join(' ');
      const [{ folded }]: { folded: string }[] = await dataSource.query(`SELECT usager_name_fold($1) AS folded`, [text]);
      expect(folded).toBe(foldName(text));
    }
  });

  it.each(SEARCHES)('%j born %j: the usagers matchesUsager finds among all', async (name, birthdate) => {
    const all = await usagers.identitiesOf(dataSource.manager, ids);
    const expected = all.filter((u) => matchesUsager(u, name, birthdate)).map((u) => u.id).sort();
    const named = await usagers.identitiesNamed(dataSource.manager, name, birthdate, 100);
    expect(named?.map((u) => u.id).sort()).toEqual(expected);
  });

  it('the words alone narrow to exactly those usagers (the folds agree)', async () => {
    for (const [name] of SEARCHES) {
      const longest = foldName(name).split(' ').reduce((a, b) => (b.length > a.length ? b : a));
      const rows: { id: string }[] = await dataSource.query(
        `SELECT DISTINCT usager_id AS id FROM usager_name_words WHERE word >= $1 AND word < $2 AND usager_id = ANY($3::uuid[])`,
        [longest, `${longest}\u{10FFFF}`, ids],
      );
      const all = await usagers.identitiesOf(dataSource.manager, ids);
      expect(rows.map((r) => r.id).sort()).toEqual(all.filter((u) => matchesUsager(u, longest, null)).map((u) => u.id).sort());
    }
  });

  it('says null when more usagers than the limit would be compared', async () => {
    expect(await usagers.identitiesNamed(dataSource.manager, 'j martin', null, 1)).toBeNull();
    expect(await usagers.identitiesNamed(dataSource.manager, 'dubois', '1962-08-24', 1)).toBeNull();
    expect((await usagers.identitiesNamed(dataSource.manager, 'dubois', '1962-08-24', 2))?.map((u) => u.id)).toEqual([ids[1]]);
    expect(await usagers.identitiesNamed(dataSource.manager, ' - ', null, 10)).toEqual([]);
  });

  it('keeps the words when FranceConnect reports other names, and forgets the old ones', async () => {
    const identity: VerifiedIdentity = {
      sub: `${'7a'.repeat(32)}v1`, givenName: 'Odile', familyName: 'FAVRE', birthdate: '1961-02-03', gender: 'female',
      birthplace: '59350', birthcountry: '99100', acr: 'eidas1', idTokenHash: 'h'.repeat(43), idToken: 'not-a-real-token',
    };
    const self = { actor: { type: 'usager' as const, id: null }, structureId: null };
    const runner = t.app.get(TransactionRunner);
    const created = await runner.run((m) => usagers.upsertFromIdentity(m, identity, self));
    expect((await usagers.identitiesNamed(dataSource.manager, 'odile favre', null, 10))?.map((u) => u.id)).toEqual([created.id]);
    await runner.run((m) => usagers.upsertFromIdentity(m, { ...identity, familyName: 'FAURÉ', preferredUsername: 'Hélias' }, self));
    expect(await usagers.identitiesNamed(dataSource.manager, 'favre', null, 10)).toEqual([]);
    expect((await usagers.identitiesNamed(dataSource.manager, 'helias faure', null, 10))?.map((u) => u.id)).toEqual([created.id]);
    expect((await usagers.identitiesNamed(dataSource.manager, 'faure', '1961-02-03', 10))?.map((u) => u.id)).toEqual([created.id]);
  });
});
