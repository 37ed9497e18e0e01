import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../../config/config.js';
import { preparedStatement, runPrepared } from '../../database/prepared-statement.js';
import { APP_CONFIG } from '../../shared/app-config.module.js';
import { canonicalEntry, chainHashOfCanonical, GENESIS_HASH, merkleLeaf, requestCommitment } from '../entries/hash-chain.js';
import { newRequestSalts, writeRequestSalts, type RequestSalt } from '../entries/request-salts.js';
import { JournalCheckpoints, type ChainHead } from '../checkpoints/checkpoint-signer.js';
import { ENTRY_COLUMNS, entryOf, type EntryRow } from '../entries/entry-rows.js';
import type { JournalCheckpoint } from '../journal.types.js';
import { catchUpTrees, loadFrontiers, writeNodes, type ChainNode, type NodeQuery } from '../tree/merkle-nodes.js';

/** Advisory lock key held by whichever instance is sealing (transaction-scoped). */
export const SEALER_LOCK = 7_361_042_201;
const BATCH = 2000;
/** Longest pause of an idle sequencer between two looks (other instances may append). */
const IDLE_MAX_MS = 400;
/** The same on the embedded database: this process is the only one that appends. */
const EMBEDDED_IDLE_MAX_MS = 5000;
/** How long after a local append the sequencer keeps looking at its full pace. */
const HINT_MS = 2000;
/** How often, at most, the time-based checkpoint rule is evaluated. */
const TIME_CHECK_MS = 1000;

/** The sequencer's statements, run every few tens of milliseconds while entries come: prepared once per connection. */
const SQL = {
  lock: preparedStatement('journal_sealer_lock', `SELECT pg_try_advisory_xact_lock($1) AS locked`),
  pending: preparedStatement(
    'journal_sealer_pending',
    `SELECT pending_id, ${ENTRY_COLUMNS.join(', ')} FROM journal_pending ORDER BY pending_id LIMIT $1`,
  ),
  heads: preparedStatement(
    'journal_sealer_heads',
    `SELECT c.chain, h.seq, h.hash FROM unnest($1::text[]) AS c(chain)
       JOIN LATERAL (SELECT seq, hash FROM journal_entries e WHERE e.chain = c.chain ORDER BY seq DESC LIMIT 1) h ON true`,
  ),
  chains: preparedStatement('journal_sealer_chains', `INSERT INTO journal_chains (chain) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`),
  // The sealed values go as arrays beside the pending ids: no per-row JSON to write and parse.
  seal: preparedStatement(
    'journal_sealer_seal',
    `INSERT INTO journal_entries (${ENTRY_COLUMNS.join(', ')}, seq, prev_hash, hash)
     SELECT ${ENTRY_COLUMNS.map((c) => `p.${c}`).join(', ')}, x.seq, x.prev_hash, x.hash
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS x(pending_id, seq, prev_hash, hash)
       JOIN journal_pending p ON p.pending_id = x.pending_id`,
  ),
  deleteSealed: preparedStatement('journal_sealer_delete', `DELETE FROM journal_pending WHERE pending_id = ANY($1::bigint[])`),
};

export interface SealResult {
  sealed: number;
  /** Another instance held the sequencer lock: nothing was done. */
  busy: boolean;
}

/**
 * The journal's sequencer (docs/decisions/0100-journal-sequencer.md). Use
 * cases insert pending entries in their own transactions; this single sealer
 * (one at a time across instances, by an advisory lock) takes committed
 * pending entries in insertion order, gives each the next `seq` of its chain,
 * its `prev_hash` and `hash`, moves them into `journal_entries`, extends each
 * chain's Merkle tree (merkle-nodes.ts) and signs the checkpoints that are
 * due, all in one transaction. A crash at any point
 * leaves either the whole batch sealed or none of it; the next sealer
 * resumes from the chain heads in the database.
 */
@Injectable()
export class JournalSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JournalSealer.name);
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> = Promise.resolve();
  private lastTimeCheck = 0;
  private failures = 0;
  private idleDelay = 0;
  private idleMaxMs = IDLE_MAX_MS;
  private hintedUntil = 0;
  private ticking = false;
  private nextRunAt = 0;
  /** Whether this process has built what older chains' trees lacked (once, before its first batch). */
  private treesCaughtUp = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly checkpoints: JournalCheckpoints,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Before the database connection closes: the batch in progress finishes, the loop stops. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.detectEmbedded();
    this.schedule(0);
  }

  /** An entry was just appended here: look at full pace for a while (now, if idling). */
  hint(): void {
    this.hintedUntil = Date.now() + HINT_MS;
    const base = this.config.journal.sealIntervalMs;
    if (this.running && !this.ticking && this.nextRunAt - Date.now() > base) {
      clearTimeout(this.timer);
      this.schedule(base);
    }
  }

  /**
   * On the embedded database (one process, and every query of another
   * connection competes with ours) an idle sequencer looks rarely.
   */
  private async detectEmbedded(): Promise<void> {
    try {
      const [{ version }]: { version: string }[] = await this.dataSource.query(`SELECT version() AS version`);
      if (version.includes('PGlite')) this.idleMaxMs = EMBEDDED_IDLE_MAX_MS;
    } catch {
      // Keep the server default: looking more often is always safe.
    }
  }

  /** Stops the loop and waits for the batch in progress, if any. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }

  /** Seals one batch now (serialised with the loop in this process). */
  sealBatch(): Promise<SealResult> {
    const next = this.current.catch(() => undefined).then(() => this.sealInTransaction());
    this.current = next;
    return next;
  }

  /** Seals until nothing committed is pending (waits while another instance seals). */
  async flush(): Promise<void> {
    for (;;) {
      const result = await this.sealBatch();
      if (result.busy) await new Promise((resolve) => setTimeout(resolve, 20));
      else if (result.sealed === 0) return;
    }
  }

  /** Signs checkpoints of the chains' current heads now (after sealing what is pending). */
  async checkpointNow(chains?: readonly string[]): Promise<JournalCheckpoint[]> {
    await this.flush();
    const run = this.current
      .catch(() => undefined)
      .then(() => this.withLock((m) => this.checkpoints.signHeads(m, chains)));
    this.current = run;
    const result = await run;
    if (result) return result;
    // Another instance holds the sequencer lock: try again shortly.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return this.checkpointNow(chains);
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.nextRunAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    let result: SealResult = { sealed: 0, busy: false };
    try {
      result = await this.sealBatch();
      this.failures = 0;
    } catch (error) {
      // Database down or restarting: pending entries wait, nothing is lost.
      this.failures++;
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.logger.warn(`journal sealing failed (${this.failures} in a row): ${(error as Error).message}`);
      }
    }
    this.ticking = false;
    this.schedule(this.nextDelay(result.sealed));
  }

  /**
   * At once while batches are full; every JOURNAL_SEAL_INTERVAL_MS while
   * there is work or this process has just appended; when idle, slowing down
   * to 400 ms at most (5 s on the embedded database, where only this process
   * appends and `hint` wakes it), so an idle service is not queried ten
   * times a second for nothing, and an entry still waits well under a second.
   */
  private nextDelay(sealed: number): number {
    const base = this.config.journal.sealIntervalMs;
    if (sealed >= BATCH) return 0;
    const busy = sealed > 0 || Date.now() < this.hintedUntil;
    this.idleDelay = busy ? base : Math.min(Math.max(base, this.idleMaxMs), Math.max(base, this.idleDelay * 2));
    return this.idleDelay;
  }

  /**
   * Runs `work` in a transaction holding the sequencer lock; `undefined` if another instance holds it.
   * READ COMMITTED (each statement sees the pending rows committed before it) is every connection's
   * level, set once when it opens (data-source-options.ts): naming it here would cost a statement per batch.
   */
  private async withLock<T>(work: (manager: EntityManager) => Promise<T>): Promise<T | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const { rows } = await runPrepared<{ locked: boolean }>(manager, SQL.lock, [SEALER_LOCK]);
      return rows[0]!.locked ? work(manager) : undefined;
    });
  }

  private async sealInTransaction(): Promise<SealResult> {
    let caughtUp = this.treesCaughtUp;
    const sealed = await this.withLock(async (manager) => {
      if (!caughtUp) {
        const added = await catchUpTrees(manager);
        if (added > 0) this.logger.log(`built the Merkle trees of older chains: ${added} leaves`);
        caughtUp = true;
      }
      const count = await this.sealPending(manager);
      if (Date.now() - this.lastTimeCheck >= TIME_CHECK_MS) {
        this.lastTimeCheck = Date.now();
        await this.checkpoints.signDueByTime(manager);
      }
      return count;
    });
    // Only once the transaction that built them has committed.
    if (sealed !== undefined) this.treesCaughtUp = caughtUp;
    return sealed === undefined ? { sealed: 0, busy: true } : { sealed, busy: false };
  }

  private async sealPending(manager: EntityManager): Promise<number> {
    const { rows: pending } = await runPrepared<EntryRow & { pending_id: string }>(manager, SQL.pending, [BATCH]);
    if (pending.length === 0) return 0;
    const chains = [...new Set(pending.map((row) => row.chain))];
    const heads = await this.headsOf(manager, chains);
    // Each chain's Merkle tree has one leaf per sealed entry: its size is the head's seq.
    const query: NodeQuery = async (statement, values) => (await runPrepared(manager, statement, values)).rows;
    const frontiers = await loadFrontiers(query, new Map(chains.map((chain) => [chain, heads.get(chain)?.seq ?? 0])));
    const seqs: number[] = [];
    const prevHashes: string[] = [];
    const hashes: string[] = [];
    const nodes: ChainNode[] = [];
    const fresh = newRequestSalts(pending.length);
    const salts: RequestSalt[] = [];
    for (const [i, row] of pending.entries()) {
      const head = heads.get(row.chain) ?? { chain: row.chain, seq: 0, hash: GENESIS_HASH };
      const seq = head.seq + 1;
      const entry = entryOf(row, seq);
      const hash = chainHashOfCanonical(head.hash, canonicalEntry(entry));
      heads.set(row.chain, { chain: row.chain, seq, hash });
      seqs.push(seq);
      prevHashes.push(head.hash);
      hashes.push(hash);
      // The leaf commits to the request facts by a salted hash instead of holding them (docs/decisions/0109).
      const salt = fresh[i]!;
      salts.push({ chain: row.chain, seq, salt });
      for (const node of frontiers.get(row.chain)!.append(merkleLeaf(entry, requestCommitment(salt, entry.request)))) nodes.push({ chain: row.chain, ...node });
    }
    const pendingIds = pending.map((row) => row.pending_id);
    await runPrepared(manager, SQL.chains, [[...heads.keys()]]);
    const inserted = await runPrepared(manager, SQL.seal, [pendingIds, seqs, prevHashes, hashes]);
    if (inserted.rowCount !== pending.length) throw new Error('journal sealing lost pending entries mid-batch');
    await writeRequestSalts(query, salts);
    await writeNodes(query, nodes);
    await runPrepared(manager, SQL.deleteSealed, [pendingIds]);
    await this.checkpoints.signDueByCount(manager, [...heads.values()]);
    return pending.length;
  }

  private async headsOf(manager: EntityManager, chains: string[]): Promise<Map<string, ChainHead>> {
    const { rows } = await runPrepared<{ chain: string; seq: string; hash: string }>(manager, SQL.heads, [chains]);
    return new Map(rows.map((r) => [r.chain, { chain: r.chain, seq: Number(r.seq), hash: r.hash }]));
  }
}
