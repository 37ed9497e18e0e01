import { availableParallelism } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../../config/config.js';
import { KeysService } from '../../keys/keys.service.js';
import { APP_CONFIG } from '../../shared/app-config.module.js';
import { COPY_COLUMNS, seqOfCopyLine } from '../reading/copy-rows.js';
import { checkpointOf, type CheckpointRow } from '../entries/entry-rows.js';
import type { JournalCheckpoint } from '../journal.types.js';
import { ChainVerifier, type ChainBreak } from './chain-verifier.js';
import { VerifyPool } from './worker-pool.js';
import { linkRun, type RunCheck } from './run-check.js';

/** Rows per page read through COPY (text lines, about 4 MB). */
const PAGE = 10000;
const CONCURRENT_CHAINS = 3;
const NEWLINE = 0x0a;

/** One page as read: the COPY text of its entries and the checkpoints they reach. */
interface Page {
  bytes: Buffer;
  /** The last seq of a full page (the key of the next one); `null` on a chain's last page. */
  lastSeq: number | null;
  checkpoints: JournalCheckpoint[];
}

/** A page once its run of entries is checked. */
interface CheckedPage {
  run: RunCheck;
  checkpoints: JournalCheckpoint[];
}

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
 *
 * Reading stays in this thread; parsing and hashing a page's entries go to
 * a few worker threads (verification/worker-pool.ts), each page checked from its
 * own first `prev_hash`, and the pages are linked back in seq order here, so
 * the first break reported is still the lowest seq. A chain of a single page
 * starts no thread.
 */
@Injectable()
export class JournalVerification {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    const threads = new Threads(this.config.journal.verifyThreads ?? availableParallelism());
    // A few chains at a time, so the database reads several while the threads check.
    const results: { verifier: ChainVerifier; broken: ChainBreak | null }[] = [];
    let next = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && next < chains.length) {
        const index = next++;
        const verifier = new ChainVerifier(chains[index]!, keys);
        const broken = await this.verifyChain(verifier, threads);
        results[index] = { verifier, broken };
        if (broken) stop = true;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(CONCURRENT_CHAINS, chains.length) }, worker));
    } finally {
      await threads.close();
    }
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

  /**
   * Reads the chain's pages in order, each handed to the threads as soon as
   * read (up to a few pages ahead), and links the checked pages in order.
   */
  private async verifyChain(verifier: ChainVerifier, threads: Threads): Promise<ChainBreak | null> {
    const chain = verifier.chain;
    const ahead: Promise<CheckedPage>[] = [];
    let after: number | null = 0;
    try {
      for (;;) {
        while (after !== null && ahead.length < threads.readAhead) {
          const page: Page = await this.page(chain, after);
          after = page.lastSeq;
          const marks = page.checkpoints.map((c) => c.seq);
          const run = threads.forPage(page.lastSeq !== null).check(chain, page.bytes, marks);
          const checking = run.then((result) => ({ run: result, checkpoints: page.checkpoints }));
          // Awaited in order below; marked as handled now, so a failure while later pages are read is not
          // an unhandled rejection (which would end the process).
          checking.catch(() => undefined);
          ahead.push(checking);
        }
        const checked = ahead.shift();
        if (!checked) return null;
        const { run, checkpoints } = await checked;
        const broken = await linkRun(verifier, run, checkpoints);
        if (broken) return broken;
      }
    } finally {
      // Pages still being checked are not needed any more; let them finish quietly.
      await Promise.allSettled(ahead);
    }
  }

  /**
   * One page: entries after `after`, and the checkpoints up to the page's last
   * seq (all remaining ones on the last page), read in one short transaction
   * (one consistent snapshot; and the embedded database keeps a connection's
   * statements together only inside a transaction). Entries come through
   * `COPY (SELECT …) TO STDOUT` as text lines (reading/copy-rows.ts): the driver's
   * per-row parsing was half the cost of verifying millions of rows.
   */
  private page(chain: string, after: number): Promise<Page> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const client = (await manager.queryRunner!.connect()) as PoolClient;
      const bytes = await this.copyPage(client, chain, after);
      const lastSeq = lineCount(bytes) === PAGE ? seqOfCopyLine(lastLine(bytes)) : null;
      const checkpoints: CheckpointRow[] = await manager.query(
        `SELECT chain, seq, hash, at, kid, jws FROM journal_checkpoints
          WHERE chain = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
        [chain, after, lastSeq ?? Number.MAX_SAFE_INTEGER],
      );
      return { bytes, lastSeq, checkpoints: checkpoints.map(checkpointOf) };
    });
  }

  /**
   * One page of entries through `COPY (SELECT …) TO STDOUT`, as the bytes of
   * its text lines. COPY takes no parameters: the chain is written as a
   * literal by the driver's own quoting and `after` is an integer.
   */
  private async copyPage(client: PoolClient, chain: string, after: number): Promise<Buffer> {
    if (!Number.isSafeInteger(after)) throw new Error('journal page key is not an integer');
    const sql =
      `COPY (SELECT ${COPY_COLUMNS.join(', ')} FROM journal_entries` +
      ` WHERE chain = ${client.escapeLiteral(chain)} AND seq > ${after} ORDER BY seq LIMIT ${PAGE}) TO STDOUT`;
    const chunks: Buffer[] = [];
    for await (const chunk of client.query(copyTo(sql))) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('READ COMMITTED', work);
  }
}

/** The worker threads of one verification, started at the first chain longer than a page. */
class Threads {
  private pool: VerifyPool | null = null;
  private readonly inline = new VerifyPool(0);

  constructor(private readonly size: number) {}

  /** Pages a chain reads ahead of the one being linked: enough to keep every thread busy. */
  get readAhead(): number {
    return this.size + 1;
  }

  /** Where a page is checked: the threads once a page is full (a chain longer than a page), else this thread. */
  forPage(full: boolean): VerifyPool {
    if (this.pool) return this.pool;
    if (!full || this.size === 0) return this.inline;
    this.pool = new VerifyPool(this.size);
    return this.pool;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** Lines in COPY text output (each ends with a newline; a value never holds a raw one). */
function lineCount(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

function lastLine(bytes: Buffer): string {
  const end = bytes.length - 1;
  return bytes.toString('utf8', bytes.lastIndexOf(NEWLINE, end - 1) + 1, end);
}
