import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { ManualClock } from '../../src/clock/clock.js';
import type { JournalAction } from '../../src/journal/journal.actions.js';
import { JOURNAL_COMMANDS } from '../../src/journal/journal.commands.js';
import { verifierFromKey } from '../../src/journal/notes/note.verifiers.js';
import { redactedEntry, verifyProofBundle, type FullBundleEntry, type ProofBundle } from '../../src/journal/proofs/proof-bundle.js';
import { browser, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { seedUsager } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, usagerBrowser } from '../support/usagers.js';
import type { TestBrowser } from '../franceconnect/support/browser.js';
import { appendHistory } from './support.js';

const AIDANT_IP = '10.20.30.40';
const AIDANT_UA = 'Navigateur-du-guichet/7.1 (poste 3)';
const REQUEST_ID = 'req-guichet-0042';

/**
 * A usager downloads the proof of an entry about them from /usager/journal
 * and checks it offline with the published keys only; the proof holds no
 * other person's data (docs/decisions/0109); another usager's entry: 404.
 */
describe('usager journal: proofs a usager can download and check alone', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let vesoul: string;
  let angela: TestBrowser;
  let angelaId: string;
  let otherEntry: { chain: string; seq: string };

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'error' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    const marie = await seedAidant(t, {
      email: 'marie@vesoul.test',
      givenName: 'Marie',
      familyName: 'Curie',
      memberships: [{ structureId: vesoul, roles: ['aidant', 'referent'] }],
    });
    angela = usagerBrowser();
    await signInAsUsager(t, angela, 'angela');
    const dataSource = t.app.get(DataSource);
    [{ id: angelaId }] = await dataSource.query(`SELECT id FROM usagers WHERE family_name = 'DUBOIS'`);
    const other = await seedUsager(t, { givenName: 'Karim', familyName: 'Benali', email: 'karim@example.fr' });
    const request = { ip: AIDANT_IP, userAgent: AIDANT_UA, requestId: REQUEST_ID };
    const used = (usagerId: string) => ({
      action: 'autorisation.used' as JournalAction,
      structureId: vesoul,
      actor: { type: 'aidant' as const, id: marie },
      subjects: { usagerId, aidantId: marie, partnerId: 'caf-demo' },
      demarche: 'logement',
      request,
      details: { clientId: 'caf-demo', useId: 'use-1', repScope: ['logement'] } as never,
    });
    await appendHistory(t, [used(angelaId), used(other)]);
    [otherEntry] = await dataSource.query(`SELECT chain, seq::text AS seq FROM journal_entries WHERE usager_id = $1 AND action = 'autorisation.used'`, [other]);
  });
  afterAll(() => t.close());

  /** Runs `journal:verify-proof` as the CLI does, with no database reachable. */
  async function verifyProof(...args: string[]) {
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    const config = () => loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://nowhere.invalid/none' });
    const code = await JOURNAL_COMMANDS['verify-proof']!(args, { config, stdout, stderr: new PassThrough() });
    return { code, stdout: Buffer.concat(out).toString('utf8') };
  }

  /** The proof link of the page's card for `action`. */
  function proofLinkOf(html: string, action: string): string {
    const card = html.split('<div class="fr-card fr-mb-2w"').find((part) => part.includes(`data-action="${action}"`));
    const link = card?.match(/href="(\/usager\/journal\/[^"]+\/preuve)"[^>]*>Télécharger la preuve/);
    if (!link) throw new Error(`no proof link on the card of ${action}`);
    return link[1]!;
  }

  it('serves the proof of an entry about the usager, checked offline by the command; one byte changed is refused', async () => {
    const page = await angela.get(`${t.url}/usager/journal`);
    expect(page.status).toBe(200);
    const link = proofLinkOf(page.html, 'autorisation.used');
    const res = await angela.get(`${t.url}${link}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const bundle = JSON.parse(res.html) as ProofBundle;
    expect(bundle.entry).toMatchObject({ action: 'autorisation.used', chain: vesoul, subjects: { usagerId: angelaId } });
    expect(bundle.entry).toHaveProperty('requestCommitment', expect.stringMatching(/^[0-9a-f]{64}$/));

    // No other person's data: neither the aidant's request facts nor anything they could be found back from.
    for (const absent of [AIDANT_IP, 'Navigateur-du-guichet', REQUEST_ID, '"ip"', '"userAgent"', '"requestSalt"', '"prevHash"', '"hash"']) {
      expect(res.html).not.toContain(absent);
    }

    const dir = mkdtempSync(join(tmpdir(), 'usager-proof-'));
    try {
      const file = join(dir, 'preuve.json');
      writeFileSync(file, res.html);
      const keysUrl = `${t.url}/.well-known/procuration/journal-note-keys`;
      const accepted = await verifyProof(file, '--key', keysUrl);
      expect(accepted).toEqual({
        code: 0,
        stdout: expect.stringMatching(new RegExp(`^OK chain=${vesoul} seq=\\d+ origin=\\S+/journal/v2/${vesoul} tree_size=\\d+ signed_by=\\S+/journal request_facts=committed\\n$`)),
      });

      // One byte changed: in the démarche, then in the commitment. Both are refused, each naming what failed.
      writeFileSync(file, res.html.replace('"logement"', '"logemenu"'));
      expect(await verifyProof(file, '--key', keysUrl)).toEqual({ code: 1, stdout: expect.stringMatching(/: path: the audit path does not lead to the checkpoint's root/) });
      const commitment = (bundle.entry as { requestCommitment: string }).requestCommitment;
      writeFileSync(file, res.html.replace(commitment, `${commitment.slice(0, -1)}${commitment.endsWith('0') ? '1' : '0'}`));
      expect(await verifyProof(file, '--key', keysUrl)).toEqual({ code: 1, stdout: expect.stringMatching(/: path: /) });
      // A member the leaf does not cover is refused, not ignored.
      writeFileSync(file, res.html.replace('"requestCommitment"', '"ip": "192.0.2.9", "requestCommitment"'));
      expect(await verifyProof(file, '--key', keysUrl)).toEqual({ code: 1, stdout: expect.stringMatching(/: entry: .*unexpected member ip/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 404 for an entry about another usager and for an entry that does not exist', async () => {
    const other = await angela.get(`${t.url}/usager/journal/${otherEntry.chain}/${otherEntry.seq}/preuve`);
    expect(other.status).toBe(404);
    expect(other.html).not.toContain('Karim');
    expect((await angela.get(`${t.url}/usager/journal/${vesoul}/999999/preuve`)).status).toBe(404);
    expect((await angela.get(`${t.url}/usager/journal/${vesoul}/0/preuve`)).status).toBe(404);
    // Without a usager session, no proof either.
    const anonymous = await browser(t).get(`/usager/journal/${otherEntry.chain}/${otherEntry.seq}/preuve`);
    expect(anonymous.status).not.toBe(200);
  });

  it('commits to the same request facts the référent’s full proof shows: the structure can open the commitment', async () => {
    const usagerBundle = JSON.parse((await angela.get(`${t.url}${proofLinkOf((await angela.get(`${t.url}/usager/journal`)).html, 'autorisation.used')}`)).html) as ProofBundle;
    const referente = browser(t);
    clock.advance(30_000);
    expect((await signIn(referente, clock, 'marie@vesoul.test')).status).toBe(303);
    const full = (await referente.get(`/structure/journal/${vesoul}/${usagerBundle.entry.seq}/preuve`).expect(200)).body as ProofBundle;
    const keys = (await browser(t).get('/.well-known/procuration/journal-note-keys').expect(200)).text.trim().split('\n').map(verifierFromKey);
    expect(verifyProofBundle(full, keys).requestFacts).toBe('revealed');
    expect(verifyProofBundle(usagerBundle, keys).requestFacts).toBe('committed');
    const entry = full.entry as FullBundleEntry;
    expect(entry.request).toEqual({ ip: AIDANT_IP, userAgent: AIDANT_UA, requestId: REQUEST_ID });
    expect(redactedEntry(entry)).toEqual(usagerBundle.entry);
  });
});
