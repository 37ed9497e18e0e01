import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../config/config.js';
import { JOURNAL_COMMANDS } from '../../src/journal/journal.commands.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { journalNoteSigner, journalOrigin } from '../../src/journal/checkpoints/checkpoint-notes.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { InMemoryMerkleTree, rootAt } from '../../src/journal/merkle/index.js';
import { formatCheckpoint } from '../../src/journal/notes/checkpoint.js';
import { cosignatureVerifier, ed25519Cosigner } from '../../src/journal/notes/cosignature.js';
import { ed25519Signer, signNote, verifyNote } from '../../src/journal/notes/note.js';
import { formatSignerKey, generateSignerKey, parseVerifierKey } from '../../src/journal/notes/note.keys.js';
import { JournalSealer } from '../../src/journal/sealing/sealer.js';
import { JournalWitnessSender } from '../../src/journal/witnesses/witness-sender.js';
import { KeysService } from '../../src/keys/keys.service.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';
import { startWitness, type RunningWitness } from '../../src/witness/witness.server.js';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne, leafOfRow, sealedRows } from './journal-helpers.js';

describe('journal: checkpoints sent to a witness', () => {
  const witnessKey = generateSignerKey('witness.test');
  const witnessVerifierKey = ed25519Cosigner(witnessKey).verifierKey;
  const clock = new ManualClock(new Date());
  let chain: string;
  let referente: ReturnType<typeof browser>;
  const stateDir = mkdtempSync(join(tmpdir(), 'journal-witness-'));
  let witnessPort: number;
  let witness: RunningWitness | undefined;
  let testApp: TestApp;
  let journal: JournalService;
  let transactions: TransactionRunner;
  let dataSource: DataSource;
  let sender: JournalWitnessSender;

  beforeAll(async () => {
    witnessPort = await freeLoopbackPort();
    testApp = await startTestApp({ JOURNAL_WITNESSES: `http://127.0.0.1:${witnessPort} ${witnessVerifierKey}`, TRUST_PROXY: 'true' }, { clock });
    chain = (await seedStructure(testApp, 'Médiathèque de Lure', '21700550300016')).id;
    await seedAidant(testApp, { email: 'referente@lure.test', memberships: [{ structureId: chain, roles: ['referent'] }] });
    referente = browser(testApp);
    expect((await signIn(referente, clock, 'referente@lure.test')).status).toBe(303);
    journal = testApp.app.get(JournalService);
    transactions = testApp.app.get(TransactionRunner);
    dataSource = testApp.app.get(DataSource);
    sender = testApp.app.get(JournalWitnessSender);
  });
  afterAll(async () => {
    await witness?.close();
    await testApp.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function appendAndCheckpoint(count: number): Promise<number> {
    for (let i = 0; i < count; i++) await appendOne(transactions, journal, chain);
    const [checkpoint] = (await journal.checkpoint([chain])) as { seq: number }[];
    return checkpoint!.seq;
  }

  async function stateOfChain(): Promise<{ cosigned_size: string; last_error: string | null; refused_seq: string | null }> {
    const [row] = await dataSource.query(`SELECT cosigned_size, last_error, refused_seq FROM journal_witness_state WHERE chain = $1`, [chain]);
    return row;
  }

  /** The witness's paragraph of the référent's verification page. */
  async function witnessOnPage(): Promise<{ state: string; text: string }> {
    const page = await referente.get('/structure/journal/verification').expect(200);
    const found = /<(p|div) [^>]*data-witness="witness\.test" data-state="([a-z]+)">([\s\S]*?)<\/\1>/.exec(page.text);
    expect(found).not.toBeNull();
    return { state: found![2]!, text: found![3]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim() };
  }

  async function startTheWitness(): Promise<void> {
    const response = await fetch(`${testApp.url}/.well-known/procuration/journal-note-keys`);
    const [logKey] = (await response.text()).trim().split('\n');
    witness = await startWitness({
      host: '127.0.0.1',
      port: witnessPort,
      stateFile: join(stateDir, 'state.json'),
      name: 'witness.test',
      signerKey: formatSignerKey(witnessKey.name, witnessKey.privateKey),
      logs: [{ origin: `${new URL(testApp.url).host}/journal/`, prefix: true, verifierKey: logKey! }],
    });
  }

  it('a witness down delays nothing: the failure is kept, and the checkpoint is cosigned once the witness is up', async () => {
    const first = await appendAndCheckpoint(4);
    const down = (await sender.sendDue({ ignoreBackoff: true })).filter((o) => o.chain === chain);
    expect(down).toEqual([expect.objectContaining({ result: 'failed', seq: first })]);
    expect((await stateOfChain()).last_error).toMatch(/^témoin injoignable/);
    const failed = await witnessOnPage();
    expect(failed.state).toBe('failed');
    expect(failed.text).toMatch(/^Témoin witness\.test : dernière tentative en échec le .* \(témoin injoignable .*\) ; nouvel essai prévu le /);
    // Sealing and signing went on meanwhile.
    const second = await appendAndCheckpoint(3);
    expect(second).toBe(first + 3);

    await startTheWitness();
    const up = (await sender.sendDue({ ignoreBackoff: true })).filter((o) => o.chain === chain);
    expect(up).toEqual([{ witness: 'witness.test', chain, seq: second, result: 'cosigned', oldSize: 0 }]);
    const state = await stateOfChain();
    expect(state.cosigned_size).toBe(String(second));
    expect(state.last_error).toBeNull();

    const [row] = await dataSource.query(
      `SELECT k.note, c.cosignature FROM journal_witness_cosignatures c JOIN journal_checkpoints k USING (chain, seq) WHERE chain = $1 AND seq = $2`,
      [chain, second],
    );
    const verified = verifyNote(`${row.note}${row.cosignature}\n`, [cosignatureVerifier(parseVerifierKey(witnessVerifierKey))]);
    expect(verified.verified.map((s) => s.name)).toEqual(['witness.test']);
    const shown = await witnessOnPage();
    expect(shown.state).toBe('cosigned');
    expect(shown.text).toMatch(new RegExp(`^Attesté par : witness\\.test \\(taille ${second}, le [0-9]{1,2} [a-zéû]+ [0-9]{4}`));
  });

  it('a proof bundle carries the witness’s cosignature; journal:verify-proof checks it with --witness, and refuses another witness', async () => {
    const downloaded = (await referente.get(`/structure/journal/${chain}/1/preuve`).expect(200)).text;
    const file = join(stateDir, 'preuve.json');
    writeFileSync(file, downloaded);
    const run = async (...args: string[]) => {
      const stdout = new PassThrough();
      const out: Buffer[] = [];
      stdout.on('data', (c: Buffer) => out.push(c));
      const config = () => loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://nowhere.invalid/none' });
      const code = await JOURNAL_COMMANDS['verify-proof']!(args, { config, stdout, stderr: new PassThrough() });
      return { code, stdout: Buffer.concat(out).toString('utf8') };
    };
    const keysUrl = `${testApp.url}/.well-known/procuration/journal-note-keys`;
    const accepted = await run(file, '--key', keysUrl, '--witness', witnessVerifierKey);
    expect(accepted.stdout).toMatch(/ signed_by=\S+\/journal cosigned_by=witness\.test request_facts=revealed\n$/);
    expect(accepted.code).toBe(0);

    const stranger = ed25519Cosigner(generateSignerKey('witness.test')).verifierKey;
    const refused = await run(file, '--key', keysUrl, '--witness', stranger);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^FAILED .*: cosignature: no valid cosignature of witness witness\.test: /);

    // One byte of the cosignature changed: refused, naming the cosignature.
    const bundle = JSON.parse(downloaded) as { checkpoint: string };
    const lines = bundle.checkpoint.split('\n');
    const last = lines.length - 2;
    const sig = Buffer.from(lines[last]!.split(' ')[2]!, 'base64');
    sig[20] ^= 1;
    lines[last] = `${lines[last]!.split(' ').slice(0, 2).join(' ')} ${sig.toString('base64')}`;
    writeFileSync(file, JSON.stringify({ ...JSON.parse(downloaded), checkpoint: lines.join('\n') }));
    const changed = await run(file, '--key', keysUrl, '--witness', witnessVerifierKey);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/: cosignature: .*does not verify/);
  });

  it('sends the next checkpoint with the consistency proof from the cosigned size', async () => {
    const before = Number((await stateOfChain()).cosigned_size);
    const seq = await appendAndCheckpoint(5);
    const outcomes = (await sender.sendDue({ ignoreBackoff: true })).filter((o) => o.chain === chain);
    expect(outcomes).toEqual([{ witness: 'witness.test', chain, seq, result: 'cosigned', oldSize: before }]);
    expect((await stateOfChain()).cosigned_size).toBe(String(seq));
  });

  it('after the witness lost track (409), adopts its size and retries with the right proof', async () => {
    const before = Number((await stateOfChain()).cosigned_size);
    await dataSource.query(`UPDATE journal_witness_state SET cosigned_size = 3 WHERE chain = $1`, [chain]);
    const seq = await appendAndCheckpoint(2);
    const outcomes = (await sender.sendDue({ ignoreBackoff: true })).filter((o) => o.chain === chain);
    expect(outcomes).toEqual([{ witness: 'witness.test', chain, seq, result: 'cosigned', oldSize: before }]);
  });

  it('a history rewritten in the database and re-signed with the operator’s own key is refused by the witness; the refusal is journaled', async () => {
    const cosigned = Number((await stateOfChain()).cosigned_size);
    for (let i = 0; i < 3; i++) await appendOne(transactions, journal, chain);
    await testApp.app.get(JournalSealer).flush();
    const rows = await sealedRows(dataSource, chain);
    const size = rows.length;
    // The operator rewrites entry 2 and signs a checkpoint of the rewritten tree with the journal's own note key.
    const forked = new InMemoryMerkleTree();
    rows.forEach((row, i) => forked.append(i === 1 ? Buffer.from('entry 2, rewritten') : leafOfRow(row)));
    const signer = ed25519Signer(await journalNoteSigner(testApp.app.get(KeysService), testApp.config.publicUrl));
    const note = signNote(formatCheckpoint({ origin: journalOrigin(testApp.config.publicUrl, chain), size, rootHash: rootAt(forked, size), extensions: [] }), [signer]);
    const [head] = await dataSource.query(`SELECT hash, at, kid, jws FROM journal_checkpoints WHERE chain = $1 ORDER BY seq DESC LIMIT 1`, [chain]);
    await dataSource.query(`INSERT INTO journal_checkpoints (chain, seq, hash, at, kid, jws, note, tree) VALUES ($1, $2, $3, now(), $4, $5, $6, 2)`, [
      chain,
      size,
      rows[size - 1]!.hash,
      head.kid,
      head.jws,
      note,
    ]);

    const outcomes = (await sender.sendDue({ ignoreBackoff: true })).filter((o) => o.chain === chain);
    expect(outcomes).toEqual([expect.objectContaining({ result: 'refused', seq: size })]);
    const state = await stateOfChain();
    expect(state.cosigned_size).toBe(String(cosigned));
    expect(state.refused_seq).toBe(String(size));
    expect(state.last_error).toMatch(/^refusé : .*not consistent/);

    // Asked again, the witness still refuses, and the refusal is journaled once.
    await sender.sendDue({ ignoreBackoff: true });
    await testApp.app.get(JournalSealer).flush();
    const refusals = await dataSource.query(`SELECT details FROM journal_entries WHERE chain = $1 AND action = 'journal.witness_refused'`, [chain]);
    expect(refusals).toHaveLength(1);
    expect(refusals[0].details).toMatchObject({ witness: 'witness.test', size, cosignedSize: cosigned });
    const shown = await witnessOnPage();
    expect(shown.state).toBe('refused');
    expect(shown.text).toContain(`Le témoin witness.test a refusé le point de contrôle n° ${size}`);
    expect(shown.text).toContain(`(taille ${cosigned}) : le journal a pu être réécrit`);
  });
});
