import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { NotFoundError, ValidationError } from '../../shared/domain-error.js';
import { ENTRY_COLUMNS, sealedEntryOf, type SealedRow } from '../entries/entry-rows.js';
import { JournalSealer } from '../sealing/sealer.js';
import { consistencyProof, inclusionProof } from '../merkle/merkle.proofs.js';
import { TREE_VERSION, withStoredTree, type NodeQuery } from '../tree/merkle-nodes.js';
import { PROOF_BUNDLE_FORMAT, redactedEntry, type ProofBundle } from './proof-bundle.js';

const SIZE = /^[1-9][0-9]{0,15}$/;

/**
 * Proofs over the chains' Merkle trees (docs/journal-proofs.md): the latest
 * checkpoint note of a chain and consistency proofs between two of its sizes
 * (public: hashes and sizes only), and inclusion proof bundles of one entry
 * (for whoever may read that entry: the caller decides).
 */
@Injectable()
export class JournalProofs {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sealer: JournalSealer,
  ) {}

  /** The latest signed checkpoint note of `chain`, or a 404. */
  async latestCheckpoint(chain: string): Promise<string> {
    const note = await this.latestNote(this.dataSource.manager, chain, 1);
    if (!note) throw new NotFoundError('Ce journal n’a pas encore de point de contrôle signé.', `no checkpoint note for chain ${chain}`);
    return note.note;
  }

  /** PROOF(from, to) of `chain`'s tree; both sizes at most the size of its latest signed checkpoint. */
  async consistency(chain: string, from: unknown, to: unknown): Promise<Buffer[]> {
    const fields: Record<string, string> = {};
    if (typeof from !== 'string' || !SIZE.test(from)) fields.de = 'La taille de départ (de) doit être un nombre entier positif.';
    if (typeof to !== 'string' || !SIZE.test(to)) fields.a = 'La taille d’arrivée (a) doit être un nombre entier positif.';
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    const [oldSize, newSize] = [Number(from), Number(to)];
    if (oldSize > newSize) throw new ValidationError({ de: 'La taille de départ (de) ne peut pas dépasser la taille d’arrivée (a).' });
    const latest = await this.latestNote(this.dataSource.manager, chain, 1);
    if (!latest || newSize > latest.seq) {
      throw new NotFoundError(
        'Aucun point de contrôle signé de ce journal n’atteint cette taille.',
        `consistency proof of chain ${chain} up to ${newSize} asked beyond its latest checkpoint`,
      );
    }
    return withStoredTree(this.query(this.dataSource.manager), chain, newSize, (store) => consistencyProof(store, oldSize, newSize));
  }

  /**
   * The inclusion proof bundle of entry `seq` of `chain` in the latest signed
   * checkpoint (signing one now when none covers the entry yet); null when
   * there is no such entry. `forUsager`: only an entry about that usager, and
   * in the redacted form (docs/decisions/0109): the commitment to the request
   * facts instead of them, no chain hashes. Otherwise the full form, for
   * whoever may read every member of the entry (the caller decides).
   */
  async bundle(chain: string, seq: number, forUsager?: string): Promise<ProofBundle | null> {
    if (!Number.isSafeInteger(seq) || seq < 1) return null;
    const manager = this.dataSource.manager;
    const about = forUsager === undefined ? '' : 'AND e.usager_id = $3';
    const select = () =>
      manager.query(
        `SELECT ${ENTRY_COLUMNS.map((c) => `e.${c}`).join(', ')}, e.seq, e.prev_hash, e.hash, s.salt
           FROM journal_entries e LEFT JOIN journal_request_salts s ON s.chain = e.chain AND s.seq = e.seq
          WHERE e.chain = $1 AND e.seq = $2 ${about}`,
        forUsager === undefined ? [chain, seq] : [chain, seq, forUsager],
      ) as Promise<(SealedRow & { salt: Buffer | null })[]>;
    let rows = await select();
    if (rows.length === 0) return null;
    let checkpoint = await this.latestNote(manager, chain, seq);
    if (!checkpoint) {
      // Signing also builds the tree (and salts) of entries sealed before version 2, the first time.
      await this.sealer.checkpointNow([chain]);
      checkpoint = await this.latestNote(manager, chain, seq);
      rows = await select();
    }
    const row = rows[0]!;
    if (!checkpoint || !row.salt) throw new Error(`journal chain ${chain} has no checkpoint note or salt covering entry ${seq}`);
    const size = checkpoint.seq;
    const path = await withStoredTree(this.query(manager), chain, size, (store) => inclusionProof(store, seq - 1, size));
    const full = { ...sealedEntryOf(row), requestSalt: row.salt.toString('hex') };
    return {
      format: PROOF_BUNDLE_FORMAT,
      entry: forUsager === undefined ? full : redactedEntry(full),
      leafIndex: seq - 1,
      checkpoint: checkpoint.note,
      auditPath: path.map((hash) => hash.toString('base64')),
    };
  }

  private async latestNote(manager: EntityManager, chain: string, atLeast: number): Promise<{ seq: number; note: string } | null> {
    const rows: { seq: string; note: string }[] = await manager.query(
      // The note with the witnesses' cosignatures appended (each a signature line).
      `SELECT k.seq, k.note || coalesce((SELECT string_agg(c.cosignature || E'\\n', '' ORDER BY c.witness)
                                            FROM journal_witness_cosignatures c WHERE c.chain = k.chain AND c.seq = k.seq), '') AS note
         FROM journal_checkpoints k WHERE k.chain = $1 AND k.seq >= $2 AND k.tree = ${TREE_VERSION} ORDER BY k.seq DESC LIMIT 1`,
      [chain, atLeast],
    );
    return rows[0] ? { seq: Number(rows[0].seq), note: rows[0].note } : null;
  }

  private query(manager: EntityManager): NodeQuery {
    return (statement, values) => manager.query(statement.text, values);
  }
}
