import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../../config/config.js';
import { KeysService } from '../../keys/keys.service.js';
import { APP_CONFIG } from '../../shared/app-config.module.js';
import { signCheckpoint } from './checkpoint-signature.js';
import { journalNoteSigner, journalOrigin } from './checkpoint-notes.js';
import { formatCheckpoint } from '../notes/checkpoint.js';
import { ed25519Signer, signNote } from '../notes/note.js';
import { rootAt } from '../merkle/merkle.proofs.js';
import { runPrepared } from '../../database/prepared-statement.js';
import { TREE_VERSION, withStoredTree, type NodeQuery } from '../tree/merkle-nodes.js';
import type { JournalCheckpoint } from '../journal.types.js';

export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}

/**
 * Signs checkpoints of chain heads: after every JOURNAL_CHECKPOINT_EVERY
 * entries, for any chain with new entries at least every
 * JOURNAL_CHECKPOINT_INTERVAL_SECONDS, and on demand. Always called inside
 * the sequencer's transaction (which holds the sequencer lock), so two
 * instances never sign the same head twice.
 */
@Injectable()
export class JournalCheckpoints {
  constructor(
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Signs the heads that are `checkpointEvery` or more entries past their last checkpoint. */
  async signDueByCount(manager: EntityManager, heads: readonly ChainHead[]): Promise<JournalCheckpoint[]> {
    if (heads.length === 0) return [];
    const rows: { chain: string; seq: string | null }[] = await manager.query(
      `SELECT c.chain, k.seq FROM unnest($1::text[]) AS c(chain)
         LEFT JOIN LATERAL (SELECT seq FROM journal_checkpoints k WHERE k.chain = c.chain ORDER BY seq DESC LIMIT 1) k ON true`,
      [heads.map((h) => h.chain)],
    );
    const last = new Map(rows.map((r) => [r.chain, Number(r.seq ?? 0)]));
    const due = heads.filter((h) => h.seq - (last.get(h.chain) ?? 0) >= this.config.journal.checkpointEvery);
    return this.signAll(manager, due);
  }

  /** Signs the heads of chains with entries newer than their last checkpoint, when that is older than the interval. */
  async signDueByTime(manager: EntityManager): Promise<JournalCheckpoint[]> {
    return this.signAll(manager, await this.uncheckpointedHeads(manager, this.config.journal.checkpointIntervalSeconds));
  }

  /** Signs the current head of each chain (all chains when `chains` is absent) that is past its last checkpoint. */
  async signHeads(manager: EntityManager, chains?: readonly string[]): Promise<JournalCheckpoint[]> {
    const heads = await this.uncheckpointedHeads(manager, 0);
    return this.signAll(manager, chains ? heads.filter((h) => chains.includes(h.chain)) : heads);
  }

  private async uncheckpointedHeads(manager: EntityManager, olderThanSeconds: number): Promise<ChainHead[]> {
    const rows: { chain: string; seq: string; hash: string }[] = await manager.query(
      `SELECT c.chain, h.seq, h.hash FROM journal_chains c
         JOIN LATERAL (SELECT seq, hash FROM journal_entries e WHERE e.chain = c.chain ORDER BY seq DESC LIMIT 1) h ON true
         LEFT JOIN LATERAL (SELECT seq, at FROM journal_checkpoints k WHERE k.chain = c.chain ORDER BY seq DESC LIMIT 1) k ON true
        WHERE h.seq > coalesce(k.seq, 0)
          AND coalesce(k.at, c.created_at) <= now() - make_interval(secs => $1)
        ORDER BY c.chain`,
      [olderThanSeconds],
    );
    return rows.map((r) => ({ chain: r.chain, seq: Number(r.seq), hash: r.hash }));
  }

  private async signAll(manager: EntityManager, heads: readonly ChainHead[]): Promise<JournalCheckpoint[]> {
    if (heads.length === 0) return [];
    const key = await this.keys.signingKey('journal', manager);
    const noteSigner = ed25519Signer(await journalNoteSigner(this.keys, this.config.publicUrl, manager));
    const query: NodeQuery = async (statement, values) => (await runPrepared(manager, statement, values)).rows;
    const [{ at }]: { at: Date }[] = await manager.query(`SELECT date_trunc('milliseconds', clock_timestamp()) AS at`);
    const signed: JournalCheckpoint[] = [];
    for (const head of heads) {
      const statement = { chain: head.chain, seq: head.seq, hash: head.hash, at: at.toISOString() };
      const checkpoint = { ...statement, kid: key.kid, jws: await signCheckpoint(key, statement) };
      // The same head as a C2SP tlog-checkpoint: the chain's Merkle root at size seq (the sealer wrote its nodes).
      const rootHash = await withStoredTree(query, head.chain, head.seq, (store) => rootAt(store, head.seq));
      const text = formatCheckpoint({ origin: journalOrigin(this.config.publicUrl, head.chain), size: head.seq, rootHash, extensions: [] });
      await manager.query(
        `INSERT INTO journal_checkpoints (chain, seq, hash, at, kid, jws, note, tree) VALUES ($1, $2, $3, $4, $5, $6, $7, ${TREE_VERSION})
           ON CONFLICT (chain, seq) DO NOTHING`,
        [checkpoint.chain, checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.kid, checkpoint.jws, signNote(text, [noteSigner])],
      );
      signed.push(checkpoint);
    }
    return signed;
  }
}
