/**
 * Ed25519 keys of the signed-note format (C2SP signed-note): key IDs,
 * verifier keys `<name>+<hex key ID>+<base64(type ‖ public key)>`, and the
 * signer key text of the Go reference (`PRIVATE+KEY+<name>+<hex key ID>+
 * <base64(0x01 ‖ seed)>`), so that keys made by its tools can be used here.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { NoteError } from './note.errors.js';
import { checkKeyName, decodeBase64 } from './note.encoding.js';

/** Signature type bytes assigned by the signed-note specification. */
export const SIGNATURE_TYPE = { ed25519: 0x01, cosignatureV1: 0x04 } as const;
export type SignatureType = (typeof SIGNATURE_TYPE)[keyof typeof SIGNATURE_TYPE];

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], as a uint32. */
export function keyId(name: string, type: number, publicKey: Uint8Array): number {
  return createHash('sha256').update(name).update(Buffer.from([0x0a, type])).update(publicKey).digest().readUInt32BE(0);
}

const hex8 = (id: number) => id.toString(16).padStart(8, '0');

export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new NoteError('bad-key', `an Ed25519 seed has 32 bytes, not ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new NoteError('bad-key', `an Ed25519 public key has 32 bytes, not ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The 32 raw bytes of an Ed25519 public key (of a private key too). */
export function rawPublicKey(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
}

/** The 32-byte seed of an Ed25519 private key. */
export function rawSeed(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
}

export interface VerifierKey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Buffer;
}

export function formatVerifierKey(name: string, type: SignatureType, publicKey: Uint8Array): string {
  checkKeyName(name);
  const material = Buffer.concat([Buffer.from([type]), publicKey]).toString('base64');
  return `${name}+${hex8(keyId(name, type, publicKey))}+${material}`;
}

/** Parses a vkey of type Ed25519 (0x01) or Ed25519 cosignature (0x04), checking its key ID. */
export function parseVerifierKey(vkey: string): VerifierKey {
  // The key's base64 may itself hold '+': only the first two are separators.
  const [name, id, ...rest] = vkey.split('+');
  const material = rest.join('+');
  if (id === undefined || rest.length === 0) throw new NoteError('bad-key', 'a verifier key is <name>+<key ID>+<key>');
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(id)) throw new NoteError('bad-key', `verifier key ${name}: the key ID is not 8 lowercase hex digits`);
  const bytes = decodeBase64(material, `verifier key ${name}`);
  const type = bytes[0];
  if (type !== SIGNATURE_TYPE.ed25519 && type !== SIGNATURE_TYPE.cosignatureV1) {
    throw new NoteError('bad-key', `verifier key ${name}: signature type ${type} is not supported (Ed25519 0x01 or cosignature 0x04)`);
  }
  const publicKey = bytes.subarray(1);
  if (publicKey.length !== 32) throw new NoteError('bad-key', `verifier key ${name}: the Ed25519 key has ${publicKey.length} bytes, not 32`);
  const computed = keyId(name, type, publicKey);
  if (hex8(computed) !== id) throw new NoteError('bad-key', `verifier key ${name}: key ID ${id} does not match the key (${hex8(computed)})`);
  return { name, keyId: computed, type, publicKey };
}

export interface SignerKey {
  name: string;
  privateKey: KeyObject;
  publicKey: Buffer;
}

export function formatSignerKey(name: string, privateKey: KeyObject): string {
  checkKeyName(name);
  const publicKey = rawPublicKey(privateKey);
  const id = hex8(keyId(name, SIGNATURE_TYPE.ed25519, publicKey));
  return `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.from([SIGNATURE_TYPE.ed25519]), rawSeed(privateKey)]).toString('base64')}`;
}

/** Parses a signer key; never puts the key's text in an error. */
export function parseSignerKey(text: string): SignerKey {
  const [p, k, name, id, ...rest] = text.split('+');
  const material = rest.join('+');
  if (p !== 'PRIVATE' || k !== 'KEY' || name === undefined || id === undefined || rest.length === 0) {
    throw new NoteError('bad-key', 'a signer key is PRIVATE+KEY+<name>+<key ID>+<key>');
  }
  checkKeyName(name);
  let bytes: Buffer;
  try {
    bytes = decodeBase64(material, 'signer key');
  } catch {
    throw new NoteError('bad-key', `signer key ${name}: the key is not base64`);
  }
  if (bytes.length !== 33 || bytes[0] !== SIGNATURE_TYPE.ed25519) {
    throw new NoteError('bad-key', `signer key ${name}: not an Ed25519 key (type 0x01 and a 32-byte seed)`);
  }
  const privateKey = ed25519PrivateKey(bytes.subarray(1));
  const publicKey = rawPublicKey(privateKey);
  if (hex8(keyId(name, SIGNATURE_TYPE.ed25519, publicKey)) !== id) {
    throw new NoteError('bad-key', `signer key ${name}: the key ID does not match the key`);
  }
  return { name, privateKey, publicKey };
}

/** A fresh Ed25519 signer key named `name`. */
export function generateSignerKey(name: string): SignerKey {
  checkKeyName(name);
  const { privateKey } = generateKeyPairSync('ed25519');
  return { name, privateKey, publicKey: rawPublicKey(privateKey) };
}
