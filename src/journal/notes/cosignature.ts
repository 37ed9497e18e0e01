/**
 * C2SP tlog-cosignature v1 with Ed25519 (signature type 0x04): a witness
 * signs "cosignature/v1\ntime <t>\n" followed by the checkpoint text, and its
 * signature is the 8-byte big-endian timestamp then the 64-byte Ed25519
 * signature. The message does not name the witness, so one key serves one
 * witness name only.
 */
import { sign, verify } from 'node:crypto';
import { NoteError } from './note.errors.js';
import { ed25519PublicKey, formatVerifierKey, keyId, SIGNATURE_TYPE, type SignerKey, type VerifierKey } from './note.keys.js';
import { formatSignatureLine, type NoteSignature, type NoteVerifier } from './note.js';

const MAX_TIMESTAMP = 2n ** 63n - 1n;

export function cosignatureMessage(checkpointText: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

export interface Cosigner {
  name: string;
  keyId: number;
  /** The witness's verifier key (type 0x04), as logs and clients configure it. */
  verifierKey: string;
  /** The signature line of a cosignature over the checkpoint text at `timestamp` (POSIX seconds). */
  cosign(checkpointText: string, timestamp: number): string;
}

export function ed25519Cosigner(key: SignerKey): Cosigner {
  return {
    name: key.name,
    keyId: keyId(key.name, SIGNATURE_TYPE.cosignatureV1, key.publicKey),
    verifierKey: formatVerifierKey(key.name, SIGNATURE_TYPE.cosignatureV1, key.publicKey),
    cosign(checkpointText, timestamp) {
      if (!Number.isSafeInteger(timestamp) || timestamp <= 0) throw new NoteError('malformed', `cosignature time ${timestamp} is not a positive POSIX time`);
      const signature = Buffer.alloc(72);
      signature.writeBigUInt64BE(BigInt(timestamp), 0);
      sign(null, cosignatureMessage(checkpointText, timestamp), key.privateKey).copy(signature, 8);
      return formatSignatureLine(key.name, this.keyId, signature);
    },
  };
}

/** The time a cosignature claims, in POSIX seconds, or undefined when the bytes cannot be one. */
export function cosignatureTime(signature: NoteSignature): number | undefined {
  if (signature.signature.length !== 72) return undefined;
  const time = signature.signature.readBigUInt64BE(0);
  return time > MAX_TIMESTAMP ? undefined : Number(time);
}

/** Verifies type 0x04 cosignatures of a witness's verifier key. */
export function cosignatureVerifier(vkey: VerifierKey): NoteVerifier {
  if (vkey.type !== SIGNATURE_TYPE.cosignatureV1) throw new NoteError('bad-key', `verifier key ${vkey.name} is not a cosignature key`);
  const publicKey = ed25519PublicKey(vkey.publicKey);
  return {
    name: vkey.name,
    keyId: vkey.keyId,
    verify(text, signature) {
      const time = cosignatureTime({ name: vkey.name, keyId: vkey.keyId, signature });
      if (time === undefined) return false;
      return verify(null, cosignatureMessage(text, time), publicKey, signature.subarray(8));
    },
  };
}
