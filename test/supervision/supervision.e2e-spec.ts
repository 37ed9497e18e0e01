import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JWK } from 'jose';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { verifyExportLines } from '../../src/journal/export/export-format.js';
import { JOURNAL_COMMANDS } from '../../src/journal/journal.commands.js';
import type { JournalAction } from '../../src/journal/journal.actions.js';
import type { JournalEvent } from '../../src/journal/journal.types.js';
import { monthLabel } from '../../src/supervision/usage-chart.js';
import { UsagerJournalService } from '../../src/supervision/usager-journal.service.js';
import { ChainVerificationService } from '../../src/supervision/chain-verification.service.js';
import { browser, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendHistory, chainRows, pageOrder, tamper } from './support.js';
import { openMandate, seedUsager } from '../support/mandates.js';
import { registerPartner } from '../support/provider.js';
import { signInAsUsager, usagerBrowser } from '../support/usagers.js';
import { JournalService } from '../../src/journal/journal.service.js';

const USAGER = randomUUID();
const MANDATE = randomUUID();

describe('supervision: dashboard, journal search, exports, verification', () => {
  // Journal times are database times: the clock starts at the real time.
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let vesoul: string;
  /** Two registered partners: pages name them, never by their ids. */
  let caf: string;
  let impots: string;
  let gray: string;
  let marie: string;
  let karim: string;
  let referente: ReturnType<typeof browser>;
  let thomasAgent: ReturnType<typeof browser>;

  async function signedIn(email: string) {
    clock.advance(30_000);
    const agent = browser(t);
    expect((await signIn(agent, clock, email)).status).toBe(303);
    return agent;
  }

  /** Sequence numbers shown in a search page, in order. */
  function seqsOf(html: string): number[] {
    return [...html.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1]));
  }

  function nextLinkOf(html: string): string | null {
    const match = /id="next-page" href="([^"]+)"/.exec(html);
    return match ? match[1]!.replaceAll('&amp;', '&') : null;
  }

  async function allSeqs(agent: ReturnType<typeof browser>, path: string): Promise<number[][]> {
    const pages: number[][] = [];
    let next: string | null = path;
    while (next) {
      const res = await agent.get(next).expect(200);
      pages.push(seqsOf(res.text));
      next = nextLinkOf(res.text);
    }
    return pages;
  }

  async function jwks(): Promise<JWK[]> {
    const res = await browser(t).get('/.well-known/procuration/jwks.json');
    expect([res.status, res.headers['content-type']]).toEqual([200, expect.stringContaining('application/jwk-set+json')]);
    return (JSON.parse(res.text) as { keys: JWK[] }).keys;
  }

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'error' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    caf = (await registerPartner(t, { name: 'Caisse d’allocations familiales', redirectUris: ['https://caf.test/cb'] })).partner.id;
    impots = (await registerPartner(t, { name: 'Impôts en ligne', redirectUris: ['https://impots.test/cb'] })).partner.id;
    await seedAidant(t, { email: 'referente@vesoul.test', givenName: 'Hélène', familyName: 'Boucher', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    marie = await seedAidant(t, { email: 'marie@vesoul.test', givenName: 'Marie', familyName: 'Curie', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    karim = await seedAidant(t, { email: 'karim@vesoul.test', givenName: 'Karim', familyName: 'Benali', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'thomas@gray.test', givenName: 'Thomas', memberships: [{ structureId: gray, roles: ['aidant', 'referent'] }] });
    const uses = (i: number): JournalEvent<JournalAction> => ({
      action: 'autorisation.used' as JournalAction,
      structureId: vesoul,
      actor: { type: 'aidant', id: i % 2 === 0 ? marie : karim },
      subjects: { usagerId: USAGER, mandateId: MANDATE, aidantId: i % 2 === 0 ? marie : karim, partnerId: i % 3 === 0 ? caf : impots },
      demarche: i % 3 === 0 ? 'social' : 'logement',
      request: { ip: i === 0 ? '=HYPERLINK("http://evil.test")' : '192.0.2.7', userAgent: 'jest', requestId: `req-${i}` },
      details: {} as never,
    });
    await appendHistory(t, [
      ...Array.from({ length: 12 }, (_, i) => uses(i)),
      { action: 'aidant.suspended', structureId: gray, actor: { type: 'operator', id: null }, subjects: { aidantId: randomUUID() }, details: {} },
    ]);
    referente = await signedIn('referente@vesoul.test');
    thomasAgent = await signedIn('thomas@gray.test');
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['/structure', '/structure/journal', '/structure/journal/export?format=csv', '/structure/journal/verification'])(
    '%s is refused to visitors (401) and to aidants who are not référents (403)',
    async (path) => {
      await browser(t).get(path).expect(401);
      const aidant = await signedIn('karim@vesoul.test');
      await aidant.get(path).expect(403);
    },
  );

  it('shows the dashboard: aidants with last activity, uses per démarche as an SVG chart, partners used', async () => {
    const res = await referente.get('/structure').expect(200);
    expect(res.text).toContain('Marie Curie');
    expect(res.text).toMatch(/id="aidant-counts"><strong>3<\/strong> actifs/);
    expect(res.text).toContain('12 utilisations sur les 12 derniers mois');
    expect(res.text).toContain('<svg');
    expect(res.text).toContain(`<title>Logement, ${monthLabel(new Date().toISOString().slice(0, 7))} : 8</title>`);
    expect(res.text).toContain('<td>Caisse d’allocations familiales</td><td>4</td>');
    expect(res.text).toContain('<td>Impôts en ligne</td><td>8</td>');
    expect(res.text).not.toContain(caf);
    const svg = /<svg[\s\S]*<\/svg>/.exec(res.text)![0];
    expect(svg).not.toMatch(/style|<script|on[a-z]+=/i);
  });

  it('counts the structure’s mandates on the dashboard and tells their opening in French', async () => {
    const jules = await seedUsager(t, { givenName: 'Jules', familyName: 'Ferry', birthdate: '1932-04-05' });
    const louise = await seedUsager(t, { givenName: 'Louise', familyName: 'Michel', birthdate: '1930-05-29' });
    await openMandate(t, { aidantId: marie, structureId: vesoul, usagerId: jules, demarches: ['famille'], duration: 'long' });
    await openMandate(t, { aidantId: marie, structureId: vesoul, usagerId: louise, demarches: ['famille', 'loisirs'], duration: 'court' });
    const res = await referente.get('/structure').expect(200);
    expect(res.text).toContain('<li id="mandates-live"><strong>2</strong> en cours</li>');
    expect(res.text).toContain('<strong>1</strong> expire dans les 30 jours');
    await t.app.get(JournalService).flush();
    const journal = await referente.get('/structure/journal?action=mandate.created').expect(200);
    expect(journal.text).toContain('Marie Curie a ouvert un mandat Famille de 365 jours pour Jules FERRY');
    expect(journal.text).toContain('Marie Curie a ouvert un mandat Famille, Loisirs d’un jour pour Louise MICHEL');
  });

  it('lists the structure’s entries newest first, in French, with stable keyset pages', async () => {
    // Entries of one transaction share their time: pages order them by id, not by seq.
    const all = await pageOrder(t, vesoul);
    const first = await referente.get('/structure/journal').expect(200);
    expect(seqsOf(first.text)).toEqual(all);
    expect(first.text).toContain('Marie Curie a agi pour un usager sur Caisse d’allocations familiales (démarche Social – Santé)');
    // Actions by their French labels, in the list and in the filter; never a code on the page.
    expect(first.text).toContain('<td class="fr-cell--multiline">Mandat utilisé sur un service en ligne</td>');
    expect(first.text).toContain('<option value="autorisation.used">Mandat utilisé sur un service en ligne</option>');
    expect(first.text).not.toMatch(/>(autorisation\.used|aidant\.[a-z_]+)</);
    expect(first.text).not.toContain(caf);
    // Pages of 5; entries appended meanwhile do not shift later pages.
    const page1 = await referente.get('/structure/journal?taille=5').expect(200);
    await appendHistory(t, [{ action: 'aidant.reactivated', structureId: vesoul, actor: { type: 'operator', id: null }, subjects: { aidantId: karim }, details: {} }]);
    const rest = await allSeqs(referente, nextLinkOf(page1.text)!);
    expect([...seqsOf(page1.text), ...rest.flat()]).toEqual(all);
    expect(rest.every((p) => p.length <= 5)).toBe(true);
  });

  it.each<[string, string | (() => string), (seqs: number[], rows: Array<{ seq: string; action: string }>) => void]>([
    ['action', 'action=aidant.reactivated', (seqs) => expect(seqs).toHaveLength(1)],
    ['démarche', 'demarche=social', (seqs) => expect(seqs).toHaveLength(4)],
    ['partner', () => `partenaire=${caf}`, (seqs) => expect(seqs).toHaveLength(4)],
    ['mandate', `mandat=${MANDATE}`, (seqs) => expect(seqs).toHaveLength(12)],
    ['usager id', `usager=${USAGER}`, (seqs) => expect(seqs).toHaveLength(12)],
    ['period in the future', 'du=2999-01-01', (seqs) => expect(seqs).toEqual([])],
    ['démarche and partner', () => `demarche=logement&partenaire=${caf}`, (seqs) => expect(seqs).toEqual([])],
  ])('filters by %s', async (_name, query, check) => {
    const res = await referente.get(`/structure/journal?${typeof query === 'function' ? query() : query}`).expect(200);
    check(seqsOf(res.text), await chainRows(t, vesoul));
  });

  it('filters by aidant (who acted)', async () => {
    const uses = await referente.get(`/structure/journal?aidant=${karim}&action=autorisation.used`).expect(200);
    expect(seqsOf(uses.text)).toHaveLength(6);
    const all = await referente.get(`/structure/journal?aidant=${karim}`).expect(200);
    const sentences = [...all.text.matchAll(/<td class="fr-cell--multiline">(Le [^<]+)<\/td>/g)].map((m) => m[1]!);
    expect(sentences.length).toBeGreaterThan(6);
    expect(sentences.every((s) => /^Le .+, Karim Benali /.test(s))).toBe(true);
  });

  it.each<[string, string, string]>([
    ['an invalid date', 'du=2027-02-30', 'Saisissez une date de début valide'],
    ['a reversed period', 'du=2027-03-12&au=2027-03-01', 'La date de fin doit être'],
    ['an unknown action', 'action=mandate.teleported', 'Choisissez une action dans la liste.'],
    ['an unknown démarche', 'demarche=impots', 'Choisissez une démarche dans la liste.'],
    ['an oversized page', 'taille=100000', 'Choisissez entre 1 et 200 entrées par page.'],
    ['an injection attempt', `partenaire=${encodeURIComponent("x' OR 1=1 --")}`, 'L’identifiant du service partenaire'],
    ['another structure’s aidant', `aidant=${randomUUID()}`, 'Choisissez un aidant de votre structure'],
    ['a forged page cursor', 'apres=bm90LWEtY3Vyc29y', 'Le lien vers la page suivante du journal est invalide.'],
  ])('refuses %s with a French message bound to the field (400)', async (_name, query, message) => {
    const res = await referente.get(`/structure/journal?${query}`).expect(400);
    expect(res.text).toContain(message);
    expect(res.text).toMatch(/fr-(input|select)-group--error|fr-alert--error|fr-error-text/);
  });

  it('shows one entry with its raw fields and hash; another structure’s entries are not found', async () => {
    const [latest] = await chainRows(t, vesoul);
    const res = await referente.get(`/structure/journal/${vesoul}/${latest!.seq}`).expect(200);
    expect(res.text).toMatch(/id="hash">[0-9a-f]{64}</);
    expect(res.text).toContain('a réactivé Karim Benali dans la structure');
    await referente.get(`/structure/journal/${gray}/1`).expect(404);
    await referente.get(`/structure/journal/${vesoul}/999999`).expect(404);
    await referente.get(`/structure/journal/${vesoul}/abc`).expect(404);
    await thomasAgent.get(`/structure/journal/${vesoul}/1`).expect(404);
  });

  it('keeps each structure to its own journal', async () => {
    const res = await thomasAgent.get('/structure/journal').expect(200);
    expect(res.text).not.toContain('Caisse d’allocations familiales');
    expect(seqsOf(res.text).length).toBeGreaterThan(0);
  });

  it('exports CSV for spreadsheets: BOM, semicolons, formulas neutralised, and journals the export', async () => {
    const res = await referente.get('/structure/journal/export?format=csv&demarche=social').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
    }).expect(200);
    const text = res.body as string;
    expect(res.headers['content-type']).toContain('text/csv');
    expect(text.startsWith('\uFEFFseq;date;action;description;')).toBe(true);
    const lines = text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 4);
    expect(text).toContain(`;"'=HYPERLINK(""http://evil.test"")";`);
    expect(text).toContain('Marie Curie a agi pour un usager sur Caisse d’allocations familiales (démarche Social – Santé)');
    const [recorded] = (await chainRows(t, vesoul)).filter((r) => r.action === 'journal.exported');
    expect(recorded!.details).toEqual({ chain: vesoul, format: 'csv', filters: { demarche: 'social' }, rows: 4, complete: true });
  });

  it('exports the whole chain as JSON Lines that verify offline with the published keys', async () => {
    const res = await referente.get('/structure/journal/export?format=jsonl').expect(200);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="journal-[0-9a-f-]+-\d{4}-\d{2}-\d{2}\.jsonl"/);
    const lines = res.text.trimEnd().split('\n');
    async function* iterate() {
      yield* lines;
    }
    const report = await verifyExportLines(iterate(), await jwks());
    expect(report).toMatchObject({ ok: true, chain: vesoul, error: null });
    // The offline command itself, on the downloaded file and the published keys saved beside it.
    const dir = await mkdtemp(join(tmpdir(), 'supervision-export-'));
    await writeFile(join(dir, 'journal.jsonl'), res.text);
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: await jwks() }));
    let printed = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { printed += chunk.toString(); done(); } });
    const code = await JOURNAL_COMMANDS['verify-file']!([join(dir, 'journal.jsonl'), '--jwks', join(dir, 'jwks.json')], {
      config: () => t.config, stdout: sink, stderr: sink,
    });
    expect([code, printed]).toEqual([0, expect.stringMatching(new RegExp(`^OK chain=${vesoul} entries=${report.entries} `))]);
    await rm(dir, { recursive: true });
    expect(report.entries).toBeGreaterThanOrEqual(14);
    const [recorded] = (await chainRows(t, vesoul)).filter((r) => r.action === 'journal.exported');
    expect(recorded!.details).toEqual({ chain: vesoul, format: 'jsonl', rows: report.entries, complete: true });
    // A filtered export is an extract: the offline check says entries are missing.
    const extract = await referente.get(`/structure/journal/export?format=jsonl&partenaire=${caf}`).expect(200);
    const records = extract.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; partnerId?: string; subjects?: { partnerId: string } });
    expect(records.filter((r) => r.type === 'entry').every((r) => r.subjects!.partnerId === caf)).toBe(true);
    async function* extractLines() {
      yield* extract.text.trimEnd().split('\n');
    }
    expect((await verifyExportLines(extractLines(), await jwks())).ok).toBe(false);
  });

  it('shows the usager every entry about them in plain French, and lets them download it', async () => {
    const other = randomUUID();
    await appendHistory(t, [
      { action: 'autorisation.used' as JournalAction, structureId: gray, actor: { type: 'system', id: null }, subjects: { usagerId: other }, demarche: 'famille', details: {} as never },
    ]);
    const service = t.app.get(UsagerJournalService);
    const page = await service.page({ id: USAGER, name: 'Jean Dupont' }, null);
    expect(page.entries).toHaveLength(12);
    expect(page.entries[0]).toMatchObject({ aidant: expect.stringMatching(/Marie Curie|Karim Benali/), structure: 'Médiathèque de Vesoul', action: 'autorisation.used' });
    expect(page.entries.map((e) => e.sentence)).toContain(
      page.entries.find((e) => e.partner === 'Caisse d’allocations familiales' && e.aidant === 'Marie Curie')!.sentence,
    );
    expect(page.entries.every((e) => / a agi pour Jean Dupont sur (Caisse d’allocations familiales|Impôts en ligne) \(démarche (Logement|Social – Santé)\)$/.test(e.sentence))).toBe(true);
    let json = '';
    for await (const chunk of service.download({ id: USAGER, name: 'Jean Dupont' })) json += chunk;
    const document = JSON.parse(json) as { usager: string; entries: Array<{ entry: { subjects: { usagerId: string } } }> };
    expect(document.usager).toBe(USAGER);
    expect(document.entries).toHaveLength(12);
    expect(document.entries.every((e) => e.entry.subjects.usagerId === USAGER)).toBe(true);
  });

  it('shows a signed-in usager the entries about them through /usager/journal, and their download', async () => {
    const angela = usagerBrowser();
    await signInAsUsager(t, angela, 'angela');
    const [{ id: angelaId }]: { id: string }[] = await t.app.get(DataSource).query(`SELECT id FROM usagers WHERE family_name = 'DUBOIS'`);
    await appendHistory(t, [
      { action: 'autorisation.used' as JournalAction, structureId: vesoul, actor: { type: 'aidant', id: marie }, subjects: { usagerId: angelaId, aidantId: marie, partnerId: caf }, demarche: 'logement', details: {} as never },
    ]);
    const page = await angela.get(`${t.url}/usager/journal`);
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/Marie Curie a agi pour Angela Claire Louise DUBOIS \(épouse MARTIN\) sur Caisse d’allocations familiales \(démarche Logement\)/);
    expect(page.html).toContain('Structure : Médiathèque de Vesoul');
    expect(page.html).not.toContain('Karim Benali');
    const download = await angela.get(`${t.url}/usager/journal/telechargement`);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="procuration-mon-journal-/);
    const document = JSON.parse(download.html) as { usager: string; entries: Array<{ description: string; entry: { subjects: { usagerId: string } } }> };
    expect(document.usager).toBe(angelaId);
    expect(document.entries.map((e) => e.entry.subjects.usagerId)).toEqual(expect.arrayContaining([angelaId]));
    expect(document.entries.every((e) => e.entry.subjects.usagerId === angelaId)).toBe(true);
    // Neither kind of session opens the other's pages.
    expect((await angela.get(`${t.url}/structure/journal`)).status).toBe(401);
    expect((await referente.get('/usager/journal')).status).not.toBe(200);
    // The référent finds the usager by name and birthdate (never written to the journal).
    const byName = await referente.get('/structure/journal?usager=angela&naissance=1962-08-24').expect(200);
    expect(seqsOf(byName.text)).toHaveLength(1);
    const unknown = await referente.get('/structure/journal?usager=Personne').expect(400);
    expect(unknown.text).toContain('Aucun usager de votre structure ne porte ce nom');
  });

  it('refuses an unknown export format', async () => {
    const res = await referente.get('/structure/journal/export?format=xlsx').expect(400);
    expect(res.text).toContain('Choisissez le format de l’export');
  });

  it('records the partial count of an export the client interrupts, without a server error', async () => {
    // Enough rows that the response cannot be buffered whole before the client leaves.
    await t.app.get(DataSource).query(
      `INSERT INTO journal_pending (id, chain, action, actor_type, actor_id, details)
       SELECT gen_random_uuid(), $1, 'aidant.signed_in', 'system', NULL, '{"method":"password+totp"}'::jsonb FROM generate_series(1, 20000)`,
      [gray],
    );
    clock.advance(30_000);
    const signedIn = await signIn(browser(t), clock, 'thomas@gray.test');
    const cookie = (signedIn.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    await new Promise<void>((resolve, reject) => {
      const url = new URL(`${t.url}/structure/journal/export?format=jsonl`);
      const req = httpRequest(url, { headers: { cookie } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
      req.end();
    });
    let recorded: { details: Record<string, unknown> } | undefined;
    for (let i = 0; i < 50 && !recorded; i++) {
      await new Promise((r) => setTimeout(r, 100));
      recorded = (await chainRows(t, gray)).find((r) => r.action === 'journal.exported');
    }
    expect(recorded!.details).toMatchObject({ chain: gray, format: 'jsonl', complete: false });
    expect(recorded!.details.rows).toBeLessThan(20000);
    await browser(t).get('/health').expect(200);
  });

  it('verifies the chain in the background up to a fixed seq, journals it, then detects tampering', async () => {
    const start = await referente.get('/structure/journal/verification').expect(200);
    expect(start.text).toContain('npm run journal:verify-file -- ~/Téléchargements/journal-');
    expect(start.text).toContain('/.well-known/procuration/jwks.json');
    await postVerification();
    await t.app.get(ChainVerificationService).done;
    const done = await referente.get('/structure/journal/verification').expect(200);
    expect(done.text).toContain('data-state="ok"');
    const head = Number((await chainRows(t, vesoul)).find((r) => r.action !== 'journal.verified')!.seq);
    expect(done.text).toContain(`Les entrées n° 1 à ${head} ont été vérifiées`);
    const [recorded] = (await chainRows(t, vesoul)).filter((r) => r.action === 'journal.verified');
    expect(recorded!.details).toMatchObject({ chain: vesoul, ok: true, upToSeq: head, brokenAtSeq: null });

    await tamper(t, `UPDATE journal_entries SET demarche = 'argent' WHERE chain = $1 AND seq = 3`, [vesoul]);
    await postVerification();
    await t.app.get(ChainVerificationService).done;
    const broken = await referente.get('/structure/journal/verification').expect(200);
    expect(broken.text).toContain('data-state="broken"');
    expect(broken.text).toContain('Anomalie détectée à l’entrée n° 3');
  });

  async function postVerification() {
    const page = await referente.get('/structure/journal/verification');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    await referente.post('/structure/journal/verification').type('form').send({ _csrf: csrf }).expect(303);
  }
});
