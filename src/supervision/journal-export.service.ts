import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { requireStructureAccess } from '../aidants/structure-access.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { exportLine } from '../journal/export/export-format.js';
import { JournalQueries } from '../journal/reading/journal-queries.js';
import { chainOf, JournalService } from '../journal/journal.service.js';
import { sealedEntryOfCopyLine, seqOfCopyLine } from '../journal/reading/copy-rows.js';
import type { JournalCheckpoint, RequestFacts, SealedJournalEntry } from '../journal/journal.types.js';
import { GENESIS_HASH } from '../journal/entries/hash-chain.js';
import { ValidationError } from '../shared/domain-error.js';
import { CSV_BOM, csvRow } from './csv.js';
import { describeEntry } from './describe-entry.js';
import { EntryNamesService } from './entry-names.js';
import { entryRecordOfCopyLine } from './export-lines.js';
import { searchCriteria } from './journal-search.js';
import type { DownloadSink } from './journal-download.js';
import { SupervisionJournalService } from './supervision-journal.service.js';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Rows read per COPY: large enough for throughput (fewer round trips and
 * wake-ups on a loaded machine), small enough for flat memory (about 7 MB a
 * page, two pages at most: the one sent and the one read ahead).
 */
const PAGE = 10000;

const CSV_HEADER = [
  'seq', 'date', 'action', 'description', 'acteur_type', 'acteur_id', 'aidant_id', 'usager_id', 'mandat_id',
  'partenaire_id', 'demarche', 'ip', 'requete_id', 'details', 'hash_precedent', 'hash',
];

/**
 * Streams the structure's journal (or the entries matching a search) into a
 * download sink (the controller's response), page by page in seq order with back-pressure, so memory stays flat
 * whatever the size. Pages are read with `COPY … TO STDOUT` (text lines
 * parsed without the driver's per-row work), the next one while the current
 * one is formatted and sent. JSON Lines use the journal's export format; an export
 * of the whole chain is covered by a checkpoint signed just before, so
 * `journal:verify-file` checks it offline. Every export is journaled once it
 * ends, with its criteria and the rows sent (also when the client stopped it).
 */
@Injectable()
export class JournalExportService {
  private readonly logger = new Logger('SupervisionExport');

  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: JournalQueries,
    private readonly journal: JournalService,
    private readonly transactions: TransactionRunner,
    private readonly names: EntryNamesService,
    private readonly pages: SupervisionJournalService,
  ) {}

  async export(actor: AidantActor, structureId: string, query: Record<string, unknown>, request: RequestFacts, out: DownloadSink): Promise<void> {
    requireStructureAccess(actor, structureId);
    const format = query.format;
    if (format !== 'jsonl' && format !== 'csv') {
      throw new ValidationError({ format: 'Choisissez le format de l’export : JSON Lines (jsonl) ou CSV (csv).' }, 'invalid export format');
    }
    const { search, choices } = await this.pages.parse(actor, structureId, query);
    const chain = chainOf(structureId);
    const criteria = searchCriteria(search);
    const whole = Object.keys(criteria).length === 0;
    await this.journal.flush();
    if (whole && format === 'jsonl') await this.journal.checkpoint([chain]);
    const manager = this.dataSource.manager;
    const upTo = whole && format === 'jsonl'
      ? ((await this.queries.lastCheckpoint(manager, chain))?.seq ?? 0)
      : await this.queries.headSeq(manager, chain);

    const day = new Date().toISOString().slice(0, 10);
    out.begin({
      contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      fileName: `journal-${chain}-${day}${whole ? '' : '-extrait'}.${format}`,
    });

    let rows = 0;
    let complete = false;
    let reading: Promise<string[]> | null = null;
    try {
      const [{ now }]: { now: Date }[] = await manager.query(`SELECT date_trunc('milliseconds', now()) AS now`);
      let open = await out.write(format === 'csv' ? CSV_BOM + csvRow(CSV_HEADER) : `${exportLine.header(chain, upTo, now.toISOString())}\n`);
      const namesOf = this.names.cachedForEntries(manager, structureId, choices.members);
      const read = (after: number) => this.dataSource.transaction((m) => this.queries.bySeqAsCopyLines(m, chain, { after, upTo, limit: PAGE }, search.filter));
      let after = 0;
      let checkpoints = 0;
      let lastHash = GENESIS_HASH;
      reading = upTo > 0 ? read(0) : null;
      while (open && reading) {
        const lines = await reading;
        reading = null;
        if (lines.length === 0) break;
        const lastSeq = seqOfCopyLine(lines[lines.length - 1]!);
        // The next page is read while this one is formatted and sent.
        if (lines.length === PAGE && lastSeq < upTo) reading = read(lastSeq);
        let chunk: string;
        if (format === 'csv') {
          const entries = lines.map(sealedEntryOfCopyLine);
          const names = await namesOf(entries);
          chunk = entries.map((e) => csvLine(e, describeEntry(e, names))).join('');
          lastHash = entries[entries.length - 1]!.hash;
        } else {
          const signed = whole ? await this.queries.checkpointsBetween(manager, chain, after, lastSeq) : [];
          checkpoints += signed.length;
          const page = jsonLines(lines, signed);
          chunk = page.text;
          lastHash = page.lastHash;
        }
        open = await out.write(chunk);
        if (open) rows += lines.length;
        after = lastSeq;
      }
      if (open && format === 'jsonl') open = await out.write(`${exportLine.end(rows, checkpoints, lastHash)}\n`);
      complete = open;
    } catch (error) {
      this.logger.error({ err: error }, 'journal export failed while streaming');
      out.abort();
    } finally {
      // A page read ahead for a client that went away: let it finish before the journal entry.
      await reading?.catch(() => undefined);
      // The export is journaled before the download ends, so whoever holds a
      // complete file can already find its journal entry.
      try {
        await this.record(actor, structureId, request, { chain, format, criteria, rows, complete });
      } finally {
        if (complete) out.end();
      }
    }
  }

  private async record(
    actor: AidantActor,
    structureId: string,
    request: RequestFacts,
    done: { chain: string; format: ExportFormat; criteria: Record<string, string>; rows: number; complete: boolean },
  ): Promise<void> {
    await this.transactions.run((manager) =>
      this.journal.append(manager, {
        action: 'journal.exported',
        structureId,
        actor: { type: 'aidant', id: actor.aidantId },
        request,
        details: {
          chain: done.chain,
          format: done.format,
          ...(Object.keys(done.criteria).length > 0 ? { filters: done.criteria } : {}),
          rows: done.rows,
          complete: done.complete,
        },
      }),
    );
  }
}

/** COPY lines of entries, each followed by the signed checkpoints at its seq, as JSON Lines. */
function jsonLines(lines: readonly string[], signed: readonly JournalCheckpoint[]): { text: string; lastHash: string } {
  let text = '';
  let lastHash = '';
  let next = 0;
  for (const copyLine of lines) {
    const entry = entryRecordOfCopyLine(copyLine);
    text += `${entry.line}\n`;
    lastHash = entry.hash;
    while (next < signed.length && signed[next]!.seq <= entry.seq) text += `${exportLine.checkpoint(signed[next++]!)}\n`;
  }
  return { text, lastHash };
}

function csvLine(e: SealedJournalEntry, description: string): string {
  return csvRow([
    e.seq, e.at, e.action, description, e.actor.type, e.actor.id, e.subjects.aidantId, e.subjects.usagerId,
    e.subjects.mandateId, e.subjects.partnerId, e.demarche, e.request.ip, e.request.requestId,
    JSON.stringify(e.details), e.prevHash, e.hash,
  ]);
}
