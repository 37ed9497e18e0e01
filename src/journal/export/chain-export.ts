import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { exportLine } from './export-format.js';
import { checkpointOf, ENTRY_COLUMNS, sealedEntryOf, type CheckpointRow, type SealedRow } from '../entries/entry-rows.js';
import { GENESIS_HASH } from '../entries/hash-chain.js';

const PAGE = 5000;

/** Where export lines go; resolves when the line may be followed by the next (back-pressure). */
export type LineSink = (line: string) => Promise<void>;

/** Streams one chain, up to a sealed seq, as JSON Lines (format version 2 in export/export-format.ts: with salts and notes). */
@Injectable()
export class JournalExport {
  constructor(private readonly dataSource: DataSource) {}

  async write(chain: string, upToSeq: number, sink: LineSink): Promise<{ entries: number; checkpoints: number }> {
    const [{ now }]: { now: Date }[] = await this.dataSource.query(`SELECT date_trunc('milliseconds', now()) AS now`);
    await sink(exportLine.header(chain, upToSeq, now.toISOString(), 2));
    let after = 0;
    let entries = 0;
    let checkpoints = 0;
    let lastHash = GENESIS_HASH;
    while (after < upToSeq) {
      // One short transaction per page (see JournalVerification.page).
      const { rows, checkpointRows } = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
        const entries: (SealedRow & { salt: Buffer | null })[] = await manager.query(
          `SELECT ${ENTRY_COLUMNS.map((c) => `e.${c}`).join(', ')}, e.seq, e.prev_hash, e.hash, s.salt
             FROM journal_entries e LEFT JOIN journal_request_salts s ON s.chain = e.chain AND s.seq = e.seq
            WHERE e.chain = $1 AND e.seq > $2 AND e.seq <= $3 ORDER BY e.seq LIMIT ${PAGE}`,
          [chain, after, upToSeq],
        );
        const last = entries.length > 0 ? Number(entries[entries.length - 1]!.seq) : after;
        const checkpoints: (CheckpointRow & { note: string | null })[] = await manager.query(
          `SELECT chain, seq, hash, at, kid, jws, note FROM journal_checkpoints WHERE chain = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
          [chain, after, last],
        );
        return { rows: entries, checkpointRows: checkpoints };
      });
      if (rows.length === 0) break;
      const last = Number(rows[rows.length - 1]!.seq);
      let next = 0;
      for (const row of rows) {
        const entry = sealedEntryOf(row);
        // Every sealed entry has its salt once the sequencer has caught up, which signing the export's checkpoint ensures.
        if (!row.salt) throw new Error(`journal chain ${chain}: entry ${entry.seq} has no request salt yet`);
        await sink(exportLine.entry(entry, row.salt.toString('hex')));
        entries++;
        lastHash = entry.hash;
        while (next < checkpointRows.length && Number(checkpointRows[next]!.seq) <= entry.seq) {
          const checkpointRow = checkpointRows[next++]!;
          await sink(exportLine.checkpoint(checkpointOf(checkpointRow), checkpointRow.note));
          checkpoints++;
        }
      }
      after = last;
    }
    await sink(exportLine.end(entries, checkpoints, lastHash));
    return { entries, checkpoints };
  }
}
