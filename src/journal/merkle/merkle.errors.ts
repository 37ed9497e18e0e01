/**
 * Why a proof could not be made or was refused. The message names what
 * failed (which size, which index, which length) so that a person checking a
 * bundle learns what is wrong with it, not only that it is wrong.
 */
export type MerkleFault =
  | 'index-out-of-range'
  | 'size-beyond-tree'
  | 'sizes-out-of-order'
  | 'empty-old-tree'
  | 'wrong-proof-length'
  | 'wrong-hash-length'
  | 'old-root-mismatch'
  | 'root-mismatch';

export class MerkleProofError extends Error {
  constructor(
    readonly fault: MerkleFault,
    message: string,
  ) {
    super(message);
    this.name = 'MerkleProofError';
  }
}
