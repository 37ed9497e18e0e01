/** RFC 9162 Merkle trees for the journal: pure code, node:crypto only. */
export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './merkle.hash.js';
export { MerkleProofError, type MerkleFault } from './merkle.errors.js';
export { InMemoryMerkleTree, type MerkleNodeStore } from './merkle.store.js';
export { consistencyProof, inclusionProof, rootAt } from './merkle.proofs.js';
export {
  consistencyProofLength,
  inclusionProofLength,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyClaim,
  type InclusionClaim,
} from './merkle.verify.js';
export { MerkleFrontier, peakPositions, type MerkleNode } from './merkle.frontier.js';
