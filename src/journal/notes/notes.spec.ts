/**
 * Signed notes, checkpoints and cosignatures against published examples:
 * the C2SP signed-note, tlog-checkpoint and tlog-cosignature specifications
 * (c2sp.org) and the example key of the Go reference implementation
 * (golang.org/x/mod/sumdb/note). Ed25519 is deterministic, so signing the
 * example text with the example key must give the published note exactly.
 */
import { describe, expect, it } from '@jest/globals';
import { NoteError } from './note.errors.js';
import { formatSignerKey, formatVerifierKey, generateSignerKey, parseSignerKey, parseVerifierKey, SIGNATURE_TYPE } from './note.keys.js';
import { ed25519Signer, ed25519Verifier, parseNote, signNote, verifyNote } from './note.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { cosignatureMessage, cosignatureTime, cosignatureVerifier, ed25519Cosigner } from './cosignature.js';
import { verifierFromKey } from './note.verifiers.js';

const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_NOTE =
  'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

const SPEC_CHECKPOINT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_COSIGNED = `${SPEC_CHECKPOINT}
— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==
`;

function refusal(check: () => unknown): NoteError {
  try {
    check();
  } catch (error) {
    if (error instanceof NoteError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('signed notes: published examples', () => {
  it('verifies the C2SP signed-note example with its verifier key', () => {
    const note = verifyNote(C2SP_NOTE, [verifierFromKey(C2SP_VKEY)]);
    expect(note.text).toBe('This is an example message.\n');
    expect(note.verified.map((s) => [s.name, s.keyId.toString(16)])).toEqual([['example.com/foo', '530d903a']]);
  });

  it('reads the Go reference key pair and signs its example text byte for byte', () => {
    const signer = parseSignerKey(GO_SKEY);
    expect(formatVerifierKey(signer.name, SIGNATURE_TYPE.ed25519, signer.publicKey)).toBe(GO_VKEY);
    expect(formatSignerKey(signer.name, signer.privateKey)).toBe(GO_SKEY);
    expect(signNote(GO_TEXT, [ed25519Signer(signer)])).toBe(GO_NOTE);
    expect(verifyNote(GO_NOTE, [ed25519Verifier(parseVerifierKey(GO_VKEY))]).text).toBe(GO_TEXT);
  });

  it('parses the tlog-checkpoint example and writes it back unchanged', () => {
    const checkpoint = parseCheckpoint(SPEC_CHECKPOINT);
    expect(checkpoint).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163, extensions: [] });
    expect(checkpoint.rootHash.toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(formatCheckpoint(checkpoint)).toBe(SPEC_CHECKPOINT);
    expect(parseCheckpoint(`${SPEC_CHECKPOINT}ext one\n`).extensions).toEqual(['ext one']);
  });

  it('reads the time of the tlog-cosignature example and builds its signed message', () => {
    const cosignature = parseNote(SPEC_COSIGNED).signatures[1];
    expect([cosignature.name, cosignature.keyId.toString(16)]).toEqual(['witness.example.com/w1', '8d66cf3f']);
    expect(cosignatureTime(cosignature)).toBe(1679315147);
    expect(cosignatureMessage(SPEC_CHECKPOINT, 1679315147).toString()).toBe(
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
  });
});

describe('checkpoints signed by a log and cosigned by a witness', () => {
  const log = generateSignerKey('procuration.example/journal');
  const witness = generateSignerKey('witness.example/w1');
  const cosigner = ed25519Cosigner(witness);
  const text = formatCheckpoint({ origin: 'procuration.example/journal/s1', size: 3, rootHash: Buffer.alloc(32, 7), extensions: [] });
  const logVkey = formatVerifierKey(log.name, SIGNATURE_TYPE.ed25519, log.publicKey);

  it('a cosignature verifies with the witness verifier key (type 0x04), and names its key ID', () => {
    const note = signNote(text, [ed25519Signer(log)]) + cosigner.cosign(text, 1_760_000_000);
    expect(parseVerifierKey(cosigner.verifierKey)).toMatchObject({ name: 'witness.example/w1', type: 0x04, keyId: cosigner.keyId });
    const opened = verifyNote(note, [verifierFromKey(logVkey), verifierFromKey(cosigner.verifierKey)]);
    expect(opened.verified.map((s) => s.name)).toEqual(['procuration.example/journal', 'witness.example/w1']);
    expect(cosignatureTime(opened.verified[1])).toBe(1_760_000_000);
  });

  it('the same key read as a note key (0x01) does not verify a cosignature', () => {
    const note = signNote(text, [ed25519Signer(log)]) + cosigner.cosign(text, 1_760_000_000);
    const asNoteKey = formatVerifierKey(witness.name, SIGNATURE_TYPE.ed25519, witness.publicKey);
    // A different key ID: the cosignature is a signature by an unknown key.
    expect(refusal(() => verifyNote(note, [verifierFromKey(asNoteKey)])).fault).toBe('unknown-key');
  });

  it('refuses a cosignature made for another checkpoint', () => {
    const other = formatCheckpoint({ origin: 'procuration.example/journal/s1', size: 4, rootHash: Buffer.alloc(32, 8), extensions: [] });
    const misplaced = signNote(text, [ed25519Signer(log)]) + cosigner.cosign(other, 1_760_000_000);
    const error = refusal(() => verifyNote(misplaced, [verifierFromKey(logVkey), verifierFromKey(cosigner.verifierKey)]));
    expect([error.fault, error.message]).toEqual(['bad-signature', `the signature of witness.example/w1 (key ${cosigner.keyId.toString(16).padStart(8, '0')}) does not verify`]);
  });

  it('refuses a cosignature whose time was changed', () => {
    const line = cosigner.cosign(text, 1_760_000_000);
    const bytes = Buffer.from(line.trim().split(' ')[2], 'base64');
    bytes[11] ^= 1;
    const forged = `${text}\n— witness.example/w1 ${bytes.toString('base64')}\n`;
    const error = refusal(() => verifyNote(forged, [cosignatureVerifier(parseVerifierKey(cosigner.verifierKey))]));
    expect([error.fault, error.message]).toEqual(['bad-signature', `the signature of witness.example/w1 (key ${cosigner.keyId.toString(16).padStart(8, '0')}) does not verify`]);
  });
});

describe('signed notes: refusals name what failed', () => {
  const verifiers = [verifierFromKey(GO_VKEY)];

  it('ignores an unknown key and refuses a note signed by no known key', () => {
    const other = generateSignerKey('PeterNeumann');
    const error = refusal(() => verifyNote(signNote(GO_TEXT, [ed25519Signer(other)]), verifiers));
    expect(error.fault).toBe('unknown-key');
    expect(error.message).toMatch(/^no signature by a trusted key \(signed by PeterNeumann [0-9a-f]{8}\)$/);
    const both = signNote(GO_TEXT, [ed25519Signer(other), ed25519Signer(parseSignerKey(GO_SKEY))]);
    expect(verifyNote(both, verifiers).unknown).toHaveLength(1);
  });

  it('refuses the note with any one byte of its text changed', () => {
    for (let i = 0; i < GO_TEXT.length - 1; i += 1) {
      const changed = GO_NOTE.slice(0, i) + String.fromCharCode(GO_NOTE.charCodeAt(i) ^ 1) + GO_NOTE.slice(i + 1);
      const error = refusal(() => verifyNote(changed, verifiers));
      expect(['bad-signature', 'malformed']).toContain(error.fault);
    }
    const flipped = GO_NOTE.replace('ZJkuBS9', 'ZJkuBS8');
    expect(refusal(() => verifyNote(flipped, verifiers)).message).toBe('the signature of PeterNeumann (key c74f20a3) does not verify');
  });

  it.each([
    ['no final newline', GO_NOTE.slice(0, -1), 'the note does not end with a newline'],
    ['no blank line', GO_NOTE.replace('\n\n', '\n'), 'the note has no blank line before its signatures'],
    ['a control character', GO_NOTE.replace('If', 'I\tf'), 'the note holds a control character'],
    ['a signature line without the dash', GO_NOTE.replace('— ', '- '), 'signature line 1 is not "— <key name> <signature>"'],
    ['an empty signature block', `${GO_TEXT}\n\n`, 'signature line 1 is not "— <key name> <signature>"'],
    ['a signature that is not base64', GO_NOTE.replace('x08go/', 'x08go*'), 'the signature of PeterNeumann is not base64'],
    ['a signature too short for a key ID', `${GO_TEXT}\n— PeterNeumann AAAA\n`, 'the signature of PeterNeumann is too short to hold a key ID'],
    ['a key name with a plus', GO_NOTE.replace('— PeterNeumann', '— Peter+Neumann'), `key name "Peter+Neumann" is empty or holds a space or a '+'`],
  ])('malformed: %s', (_case, note, message) => {
    const error = refusal(() => verifyNote(note, verifiers));
    expect([error.fault, error.message]).toEqual(['malformed', message]);
  });

  it('refuses bytes that are not UTF-8 and more signatures than it reads', () => {
    const bytes = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(GO_NOTE)]);
    expect(refusal(() => verifyNote(bytes, verifiers)).message).toBe('the note is not valid UTF-8');
    // A byte-order mark is part of the signed bytes, not something to drop.
    expect(refusal(() => verifyNote(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GO_NOTE)]), verifiers)).fault).toBe('bad-signature');
    const line = GO_NOTE.slice(GO_TEXT.length + 1);
    expect(refusal(() => parseNote(`${GO_TEXT}\n${line.repeat(101)}`)).message).toBe('the note has more than 100 signatures');
  });

  it.each([
    ['key ID not matching the key', GO_VKEY.replace('c74f20a3', 'c74f20a4'), 'verifier key PeterNeumann: key ID c74f20a4 does not match the key (c74f20a3)'],
    ['unknown signature type', 'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'verifier key PeterNeumann: signature type 101 is not supported (Ed25519 0x01 or cosignature 0x04)'],
    ['two parts', 'PeterNeumann+c74f20a3', 'a verifier key is <name>+<key ID>+<key>'],
    ['short key', 'PeterNeumann+c74f20a3+ARpc2QcUPDhM', 'verifier key PeterNeumann: the Ed25519 key has 8 bytes, not 32'],
  ])('verifier key: %s', (_case, vkey, message) => {
    const error = refusal(() => parseVerifierKey(vkey));
    expect([error.fault, error.message]).toEqual(['bad-key', message]);
  });

  it('a signer key with a wrong key ID is refused without printing the key', () => {
    const error = refusal(() => parseSignerKey(GO_SKEY.replace('c74f20a3', '00000000')));
    expect(error.message).toBe('signer key PeterNeumann: the key ID does not match the key');
    expect(error.message).not.toContain('AYEKFALV');
  });

  it.each([
    ['two lines', 'example.com/log\n12\n', 'a checkpoint has an origin, a size and a root hash line'],
    ['leading zero', 'example.com/log\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'the checkpoint size is not a decimal number without leading zeroes'],
    ['short root', 'example.com/log\n12\nCsUYapGGPo4dkMgI\n', 'the checkpoint root hash has 12 bytes, not 32'],
    ['empty origin', '\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'the checkpoint origin is empty or spans lines'],
    ['empty extension', `${SPEC_CHECKPOINT}\n`, 'a checkpoint extension line is empty or spans lines'],
  ])('checkpoint: %s', (_case, text, message) => {
    const error = refusal(() => parseCheckpoint(text));
    expect([error.fault, error.message]).toEqual(['malformed', message]);
  });
});
