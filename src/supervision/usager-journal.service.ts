import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AidantsService } from '../aidants/aidants.service.js';
import { JournalQueries, MAX_PAGE_SIZE } from '../journal/reading/journal-queries.js';
import { PartnersService } from '../partners/partners.service.js';
import type { SealedJournalEntry } from '../journal/journal.types.js';
import { StructuresService } from '../structures/structures.service.js';
import { demarcheLabelOf, describeEntry, frenchDateTime, type EntryNames } from './describe-entry.js';

const PAGE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An entry as the usager reads it: a sentence, then who, where, when, which partner and démarche. */
/**
 * The usager reads the IP address and user agent of their own requests
 * only: those of an aidant (or of anyone else) are that person's data and
 * stay with the structure's référents. The entry's hash covers them, so
 * such an entry is marked `requestFactsWithheld` in the download.
 */
export function withOwnRequestFactsOnly(entry: SealedJournalEntry, usagerId: string): SealedJournalEntry {
  const own = entry.actor.type === 'usager' && entry.actor.id === usagerId;
  if (own || (entry.request.ip === null && entry.request.userAgent === null)) return entry;
  return { ...entry, request: { ...entry.request, ip: null, userAgent: null } };
}

export interface UsagerEntryView {
  sentence: string;
  at: string;
  aidant: string | null;
  structure: string | null;
  partner: string | null;
  demarche: string | null;
  action: string;
  /** Where its inclusion proof is downloaded. */
  proofLink: string;
}

/**
 * The usager's right to know: every journal entry about them (their
 * mandates, the uses of those mandates), whichever structure's chain holds
 * it, in plain French; and the same entries as a JSON download.
 */
@Injectable()
export class UsagerJournalService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: JournalQueries,
    private readonly aidants: AidantsService,
    private readonly structures: StructuresService,
    private readonly partners: PartnersService,
  ) {}

  async page(usager: { id: string; name: string }, after: string | null) {
    const page = await this.queries.find(this.dataSource.manager, { usagerId: usager.id }, { limit: PAGE, after });
    const { names, structures } = await this.namesOf(usager, page.entries);
    return {
      entries: page.entries.map((e) => this.viewOf(e, names, structures)),
      nextLink: page.next ? `/usager/journal?apres=${encodeURIComponent(page.next)}` : null,
      firstLink: after ? '/usager/journal' : null,
    };
  }

  /** Every entry about the usager, oldest last, as a JSON document written page by page. */
  async *download(usager: { id: string; name: string }): AsyncGenerator<string> {
    let after: string | null = null;
    let first = true;
    yield `{"usager":${JSON.stringify(usager.id)},"generatedAt":${JSON.stringify(new Date().toISOString())},"entries":[\n`;
    do {
      const page = await this.queries.find(this.dataSource.manager, { usagerId: usager.id }, { limit: MAX_PAGE_SIZE, after });
      const { names, structures } = await this.namesOf(usager, page.entries);
      for (const entry of page.entries) {
        const view = this.viewOf(entry, names, structures);
        const shown = withOwnRequestFactsOnly(entry, usager.id);
        const withheld = shown !== entry;
        yield `${first ? '' : ',\n'}${JSON.stringify({ description: view.sentence, aidant: view.aidant, structure: view.structure, partner: view.partner, demarche: view.demarche, ...(withheld ? { requestFactsWithheld: true } : {}), entry: shown })}`;
        first = false;
      }
      after = page.next;
    } while (after);
    yield '\n]}\n';
  }

  private viewOf(e: SealedJournalEntry, names: EntryNames, structures: Map<string, string>): UsagerEntryView {
    const aidantId = e.actor.type === 'aidant' ? e.actor.id : e.subjects.aidantId;
    return {
      sentence: describeEntry(e, names),
      at: frenchDateTime(e.at),
      aidant: aidantId ? (names.aidants?.get(aidantId) ?? null) : null,
      structure: structures.get(e.chain) ?? null,
      partner: e.subjects.partnerId ? (names.partners?.get(e.subjects.partnerId) ?? 'un service partenaire') : null,
      demarche: e.demarche ? demarcheLabelOf(e.demarche) : null,
      action: e.action,
      proofLink: `/usager/journal/${encodeURIComponent(e.chain)}/${e.seq}/preuve`,
    };
  }

  private async namesOf(usager: { id: string; name: string }, entries: readonly SealedJournalEntry[]) {
    const manager = this.dataSource.manager;
    const aidants = new Map<string, string>();
    const structures = new Map<string, string>();
    const partners = new Map<string, string>();
    for (const e of entries) {
      const partnerId = e.subjects.partnerId;
      if (partnerId && !partners.has(partnerId) && UUID.test(partnerId)) {
        const partner = await this.partners.findById(manager, partnerId);
        if (partner) partners.set(partnerId, partner.name);
      }
      for (const id of [e.actor.type === 'aidant' ? e.actor.id : null, e.subjects.aidantId]) {
        if (!id || aidants.has(id)) continue;
        const aidant = await this.aidants.findById(manager, id);
        if (aidant) aidants.set(id, `${aidant.givenName} ${aidant.familyName}`);
      }
      if (!structures.has(e.chain)) {
        const structure = UUID.test(e.chain) ? await this.structures.findById(manager, e.chain) : null;
        if (structure) structures.set(e.chain, structure.name);
      }
    }
    const names: EntryNames = { aidants, usagers: new Map([[usager.id, usager.name]]), structures, partners };
    return { names, structures };
  }
}
