import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { KeysService } from '../keys/keys.service.js';
import type { PoolClient } from 'pg';
import { checkpointOf, SEALED_COLUMNS, sealedEntryOfArray, type CheckpointRow } from './journal.rows.js';
import type { JournalCheckpoint } from './journal.types.js';
import { ChainVerifier, type ChainBreak } from './journal.verifier.js';

const PAGE = 5000;
const CONCURRENT_CHAINS = 3;
const SEQ = SEALED_COLUMNS.indexOf('seq');

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

  async chainExists(chain: string): Promise<boolean> {
    const rows: unknown[] = await this.read((m) => m.query(`SELECT 1 FROM journal_chains WHERE chain = $1`, [chain]));
    return rows.length > 0;
  }

  async lastCheckpointSeq(chain: string): Promise<number> {
    const rows: { seq: string }[] = await this.read((m) =>
      m.query(`SELECT seq FROM journal_checkpoints WHERE chain = $1 ORDER BY seq DESC LIMIT 1`, [chain]),
    );
    return Number(rows[0]?.seq ?? 0);
  }

  async verify(options: { chain?: string } = {}): Promise<VerificationReport> {
    const chains = options.chain === undefined ? await this.chains() : [options.chain];
    const { keys } = await this.keys.publicJwks(['journal']);
    // A few chains at a time, so the database reads several while this process hashes.
    const results: { verifier: ChainVerifier; broken: ChainBreak | null }[] = [];
    let next = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && next < chains.length) {
        const index = next++;
        const verifier = new ChainVerifier(chains[index]!, keys);
        const broken = await this.verifyChain(verifier);
        results[index] = { verifier, broken };
        if (broken) stop = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_CHAINS, chains.length) }, worker));
    // Reported in chain order, up to the first broken chain (every chain before it was checked).
    const report: VerificationReport = { ok: true, chains: 0, entries: 0, checkpoints: 0, lastCheckpoint: null, broken: null };
    for (const result of results) {
      if (!result) break;
      const { verifier, broken } = result;
      report.chains++;
      report.entries += verifier.entries;
      report.checkpoints += verifier.checkpoints;
      const last = verifier.lastCheckpoint;
      if (last && (!report.lastCheckpoint || last.at > report.lastCheckpoint.at)) report.lastCheckpoint = last;
      if (broken) return { ...report, ok: false, broken };
    }
    return report;
  }

  private async verifyChain(verifier: ChainVerifier): Promise<ChainBreak | null> {
    const chain = verifier.chain;
    // The next page is read while this one is checked, so database and hashing overlap.
    let page = this.page(chain, 0);
    for (;;) {
      const { rows, checkpoints } = await page;
      const last = rows.length === PAGE ? Number(rows[rows.length - 1]![SEQ]) : null;
      if (last !== null) page = this.page(chain, last);
      let next = 0;
      for (const row of rows) {
        const entry = sealedEntryOfArray(row);
        const broken = verifier.entry(entry);
        if (broken) return this.settle(page, broken, last);
        while (next < checkpoints.length && checkpoints[next]!.seq <= entry.seq) {
          const checkpointBroken = await verifier.checkpoint(checkpoints[next++]!);
          if (checkpointBroken) return this.settle(page, checkpointBroken, last);
        }
      }
      if (next < checkpoints.length) return this.settle(page, await verifier.checkpoint(checkpoints[next]!), last);
      if (last === null) return null;
    }
  }

  /** Lets a page read ahead finish (its errors ignored) before answering. */
  private async settle(page: Promise<unknown>, result: ChainBreak | null, readAhead: number | null): Promise<ChainBreak | null> {
    if (readAhead !== null) await page.catch(() => undefined);
    return result;
  }

  /** Entries after `after` (one page) and the checkpoints up to the page's last seq (all remaining ones on the last page). */
  /**
   * One page: entries after `after`, and the checkpoints up to the page's last
   * seq (all remaining ones on the last page), read in one short transaction
   * (one consistent snapshot; and the embedded database keeps a connection's
   * statements together only inside a transaction). Rows come straight
   * through the driver as arrays: parsing is most of the cost of reading
   * millions of rows.
   */
  private page(chain: string, after: number): Promise<{ rows: unknown[][]; checkpoints: JournalCheckpoint[] }> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const client = (await manager.queryRunner!.connect()) as PoolClient;
      const { rows } = await client.query<unknown[]>({
        text: `SELECT ${SEALED_COLUMNS.join(', ')} FROM journal_entries WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
        values: [chain, after],
        rowMode: 'array',
      });
      const upTo = rows.length === PAGE ? Number(rows[rows.length - 1]![SEQ]) : Number.MAX_SAFE_INTEGER;
      const checkpoints: CheckpointRow[] = await manager.query(
        `SELECT chain, seq, hash, at, kid, jws FROM journal_checkpoints
          WHERE chain = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
        [chain, after, upTo],
      );
      return { rows, checkpoints: checkpoints.map(checkpointOf) };
    });
  }

  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('READ COMMITTED', work);
  }
}
