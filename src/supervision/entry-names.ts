import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AidantsService } from '../aidants/aidants.service.js';
import type { JournalEntry } from '../journal/journal.types.js';
import type { EntryNames } from './describe-entry.js';

/** A member of the structure as the supervision pages show it. */
export interface MemberName {
  id: string;
  name: string;
}

/**
 * Looks up the names an entry's ids stand for, a page at a time: aidants of
 * the structure, and usagers through the usagers module once it is there.
 */
@Injectable()
export class EntryNamesService {
  constructor(private readonly aidants: AidantsService) {}

  async members(manager: EntityManager, structureId: string): Promise<MemberName[]> {
    const rows = await this.aidants.listForStructure(manager, structureId);
    return rows.map(({ aidant }) => ({ id: aidant.id, name: `${aidant.givenName} ${aidant.familyName}` }));
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
    return { aidants, usagers: await this.usagerNames(manager, entries) };
  }

  // Filled in when the usagers module is merged.
  private async usagerNames(_manager: EntityManager, _entries: readonly Pick<JournalEntry, 'subjects'>[]): Promise<Map<string, string>> {
    return new Map();
  }
}
