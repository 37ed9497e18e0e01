import { describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import type { JournalQueries } from '../journal/reading/journal-queries.js';
import type { UsagerIdentity } from '../usagers/usagers.types.js';
import type { UsagersService } from '../usagers/usagers.service.js';
import { EntryNamesService } from './entry-names.js';
import { matchesUsager } from './usager-match.js';

const manager = {} as EntityManager;
const person = (id: string, givenName: string, familyName: string, birthdate = '1950-01-01'): UsagerIdentity =>
  ({ id, givenName, familyName, preferredUsername: null, birthdate, gender: 'female' });

/** Which way a search by name goes, with the usagers and journal modules stood in for. */
function service(named: UsagerIdentity[], chainUsagers: UsagerIdentity[]) {
  const calls: string[] = [];
  const usagers = {
    identitiesNamed: async (_m: EntityManager, name: string, birthdate: string | null, limit: number) => {
      calls.push('identitiesNamed');
      return named.length > limit ? null : named.filter((u) => matchesUsager(u, name, birthdate));
    },
    identitiesOf: async (_m: EntityManager, ids: string[], birthdate: string | null) => {
      calls.push('identitiesOf');
      return chainUsagers.filter((u) => ids.includes(u.id) && (birthdate === null || u.birthdate === birthdate));
    },
  } as unknown as UsagersService;
  const queries = {
    usagersAmong: async (_m: EntityManager, _chain: string, ids: readonly string[]) => {
      calls.push(`usagersAmong ${ids.length}`);
      return ids.filter((id) => chainUsagers.some((u) => u.id === id));
    },
    usagerIdsOf: async () => {
      calls.push('usagerIdsOf');
      return chainUsagers.map((u) => u.id);
    },
  } as unknown as JournalQueries;
  return { names: new EntryNamesService(null as never, usagers, null as never, queries), calls };
}

describe('EntryNamesService.findUsagers', () => {
  it('goes from the name to the usagers so named, then keeps those of the chain', async () => {
    const jean = person('u1', 'Jean', 'MARTIN');
    const elsewhere = person('u2', 'Jean', 'MARTIN');
    const prefixOnly = person('u3', 'Jeanine', 'MARTINEZ');
    const { names, calls } = service([jean, elsewhere, prefixOnly, person('u4', 'Paul', 'JEAN')], [jean, prefixOnly]);
    expect((await names.findUsagers(manager, 'chain', 'Jean Martin', null)).sort()).toEqual(['u1', 'u3']);
    expect(calls).toEqual(['identitiesNamed', 'usagersAmong 3']);
  });

  it('asks the journal nothing when nobody is so named', async () => {
    const { names, calls } = service([], [person('u1', 'Jean', 'MARTIN')]);
    expect(await names.findUsagers(manager, 'chain', 'Durand', null)).toEqual([]);
    expect(calls).toEqual(['identitiesNamed']);
  });

  it('reads the chain’s usagers instead when the name is too common', async () => {
    const many = Array.from({ length: 5001 }, (_, i) => person(`n${i}`, 'Jean', 'MARTIN'));
    const chain = [person('c1', 'Jean', 'MARTIN', '1940-01-01'), person('c2', 'Jean', 'MARTIN'), person('c3', 'Marie', 'MARTIN', '1940-01-01')];
    const { names, calls } = service(many, chain);
    expect(await names.findUsagers(manager, 'chain', 'jean martin', '1940-01-01')).toEqual(['c1']);
    expect(calls).toEqual(['identitiesNamed', 'usagerIdsOf', 'identitiesOf']);
  });
});
