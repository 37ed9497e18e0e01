import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KeysService } from '../keys/keys.service.js';
import { checkpointOf, ENTRY_COLUMNS, sealedEntryOf, type CheckpointRow, type SealedRow } from './journal.rows.js';
import type { JournalCheckpoint } from './journal.types.js';
import { ChainVerifier, type ChainBreak } from './journal.verifier.js';

const PAGE = 5000;

export interface VerificationReport {
  ok: boolean;
  chains: number;
  entries: number;
  checkpoints: number;
  /** The latest checkpoint verified (by time) over the chains checked. */
  lastCheckpoint: JournalCheckpoint | null;
  /** The first break found; verification stops there. */
  broken: ChainBreak | null;
}

/**
 * Verifies chains as stored: streams entries and checkpoints by keyset pages
 * (constant memory whatever the size), recomputing every hash and checking
 * every checkpoint signature against the service's journal keys.
 */
@Injectable()
export class JournalVerification {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: KeysService,
  ) {}

  async chains(): Promise<string[]> {
    const rows: { chain: string }[] = await this.dataSource.query(`SELECT chain FROM journal_chains ORDER BY chain`);
    return rows.map((r) => r.chain);
  }

  async lastCheckpointSeq(chain: string): Promise<number> {
    const rows: { seq: string }[] = await this.dataSource.query(
      `SELECT seq FROM journal_checkpoints WHERE chain = $1 ORDER BY seq DESC LIMIT 1`,
      [chain],
    );
    return Number(rows[0]?.seq ?? 0);
  }

  async verify(options: { chain?: string } = {}): Promise<VerificationReport> {
    const chains = options.chain === undefined ? await this.chains() : [options.chain];
    const { keys } = await this.keys.publicJwks(['journal']);
    const report: VerificationReport = { ok: true, chains: 0, entries: 0, checkpoints: 0, lastCheckpoint: null, broken: null };
    for (const chain of chains) {
      const verifier = new ChainVerifier(chain, keys);
      const broken = await this.verifyChain(verifier, report);
      report.chains++;
      report.entries += verifier.entries;
      const last = verifier.lastCheckpoint;
      if (last && (!report.lastCheckpoint || last.at > report.lastCheckpoint.at)) report.lastCheckpoint = last;
      if (broken) return { ...report, ok: false, broken };
    }
    return report;
  }

  private async verifyChain(verifier: ChainVerifier, report: VerificationReport): Promise<ChainBreak | null> {
    const chain = verifier.chain;
    let after = 0;
    for (;;) {
      const rows: SealedRow[] = await this.dataSource.query(
        `SELECT ${ENTRY_COLUMNS.join(', ')}, seq, prev_hash, hash FROM journal_entries
          WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
        [chain, after],
      );
      const last = rows.length === PAGE ? Number(rows[rows.length - 1]!.seq) : Number.MAX_SAFE_INTEGER;
      const checkpoints = await this.checkpointsBetween(chain, after, last);
      let next = 0;
      for (const row of rows) {
        const entry = sealedEntryOf(row);
        const broken = verifier.entry(entry);
        if (broken) return broken;
        while (next < checkpoints.length && checkpoints[next]!.seq <= entry.seq) {
          const checkpointBroken = await verifier.checkpoint(checkpoints[next++]!);
          if (checkpointBroken) return checkpointBroken;
          report.checkpoints++;
        }
      }
      if (next < checkpoints.length) return verifier.checkpoint(checkpoints[next]!);
      if (rows.length < PAGE) return null;
      after = last;
    }
  }

  private async checkpointsBetween(chain: string, after: number, upTo: number): Promise<JournalCheckpoint[]> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT chain, seq, hash, at, kid, jws FROM journal_checkpoints
        WHERE chain = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
      [chain, after, upTo],
    );
    return rows.map(checkpointOf);
  }
}
