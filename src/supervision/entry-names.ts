import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AidantsService } from '../aidants/aidants.service.js';
import { JournalQueries } from '../journal/reading/journal-queries.js';
import { PartnersService } from '../partners/partners.service.js';
import type { JournalEntry } from '../journal/journal.types.js';
import { UsagersService } from '../usagers/usagers.service.js';
import type { UsagerIdentity } from '../usagers/usagers.types.js';
import { identityDisplay } from '../web/french/index.js';
import { matchesUsager } from './usager-match.js';
import type { EntryNames } from './describe-entry.js';

/** Usagers compared, nationwide, beyond which a search by name reads the structure's usagers instead. */
const NAMED_CANDIDATES_AT_MOST = 5000;

/** Usager names an export keeps between pages. */
const USAGER_NAMES_KEPT = 50_000;

/** A member of the structure as the supervision pages show it. */
export interface MemberName {
  id: string;
  name: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Looks up the names an entry's ids stand for, a page at a time: aidants of
 * the structure, usagers through the usagers module, partner services
 * through the partners module.
 */
@Injectable()
export class EntryNamesService {
  constructor(
    private readonly aidants: AidantsService,
    private readonly usagers: UsagersService,
    private readonly partners: PartnersService,
    private readonly queries: JournalQueries,
  ) {}

  async members(manager: EntityManager, structureId: string): Promise<MemberName[]> {
    const rows = await this.aidants.memberSummaries(manager, structureId);
    return rows.map((aidant) => ({ id: aidant.id, name: `${aidant.givenName} ${aidant.familyName}` }));
  }

  /** Names for these entries; aidants named by the structure's member list (or `members` given). */
  async forEntries(
    manager: EntityManager,
    structureId: string | null,
    entries: readonly Pick<JournalEntry, 'actor' | 'subjects'>[],
    members?: readonly MemberName[],
  ): Promise<EntryNames> {
    const list = members ?? (structureId ? await this.members(manager, structureId) : []);
    const aidants = new Map(list.map((m) => [m.id, m.name]));
    const missing = new Set<string>();
    for (const e of entries) {
      for (const id of [e.subjects.aidantId, e.actor.type === 'aidant' ? e.actor.id : null]) {
        if (id && !aidants.has(id)) missing.add(id);
      }
    }
    for (const id of missing) {
      const aidant = await this.aidants.findById(manager, id);
      if (aidant) aidants.set(id, `${aidant.givenName} ${aidant.familyName}`);
    }
    return { aidants, usagers: await this.usagerNames(manager, entries), partners: await this.partnerNames(manager, entries) };
  }

  /** Registered partners by id (an id that is not a registered partner keeps the neutral phrase). */
  private async partnerNames(manager: EntityManager, entries: readonly Pick<JournalEntry, 'subjects'>[]): Promise<Map<string, string>> {
    return this.partnersNamed(manager, entries.map((e) => e.subjects.partnerId));
  }

  /** Registered partners' names by id, for the ids given (others are absent). */
  async partnersNamed(manager: EntityManager, partnerIds: ReadonlyArray<string | null>): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const ids = new Set(partnerIds.filter((id): id is string => id !== null && UUID.test(id)));
    for (const id of ids) {
      const partner = await this.partners.findById(manager, id);
      if (partner) names.set(id, partner.name);
    }
    return names;
  }

  /**
   * `forEntries` for a stream of pages (exports): the names of usagers met
   * on earlier pages are kept (up to a bound, then forgotten at once, so
   * memory stays flat) rather than looked up again on every page.
   */
  cachedForEntries(manager: EntityManager, structureId: string, members: readonly MemberName[]) {
    const aidants = new Map(members.map((m) => [m.id, m.name]));
    const usagers = new Map<string, string>();
    /** Partners are few: each is looked up once for the whole export. */
    const partners = new Map<string, string>();
    const partnersAsked = new Set<string>();
    /** Ids already looked up without a name. */
    const unnamed = new Set<string>();
    const known = (id: string | null) => id === null || aidants.has(id) || usagers.has(id) || unnamed.has(id);
    return async (entries: readonly Pick<JournalEntry, 'actor' | 'subjects'>[]): Promise<EntryNames> => {
      const unknown = entries.filter((e) => !known(e.subjects.usagerId) || !known(e.subjects.aidantId) || (e.actor.type === 'aidant' && !known(e.actor.id)));
      if (unknown.length > 0) {
        if (usagers.size + unnamed.size > USAGER_NAMES_KEPT) {
          usagers.clear();
          unnamed.clear();
        }
        const found = await this.forEntries(manager, structureId, unknown, [...aidants].map(([id, name]) => ({ id, name })));
        for (const [id, name] of found.aidants ?? []) aidants.set(id, name);
        for (const [id, name] of found.usagers ?? []) usagers.set(id, name);
        for (const e of unknown) {
          for (const id of [e.subjects.usagerId, e.subjects.aidantId, e.actor.type === 'aidant' ? e.actor.id : null]) if (!known(id)) unnamed.add(id!);
        }
      }
      const newPartners = entries.map((e) => e.subjects.partnerId).filter((id): id is string => id !== null && !partnersAsked.has(id));
      if (newPartners.length > 0) {
        for (const id of newPartners) partnersAsked.add(id);
        for (const [id, name] of await this.partnersNamed(manager, newPartners)) partners.set(id, name);
      }
      return { aidants, usagers, partners };
    };
  }

  private async usagerNames(manager: EntityManager, entries: readonly Pick<JournalEntry, 'subjects'>[]): Promise<Map<string, string>> {
    const ids = [...new Set(entries.map((e) => e.subjects.usagerId).filter((id): id is string => id !== null))];
    const usagers = ids.length > 0 ? await this.usagers.identitiesOf(manager, ids) : [];
    return new Map(usagers.map((u) => [u.id, usagerName(u)]));
  }

  /**
   * Usagers the structure's journal is about whose names (and birthdate)
   * match a search (as `matchesUsager` says: accents and case folded).
   * Usually from the name: the usagers module finds the usagers so named
   * (`UsagersService.identitiesNamed`, by birthdate or folded-word index),
   * then the journal says which of them the chain is about. When that would
   * compare more than `NAMED_CANDIDATES_AT_MOST` usagers (a name too common
   * in the whole service), the chain's usagers are compared instead, which
   * costs in proportion to them.
   */
  async findUsagers(manager: EntityManager, chain: string, name: string, birthdate: string | null): Promise<string[]> {
    const named = await this.usagers.identitiesNamed(manager, name, birthdate, NAMED_CANDIDATES_AT_MOST);
    if (named !== null) return named.length > 0 ? this.queries.usagersAmong(manager, chain, named.map((u) => u.id)) : [];
    const ids = await this.queries.usagerIdsOf(manager, chain);
    const found: string[] = [];
    for (let i = 0; i < ids.length; i += 5000) {
      for (const u of await this.usagers.identitiesOf(manager, ids.slice(i, i + 5000), birthdate)) {
        if (matchesUsager(u, name, birthdate)) found.push(u.id);
      }
    }
    return found;
  }
}

/**
 * "Angela Claire Louise DUBOIS (nom d’usage MARTIN)": the usager as on their
 * identity document, worded to sit inside a journal sentence.
 */
export function usagerName(u: Pick<UsagerIdentity, 'givenName' | 'familyName' | 'preferredUsername'> & { gender?: string }): string {
  return identityDisplay(u).inSentence;
}
