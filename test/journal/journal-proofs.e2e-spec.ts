import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../config/config.js';
import { JOURNAL_COMMANDS } from '../../src/journal/journal.commands.js';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { verifyConsistency } from '../../src/journal/merkle/index.js';
import { parseCheckpoint } from '../../src/journal/notes/checkpoint.js';
import { verifyNote } from '../../src/journal/notes/note.js';
import { formatVerifierKey, generateSignerKey, SIGNATURE_TYPE } from '../../src/journal/notes/note.keys.js';
import { verifierFromKey } from '../../src/journal/notes/note.verifiers.js';
import { ProofBundleError, verifyProofBundle, type ProofBundle } from '../../src/journal/proofs/proof-bundle.js';
import { browser, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne } from './journal-helpers.js';

describe('journal: proofs over HTTP', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let vesoul: string;
  let gray: string;
  let journal: JournalService;
  let transactions: TransactionRunner;

  async function signedIn(email: string) {
    clock.advance(30_000);
    const agent = browser(t);
    expect((await signIn(agent, clock, email)).status).toBe(303);
    return agent;
  }

  async function noteKeys() {
    const res = await browser(t).get('/.well-known/procuration/journal-note-keys').expect(200);
    return res.text.trim().split('\n').map(verifierFromKey);
  }

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'error' }, { clock });
    journal = t.app.get(JournalService);
    transactions = t.app.get(TransactionRunner);
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    await seedAidant(t, { email: 'referente@vesoul.test', givenName: 'Hélène', familyName: 'Boucher', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    await seedAidant(t, { email: 'thomas@gray.test', givenName: 'Thomas', memberships: [{ structureId: gray, roles: ['aidant', 'referent'] }] });
    for (let i = 0; i < 6; i++) await appendOne(transactions, journal, vesoul);
    await journal.checkpoint([vesoul]);
  });
  afterAll(() => t.close());

  it('serves the latest checkpoint note and consistency proofs publicly, with precise refusals', async () => {
    const first = parseCheckpoint(verifyNote((await browser(t).get(`/journal/${vesoul}/checkpoint`).expect(200)).text, await noteKeys()).text);
    for (let i = 0; i < 5; i++) await appendOne(transactions, journal, vesoul);
    await journal.checkpoint([vesoul]);
    const res = await browser(t).get(`/journal/${vesoul}/checkpoint`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const second = parseCheckpoint(verifyNote(res.text, await noteKeys()).text);
    expect(second.size).toBeGreaterThan(first.size);

    const proof = await browser(t).get(`/journal/${vesoul}/coherence?de=${first.size}&a=${second.size}`).expect(200);
    const hashes = proof.text.trim().split('\n').map((line) => Buffer.from(line, 'base64'));
    expect(() =>
      verifyConsistency({ oldSize: first.size, newSize: second.size, oldRoot: first.rootHash, newRoot: second.rootHash, proof: hashes }),
    ).not.toThrow();

    const beyond = await browser(t).get(`/journal/${vesoul}/coherence?de=1&a=${second.size + 1}`).expect(404);
    expect(beyond.text).toContain('Aucun point de contrôle signé de ce journal n’atteint cette taille.');
    const malformed = await browser(t).get(`/journal/${vesoul}/coherence?de=x&a=3`).expect(400);
    expect(malformed.text).toContain('La taille de départ (de) doit être un nombre entier positif.');
    await browser(t).get(`/journal/${gray}/checkpoint`).expect(404);
  });

  it('gives a référent the proof of an entry of their structure, checked offline; one byte changed anywhere is refused', async () => {
    const referente = await signedIn('referente@vesoul.test');
    const entryPage = await referente.get(`/structure/journal/${vesoul}/3`).expect(200);
    expect(entryPage.text).toContain(`href="/structure/journal/${vesoul}/3/preuve"`);
    const res = await referente.get(`/structure/journal/${vesoul}/3/preuve`).expect(200);
    expect(res.headers['content-disposition']).toContain('attachment');
    const bundle = JSON.parse(res.text) as ProofBundle;
    expect(bundle.entry.seq).toBe(3);
    expect(bundle.leafIndex).toBe(2);
    const keys = await noteKeys();
    expect(verifyProofBundle(bundle, keys).checkpoint.origin).toMatch(new RegExp(`/journal/v2/${vesoul}$`));

    const refusal = (change: (b: ProofBundle) => void) => {
      const copy = JSON.parse(res.text) as ProofBundle;
      change(copy);
      try {
        verifyProofBundle(copy, keys);
      } catch (error) {
        expect(error).toBeInstanceOf(ProofBundleError);
        return (error as ProofBundleError).what;
      }
      throw new Error('the changed bundle was accepted');
    };
    const flip = (text: string, at: number) => {
      const bytes = Buffer.from(text, 'base64');
      bytes[at % bytes.length]! ^= 1;
      return bytes.toString('base64');
    };
    expect(refusal((b) => (b.entry.details = { method: 'password' }))).toBe('entry');
    expect(refusal((b) => (b.entry.seq = 4))).toBe('entry');
    expect(refusal((b) => (b.leafIndex = 3))).toBe('entry');
    expect(refusal((b) => (b.auditPath[0] = flip(b.auditPath[0]!, 5)))).toBe('path');
    expect(refusal((b) => b.auditPath.pop())).toBe('path');
    const [text, signatures] = bundle.checkpoint.split('\n\n');
    const [origin, size, root] = text!.split('\n');
    expect(refusal((b) => (b.checkpoint = `${origin}\n${size}\n${flip(root!, 3)}\n\n${signatures}`))).toBe('checkpoint');
    expect(refusal((b) => (b.checkpoint = `${origin}\n${Number(size) + 1}\n${root}\n\n${signatures}`))).toBe('checkpoint');
    const line = signatures!.trimEnd().split(' ');
    expect(refusal((b) => (b.checkpoint = `${text}\n\n${line.slice(0, -1).join(' ')} ${flip(line.at(-1)!, 10)}\n`))).toBe('checkpoint');

    const thomas = await signedIn('thomas@gray.test');
    await thomas.get(`/structure/journal/${vesoul}/3/preuve`).expect(404);
    await referente.get(`/structure/journal/${vesoul}/999/preuve`).expect(404);
  });

  it('journal:verify-proof checks a downloaded bundle with the published keys only, and refuses one byte changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-proof-'));
    try {
      const run = async (...args: string[]) => {
        const stdout = new PassThrough();
        const out: Buffer[] = [];
        stdout.on('data', (c: Buffer) => out.push(c));
        // No database: the command must need nothing but the file and the keys.
        const config = () => loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://nowhere.invalid/none' });
        const code = await JOURNAL_COMMANDS['verify-proof']!(args, { config, stdout, stderr: new PassThrough() });
        return { code, stdout: Buffer.concat(out).toString('utf8') };
      };
      const referente = await signedIn('referente@vesoul.test');
      const downloaded = (await referente.get(`/structure/journal/${vesoul}/2/preuve`).expect(200)).text;
      const file = join(dir, 'preuve.json');
      writeFileSync(file, downloaded);
      const keysUrl = `${t.url}/.well-known/procuration/journal-note-keys`;
      const accepted = await run(file, '--key', keysUrl);
      expect(accepted.code).toBe(0);
      expect(accepted.stdout).toMatch(new RegExp(`^OK chain=${vesoul} seq=2 origin=\\S+/journal/v2/${vesoul} tree_size=\\d+ signed_by=\\S+/journal request_facts=revealed\\n$`));
      const [key] = (await browser(t).get('/.well-known/procuration/journal-note-keys').expect(200)).text.trim().split('\n');
      expect((await run(file, '--key', key!)).code).toBe(0);

      // One byte changed in the entry: the first character of its id.
      const tampered = downloaded.replace(/"id": "(.)/, (_all, c: string) => `"id": "${c === 'a' ? 'b' : 'a'}`);
      expect(tampered).not.toBe(downloaded);
      writeFileSync(file, tampered);
      const refused = await run(file, '--key', keysUrl);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/^FAILED .*preuve\.json: entry: the entry is not as recorded/);

      // A key that did not sign the checkpoint: refused as such.
      writeFileSync(file, downloaded);
      const other = generateSignerKey(key!.split('+')[0]!);
      const stranger = await run(file, '--key', formatVerifierKey(other.name, SIGNATURE_TYPE.ed25519, other.publicKey));
      expect(stranger.code).toBe(1);
      expect(stranger.stdout).toMatch(/: checkpoint: the checkpoint is refused: no signature by a trusted key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

