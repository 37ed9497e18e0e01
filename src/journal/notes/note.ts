/**
 * C2SP signed notes: a text ending in a newline, a blank line, then one or
 * more lines `— <key name> base64(key ID ‖ signature)`. Parsing, signing and
 * verification by trusted keys; what a signature covers depends on its type
 * (plain Ed25519 here, the witnesses' cosignatures in cosignature.ts).
 */
import { sign, verify } from 'node:crypto';
import { NoteError } from './note.errors.js';
import { checkKeyName, decodeBase64 } from './note.encoding.js';
import { ed25519PublicKey, keyId, SIGNATURE_TYPE, type SignerKey, type VerifierKey } from './note.keys.js';

/** Most signatures read in one note: the format asks verifiers to take at least 16. */
export const MAX_NOTE_SIGNATURES = 100;

const DASH = '\u2014';

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature bytes after the key ID. */
  signature: Buffer;
}

export interface Note {
  /** The signed text, final newline included. */
  text: string;
  signatures: NoteSignature[];
}

export interface NoteSigner {
  name: string;
  keyId: number;
  sign(text: string): Buffer;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  verify(text: string, signature: Buffer): boolean;
}

const hex8 = (id: number) => id.toString(16).padStart(8, '0');

function decodeUtf8(input: string | Uint8Array): string {
  if (typeof input !== 'string') {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      throw new NoteError('malformed', 'the note is not valid UTF-8');
    }
  }
  if (Buffer.from(input, 'utf8').toString('utf8') !== input) throw new NoteError('malformed', 'the note is not valid UTF-8');
  return input;
}

function parseSignatureLine(line: string, number: number): NoteSignature {
  const fields = line.startsWith(`${DASH} `) ? line.slice(2).split(' ') : [];
  if (fields.length !== 2) throw new NoteError('malformed', `signature line ${number} is not "— <key name> <signature>"`);
  const [name, encoded] = fields;
  checkKeyName(name);
  const bytes = decodeBase64(encoded, `the signature of ${name}`);
  if (bytes.length < 5) throw new NoteError('malformed', `the signature of ${name} is too short to hold a key ID`);
  return { name, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) };
}

/** Splits a signed note into its text and signatures, refusing anything outside the format. */
export function parseNote(input: string | Uint8Array): Note {
  const note = decodeUtf8(input);
  if ([...note].some((char) => char < ' ' && char !== '\n')) throw new NoteError('malformed', 'the note holds a control character');
  if (!note.endsWith('\n')) throw new NoteError('malformed', 'the note does not end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'the note has no blank line before its signatures');
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new NoteError('malformed', `the note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  return { text: note.slice(0, split + 1), signatures: lines.map((line, i) => parseSignatureLine(line, i + 1)) };
}

export function formatSignatureLine(name: string, id: number, signature: Uint8Array): string {
  checkKeyName(name);
  const bytes = Buffer.alloc(4 + signature.length);
  bytes.writeUInt32BE(id, 0);
  bytes.set(signature, 4);
  return `${DASH} ${name} ${bytes.toString('base64')}\n`;
}

/** Text, blank line, signature lines: the signed note. */
export function formatNote(text: string, signatureLines: readonly string[]): string {
  if (!text.endsWith('\n') || text.length < 2) throw new NoteError('malformed', 'a note text ends with a newline');
  if (signatureLines.length === 0) throw new NoteError('malformed', 'a note has at least one signature');
  return `${text}\n${signatureLines.join('')}`;
}

export function signNote(text: string, signers: readonly NoteSigner[]): string {
  return formatNote(
    text,
    signers.map((signer) => formatSignatureLine(signer.name, signer.keyId, signer.sign(text))),
  );
}

/** Signs the whole note text with Ed25519 (type 0x01). */
export function ed25519Signer(key: SignerKey): NoteSigner {
  return {
    name: key.name,
    keyId: keyId(key.name, SIGNATURE_TYPE.ed25519, key.publicKey),
    sign: (text) => sign(null, Buffer.from(text, 'utf8'), key.privateKey),
  };
}

/** Verifies type 0x01 signatures of a verifier key. */
export function ed25519Verifier(vkey: VerifierKey): NoteVerifier {
  if (vkey.type !== SIGNATURE_TYPE.ed25519) throw new NoteError('bad-key', `verifier key ${vkey.name} is not an Ed25519 note key`);
  const publicKey = ed25519PublicKey(vkey.publicKey);
  return {
    name: vkey.name,
    keyId: vkey.keyId,
    verify: (text, signature) => signature.length === 64 && verify(null, Buffer.from(text, 'utf8'), publicKey, signature),
  };
}

export interface VerifiedNote extends Note {
  /** Signatures by trusted keys, all verified. */
  verified: NoteSignature[];
  /** Signatures by keys the verifier does not know, ignored. */
  unknown: NoteSignature[];
}

/**
 * Opens a note: signatures by unknown keys are ignored, a trusted key's
 * signature that fails refuses the whole note, and a note without a verified
 * signature is refused.
 */
export function verifyNote(input: string | Uint8Array, verifiers: readonly NoteVerifier[]): VerifiedNote {
  const note = parseNote(input);
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  for (const signature of note.signatures) {
    const verifier = verifiers.find((v) => v.name === signature.name && v.keyId === signature.keyId);
    if (!verifier) {
      unknown.push(signature);
    } else if (verifier.verify(note.text, signature.signature)) {
      verified.push(signature);
    } else {
      throw new NoteError('bad-signature', `the signature of ${signature.name} (key ${hex8(signature.keyId)}) does not verify`);
    }
  }
  if (verified.length === 0) {
    const seen = note.signatures.map((s) => `${s.name} ${hex8(s.keyId)}`).join(', ');
    throw new NoteError('unknown-key', `no signature by a trusted key (signed by ${seen})`);
  }
  return { ...note, verified, unknown };
}
