import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { requireStructureAccess } from '../aidants/structure-access.js';
import { DEMARCHES } from '../demarches/demarches.js';
import { JournalQueries } from '../journal/reading/journal-queries.js';
import { chainOf } from '../journal/journal.service.js';
import type { SealedJournalEntry } from '../journal/journal.types.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import { describeEntry, DESCRIBED_ACTIONS, frenchDateTime, type EntryNames } from './describe-entry.js';
import { EntryNamesService, type MemberName } from './entry-names.js';
import { parseJournalSearch, searchQuery, type JournalSearch } from './journal-search.js';
import { actionLabel } from '../web/french/index.js';

const ACTION_CHOICES = DESCRIBED_ACTIONS.map((id) => ({ id, label: actionLabel(id) })).sort((a, b) => a.label.localeCompare(b.label, 'fr'));

/** What the search form offers (choices of its lists). */
export interface SearchChoices {
  members: MemberName[];
  /** Every action the journal may hold, by its French label (alphabetical). */
  actions: ReadonlyArray<{ id: string; label: string }>;
  demarches: typeof DEMARCHES;
}

/** The structure's journal: search with keyset pages, one entry in detail. */
@Injectable()
export class SupervisionJournalService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: JournalQueries,
    private readonly names: EntryNamesService,
  ) {}

  /** The form's lists, also used to show the form again when a search is refused. */
  async choices(actor: AidantActor, structureId: string): Promise<SearchChoices> {
    requireStructureAccess(actor, structureId);
    return { members: await this.names.members(this.dataSource.manager, structureId), actions: ACTION_CHOICES, demarches: DEMARCHES };
  }

  /**
   * Parses the form against the structure's members, and resolves a usager
   * named by name (and birthdate) to the usagers of the structure's journal
   * who match; throws a ValidationError on wrong fields.
   */
  async parse(actor: AidantActor, structureId: string, query: unknown): Promise<{ search: JournalSearch; choices: SearchChoices }> {
    const choices = await this.choices(actor, structureId);
    const search = parseJournalSearch(query, { memberIds: new Set(choices.members.map((m) => m.id)) });
    if (search.usagerName !== null) {
      const ids = await this.names.findUsagers(this.dataSource.manager, chainOf(structureId), search.usagerName, search.birthdate);
      if (ids.length === 0) {
        throw new ValidationError({ usager: 'Aucun usager de votre structure ne porte ce nom (et cette date de naissance) : vérifiez l’orthographe.' }, 'no usager matches the name search');
      }
      search.filter.usagerIds = ids;
    }
    return { search, choices };
  }

  async search(actor: AidantActor, structureId: string, query: unknown, after: string | null) {
    const { search, choices } = await this.parse(actor, structureId, query);
    const manager = this.dataSource.manager;
    const page = await this.queries.find(manager, { ...search.filter, chain: chainOf(structureId) }, { limit: search.limit, after });
    const names = await this.names.forEntries(manager, structureId, page.entries, choices.members);
    return {
      ...choices,
      values: search.values,
      entries: page.entries.map((e) => rowOf(e, names)),
      nextLink: page.next ? `/structure/journal?${searchQuery(search.values, { apres: page.next })}` : null,
      firstLink: after ? `/structure/journal?${searchQuery(search.values)}` : null,
      exportQuery: searchQuery(search.values),
    };
  }

  async entry(actor: AidantActor, structureId: string, seqText: string) {
    requireStructureAccess(actor, structureId);
    const seq = /^\d{1,15}$/.test(seqText) ? Number(seqText) : 0;
    const manager = this.dataSource.manager;
    const entry = await this.queries.entryAt(manager, chainOf(structureId), seq);
    if (!entry) throw new NotFoundError('Cette entrée n’existe pas dans le journal de votre structure.', 'journal entry not found');
    const names = await this.names.forEntries(manager, structureId, [entry]);
    return { entry: rowOf(entry, names), raw: JSON.stringify(entry, null, 2) };
  }
}

export function rowOf(entry: SealedJournalEntry, names: EntryNames) {
  return {
    seq: entry.seq,
    at: frenchDateTime(entry.at),
    action: entry.action,
    actionLabel: actionLabel(entry.action),
    sentence: describeEntry(entry, names),
    entry,
  };
}
