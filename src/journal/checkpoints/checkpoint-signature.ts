import canonicalize from 'canonicalize';
import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import type { SigningKey } from '../../keys/keys.service.js';

/** JWS `typ` of a journal checkpoint, so no other signed object can pass for one. */
export const CHECKPOINT_TYP = 'procuration-journal-checkpoint';

/** What a checkpoint states: chain `chain` had head `hash` at `seq`, signed at `at`. */
export interface CheckpointStatement {
  chain: string;
  seq: number;
  hash: string;
  at: string;
}

/** Compact JWS (ES256) over the canonical JSON of the statement. */
export async function signCheckpoint(key: SigningKey, statement: CheckpointStatement): Promise<string> {
  const payload = canonicalize({ chain: statement.chain, seq: statement.seq, hash: statement.hash, at: statement.at });
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYP })
    .sign(key.privateKey);
}

/** Public keys once imported, by JWK object: a verification checks a thousand checkpoints with the same few keys. */
const importedKeys = new WeakMap<JWK, ReturnType<typeof importJWK>>();

function publicKeyOf(jwk: JWK): ReturnType<typeof importJWK> {
  let key = importedKeys.get(jwk);
  if (!key) {
    key = importJWK({ ...jwk, alg: 'ES256' }, 'ES256');
    importedKeys.set(jwk, key);
  }
  return key;
}

/**
 * Checks a checkpoint's JWS with the published keys and that it states
 * exactly `statement`. Returns what is wrong, or `null` when it holds.
 */
export async function checkpointProblem(
  jws: string,
  statement: CheckpointStatement,
  jwks: readonly JWK[],
): Promise<string | null> {
  let header: { kid?: string; alg?: string; typ?: string };
  try {
    header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    return 'checkpoint signature is not a compact JWS';
  }
  if (header.alg !== 'ES256' || header.typ !== CHECKPOINT_TYP) return 'checkpoint signature has an unexpected alg or typ';
  const jwk = jwks.find((k) => k.kid === header.kid);
  if (!jwk) return `checkpoint is signed by unknown key ${JSON.stringify(header.kid ?? null)}`;
  let payload: Uint8Array;
  try {
    const key = await publicKeyOf(jwk);
    ({ payload } = await compactVerify(jws, key, { algorithms: ['ES256'] }));
  } catch {
    return `checkpoint signature does not verify with key ${header.kid}`;
  }
  const signed = JSON.parse(new TextDecoder().decode(payload)) as Partial<CheckpointStatement>;
  for (const field of ['chain', 'seq', 'hash', 'at'] as const) {
    if (signed[field] !== statement[field]) {
      return `checkpoint ${field} differs from what is signed (${JSON.stringify(statement[field])} vs signed ${JSON.stringify(signed[field])})`;
    }
  }
  return null;
}
