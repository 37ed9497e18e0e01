import type { JWK } from 'jose';
import { chainHash, GENESIS_HASH } from '../entries/hash-chain.js';
import { checkpointProblem } from '../checkpoints/checkpoint-signature.js';
import type { JournalCheckpoint, SealedJournalEntry } from '../journal.types.js';

/** The first thing wrong with a chain: where, and what differs. */
export interface ChainBreak {
  chain: string;
  seq: number;
  message: string;
}

/**
 * Checks one chain as its entries and checkpoints stream past, in seq order,
 * in constant memory: seq continuity from 1, each `prev_hash` equal to the
 * previous `hash`, each `hash` recomputed, and each checkpoint's signature
 * and its agreement with the entry at its seq. Shared by the database
 * verification and the offline check of an export.
 */
export class ChainVerifier {
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private checkpointed: JournalCheckpoint | null = null;
  /** Checkpoints verified so far. */
  checkpoints = 0;

  constructor(
    readonly chain: string,
    private readonly jwks: readonly JWK[],
  ) {}

  get entries(): number {
    return this.lastSeq;
  }

  get head(): { seq: number; hash: string } {
    return { seq: this.lastSeq, hash: this.lastHash };
  }

  get lastCheckpoint(): JournalCheckpoint | null {
    return this.checkpointed;
  }

  /**
   * A verifier that takes a chain from the middle: the next entry must have
   * `seq` `after + 1` and `prev_hash` `prevHash`. Used to check a run of
   * entries in a worker thread, from the run's own first `prev_hash`; the
   * caller links the run to the chain with `follow` and `reach`.
   */
  static startingAfter(chain: string, after: number, prevHash: string): ChainVerifier {
    const verifier = new ChainVerifier(chain, []);
    verifier.lastSeq = after;
    verifier.lastHash = prevHash;
    return verifier;
  }

  /** Takes the next entry; returns the break it shows, if any. */
  entry(entry: SealedJournalEntry): ChainBreak | null {
    const broken = this.follow(entry);
    if (broken) return broken;
    const recomputed = chainHash(entry.prevHash, entry);
    if (recomputed !== entry.hash) {
      return this.broken(entry.seq, `content does not match its hash: stored ${entry.hash}, recomputed ${recomputed}`);
    }
    this.lastSeq = entry.seq;
    this.lastHash = entry.hash;
    return null;
  }

  /** Whether an entry takes its place after the last one (chain, seq, prev_hash), its content aside. */
  follow(entry: { chain: string; seq: number; prevHash: string }): ChainBreak | null {
    const expected = this.lastSeq + 1;
    if (entry.chain !== this.chain) return this.broken(entry.seq, `entry belongs to chain ${entry.chain}`);
    if (entry.seq !== expected) {
      return this.broken(
        expected,
        entry.seq > expected
          ? `entry ${expected} is missing (next entry found is ${entry.seq})`
          : `entry ${entry.seq} comes after entry ${this.lastSeq} (out of order or repeated)`,
      );
    }
    if (entry.prevHash !== this.lastHash) {
      return this.broken(entry.seq, `prev_hash ${entry.prevHash} differs from the hash of entry ${this.lastSeq} (${this.lastHash})`);
    }
    return null;
  }

  /** Moves past entries checked elsewhere (a run that `follow` linked to this chain), up to `seq` with `hash`. */
  reach(seq: number, hash: string): void {
    this.lastSeq = seq;
    this.lastHash = hash;
  }

  /** Takes a checkpoint once the entry at its seq has been taken. */
  async checkpoint(checkpoint: JournalCheckpoint): Promise<ChainBreak | null> {
    if (checkpoint.chain !== this.chain) return this.broken(checkpoint.seq, `checkpoint belongs to chain ${checkpoint.chain}`);
    if (checkpoint.seq !== this.lastSeq) {
      return this.broken(
        checkpoint.seq,
        checkpoint.seq > this.lastSeq
          ? `checkpoint at seq ${checkpoint.seq} refers to a missing entry (chain ends at ${this.lastSeq})`
          : `checkpoint at seq ${checkpoint.seq} is out of order`,
      );
    }
    if (checkpoint.hash !== this.lastHash) {
      return this.broken(checkpoint.seq, `checkpoint hash ${checkpoint.hash} differs from the entry's hash ${this.lastHash}`);
    }
    const problem = await checkpointProblem(checkpoint.jws, checkpoint, this.jwks);
    if (problem) return this.broken(checkpoint.seq, problem);
    this.checkpointed = checkpoint;
    this.checkpoints++;
    return null;
  }

  private broken(seq: number, message: string): ChainBreak {
    return { chain: this.chain, seq, message };
  }
}
