/**
 * The witness's rules (C2SP tlog-witness add-checkpoint): a checkpoint is
 * cosigned only when a trusted key of its origin signed it and it extends,
 * by a valid consistency proof, the latest checkpoint cosigned for that
 * origin. Everything here is synchronous from the check of the old size to
 * the state write, so two requests cannot interleave (see witness.state.ts).
 */
import { createHash } from 'node:crypto';
import { EMPTY_ROOT } from '../journal/merkle/merkle.hash.js';
import { MerkleProofError } from '../journal/merkle/merkle.errors.js';
import { verifyConsistency } from '../journal/merkle/merkle.verify.js';
import type { Cosigner } from '../journal/notes/cosignature.js';
import { NoteError } from '../journal/notes/note.errors.js';
import { verifyNote, type NoteVerifier } from '../journal/notes/note.js';
import { WitnessRefusal } from './witness.errors.js';
import { parseAddCheckpoint, type AddCheckpointRequest } from './witness.request.js';
import type { WitnessState } from './witness.state.js';

export interface WitnessedLog {
  origin: string;
  prefix: boolean;
  verifier: NoteVerifier;
}

export interface WitnessEvent {
  event: 'cosigned' | 'refused';
  origin?: string;
  status?: number;
  reason?: string;
  oldSize?: number;
  size?: number;
}

export class Witness {
  constructor(
    private readonly logs: readonly WitnessedLog[],
    readonly cosigner: Cosigner,
    private readonly state: WitnessState,
    private readonly now: () => Date,
    private readonly report: (event: WitnessEvent) => void = () => undefined,
  ) {}

  /** Cosigns the request's checkpoint and returns the cosignature line, or throws a WitnessRefusal. */
  addCheckpoint(body: string): string {
    let request: AddCheckpointRequest | undefined;
    try {
      request = parseAddCheckpoint(body);
      const line = this.cosign(request);
      this.report({ event: 'cosigned', origin: request.checkpoint.origin, oldSize: request.oldSize, size: request.checkpoint.size });
      return line;
    } catch (error) {
      if (error instanceof WitnessRefusal) {
        // A signed but inconsistent checkpoint may be evidence that the log forked: reported with its sizes.
        const checkpoint = request?.checkpoint;
        this.report({ event: 'refused', status: error.status, reason: error.message, origin: checkpoint?.origin, oldSize: request?.oldSize, size: checkpoint?.size });
      }
      throw error;
    }
  }

  /** The latest cosigned checkpoint of the origin whose SHA-256 (hex) is given, for monitors. */
  latestCheckpoint(originHash: string): string {
    const origin = this.state.origins().find((o) => createHash('sha256').update(o).digest('hex') === originHash);
    const latest = origin === undefined ? undefined : this.state.latest(origin);
    if (!latest) throw new WitnessRefusal(404, 'no checkpoint cosigned for this origin');
    return latest.note;
  }

  private verifiersFor(origin: string): NoteVerifier[] {
    return this.logs.filter((log) => (log.prefix ? origin.startsWith(log.origin) : origin === log.origin)).map((log) => log.verifier);
  }

  private checkSignature(request: AddCheckpointRequest): void {
    const verifiers = this.verifiersFor(request.checkpoint.origin);
    if (verifiers.length === 0) throw new WitnessRefusal(404, `unknown log origin ${request.checkpoint.origin}`);
    try {
      verifyNote(request.noteText, verifiers);
    } catch (error) {
      if (error instanceof NoteError) throw new WitnessRefusal(403, `the checkpoint signature is not accepted: ${error.message}`);
      throw error;
    }
  }

  private cosign(request: AddCheckpointRequest): string {
    const { checkpoint, oldSize } = request;
    this.checkSignature(request);
    if (oldSize > checkpoint.size) throw new WitnessRefusal(400, `old size ${oldSize} is larger than the checkpoint size ${checkpoint.size}`);
    const latest = this.state.latest(checkpoint.origin);
    const latestSize = latest?.size ?? 0;
    if (oldSize !== latestSize) {
      throw new WitnessRefusal(409, `old size ${oldSize} is not the latest cosigned size ${latestSize}`, latestSize);
    }
    if (checkpoint.size === 0 && !checkpoint.rootHash.equals(EMPTY_ROOT)) {
      throw new WitnessRefusal(422, 'a checkpoint of size 0 must have the root hash of the empty tree');
    }
    this.checkConsistency(request, latest ? Buffer.from(latest.rootHash, 'base64') : EMPTY_ROOT);
    const cosignedAt = this.now();
    const line = this.cosigner.cosign(request.note.text, Math.floor(cosignedAt.getTime() / 1000));
    this.state.record(checkpoint.origin, {
      size: checkpoint.size,
      rootHash: checkpoint.rootHash.toString('base64'),
      note: request.noteText + line,
      cosignedAt: cosignedAt.toISOString(),
    });
    return line;
  }

  private checkConsistency(request: AddCheckpointRequest, oldRoot: Buffer): void {
    const { checkpoint, oldSize, proof } = request;
    if (oldSize === 0) {
      if (proof.length > 0) throw new WitnessRefusal(422, 'from old size 0 the consistency proof must be empty');
      return;
    }
    try {
      verifyConsistency({ oldSize, newSize: checkpoint.size, oldRoot, newRoot: checkpoint.rootHash, proof });
    } catch (error) {
      if (error instanceof MerkleProofError) {
        throw new WitnessRefusal(422, `the checkpoint is not consistent with the cosigned one of size ${oldSize}: ${error.message}`);
      }
      throw error;
    }
  }
}
