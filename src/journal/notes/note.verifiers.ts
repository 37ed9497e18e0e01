/** A verifier for any verifier key this service reads: a log's (0x01) or a witness's (0x04). */
import { cosignatureVerifier } from './cosignature.js';
import { parseVerifierKey, SIGNATURE_TYPE } from './note.keys.js';
import { ed25519Verifier, type NoteVerifier } from './note.js';

export function verifierFromKey(vkey: string): NoteVerifier {
  const key = parseVerifierKey(vkey);
  return key.type === SIGNATURE_TYPE.cosignatureV1 ? cosignatureVerifier(key) : ed25519Verifier(key);
}
