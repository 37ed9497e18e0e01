import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { browser, csrfOf, freshIp, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Finding 8 of the security review: bad bytes and wrongly shaped values in
 * forms and query strings get a clear French 400 page (`input.refused`)
 * before they reach SQL, and nothing is written.
 */
describe('input guard: NUL bytes, bytes that are not UTF-8, overlong and wrongly shaped values', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let aidant: ReturnType<typeof browser>;
  let referente: ReturnType<typeof browser>;

  async function signedIn(email: string) {
    clock.advance(30_000);
    const agent = browser(t);
    expect((await signIn(agent, clock, email)).status).toBe(303);
    return agent;
  }

  /** Journal entries of requests from one client address. */
  async function journalCount(ip: string): Promise<number> {
    await t.app.get(JournalService).flush();
    const rows: Array<{ n: string }> = await t.app.get(DataSource).query('SELECT count(*) AS n FROM journal_entries WHERE ip = $1', [ip]);
    return Number(rows[0]!.n);
  }

  function expectRefusedPage(res: { status: number; text: string; headers: Record<string, string> }) {
    expect([res.status, res.headers['content-type']]).toEqual([400, expect.stringContaining('text/html')]);
    expect(res.text).toContain('Demande refusée');
    expect(res.text).toContain('caractère');
  }

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'silent' }, { clock });
    const vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'marie@vesoul.test', givenName: 'Marie', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'helene@vesoul.test', givenName: 'Hélène', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    aidant = await signedIn('marie@vesoul.test');
    referente = await signedIn('helene@vesoul.test');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refuses a NUL byte in a sign-in form field with a French page, and journals nothing', async () => {
    const agent = browser(t);
    const form = await agent.get('/aidant/connexion').expect(200);
    const ip = freshIp();
    const res = await agent
      .post('/aidant/connexion')
      .set('X-Forwarded-For', ip)
      .type('form')
      .send(`_csrf=${encodeURIComponent(csrfOf(form.text))}&email=marie%00%40vesoul.test&password=x&totp=123456`);
    expectRefusedPage(res);
    expect(await journalCount(ip)).toBe(0);
    // The same attempt without the NUL byte is journaled: the count above could have seen it.
    const control = await agent.post('/aidant/connexion').set('X-Forwarded-For', ip).type('form')
      .send(`_csrf=${encodeURIComponent(csrfOf(form.text))}&email=marie%40vesoul.test&password=x&totp=123456`);
    expect(control.status).toBe(401);
    expect(await journalCount(ip)).toBe(1);
  });

  it.each([
    ['a NUL byte', 'nom=Dupont%00'],
    ['bytes that are not UTF-8', 'nom=Dupont%FF%FE'],
    ['a truncated UTF-8 sequence', 'nom=%C3'],
    ['a control character', 'nom=Du%1Bpont'],
    ['an overlong value', `nom=${'a'.repeat(10_000)}`],
    ['a repeated field where one value is expected', 'nom=Dupont&nom=Martin'],
    ['a NUL byte in a parameter name', 'n%00m=Dupont'],
  ])('refuses %s in the query string of the dashboard search', async (_what, query) => {
    const res = await aidant.get(`/aidant?${query}`);
    expectRefusedPage(res);
  });

  it('answers API clients with an RFC 9457 problem document coded input.refused', async () => {
    const res = await referente.get('/structure/journal?action=%00').set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(res.text)).toMatchObject({ type: 'urn:procuration:problem:input.refused', status: 400, title: 'Demande refusée' });
  });

  it('refuses objects and non-string values in a JSON body before any handler', async () => {
    const form = await aidant.get('/aidant/mandats/nouveau').expect(200);
    const token = csrfOf(form.text);
    for (const body of [{ duree: { $ne: 1 } }, { duree: 12 }, { demarches: [['logement']] }, { duree: ['mois', 'court'] }]) {
      const res = await aidant.post('/aidant/mandats/nouveau').set('X-CSRF-Token', token).send(body);
      expectRefusedPage(res);
    }
  });

  it('still accepts the repeated fields a form really has (démarches) and ordinary accented text', async () => {
    const form = await aidant.get('/aidant/mandats/nouveau').expect(200);
    const res = await aidant
      .post('/aidant/mandats/nouveau')
      .type('form')
      .send(`_csrf=${encodeURIComponent(csrfOf(form.text))}&demarches=logement&demarches=famille&duree=mois`);
    expect(res.status).toBeLessThan(400);
    const search = await aidant.get(`/aidant?nom=${encodeURIComponent('Lefèvre-Ñúñez')}`);
    expect(search.status).toBe(200);
  });

  it('refuses a path parameter that is not valid UTF-8 or carries a NUL byte', async () => {
    for (const path of ['/aidant/mandats/%FF', '/aidant/mandats/abc%00def', '/structure/journal/x%00/1']) {
      const res = await referente.get(path);
      expect(res.status).toBe(400);
    }
  });
});
