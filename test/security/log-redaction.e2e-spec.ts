import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, seedAidant, seedStructure, signIn, TEST_PASSWORD, totpAt } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Every line the application logs, as it would reach standard output. */
class LogCapture extends Writable {
  private text = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }

  /** Lines written since `mark`, parsed. */
  since(mark: number): Array<Record<string, unknown>> {
    return this.text
      .slice(mark)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  get mark(): number {
    return this.text.length;
  }

  raw(mark: number): string {
    return this.text.slice(mark);
  }
}

const UA = 'Navigateur-Temoin/4.2 (Jeanne Rousseau)';
const IP = '10.99.88.77';

/**
 * Finding 8 of the security review (ASVS 16.2.5): database errors reached
 * the log with the statement's parameters and PostgreSQL's details, which
 * hold the values people typed. These tests make the real database fail
 * under real requests, at debug level, and read every line logged.
 */
describe('logs carry no values of database errors', () => {
  const clock = new ManualClock(new Date());
  const logs = new LogCapture();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'debug' }, { clock, logDestination: logs });
    const vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'jeanne.rousseau@vesoul.test', givenName: 'Jeanne', familyName: 'Rousseau', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('a failing journal insert (Failing row contains …) logs the constraint and the request id, not the row', async () => {
    const db = t.app.get(DataSource);
    await db.query(`ALTER TABLE journal_pending ADD CONSTRAINT test_refuses_sign_ins CHECK (action <> 'aidant.signed_in') NOT VALID`);
    try {
      const mark = logs.mark;
      clock.advance(30_000);
      const agent = browser(t);
      const form = await agent.get('/aidant/connexion').set('User-Agent', UA);
      const res = await agent
        .post('/aidant/connexion')
        .set('User-Agent', UA)
        .set('X-Forwarded-For', IP)
        .type('form')
        .send({ _csrf: csrfOf(form.text), email: 'jeanne.rousseau@vesoul.test', password: TEST_PASSWORD, totp: totpAt(clock) });
      expect(res.status).toBe(500);
      const raw = logs.raw(mark);
      const failure = logs.since(mark).find((line) => line.msg === 'request failed');
      expect(failure).toMatchObject({ level: 50, code: 'internal', err: expect.objectContaining({ sqlState: '23514', constraint: 'test_refuses_sign_ins' }) });
      expect((failure!.req as { id?: string } | undefined)?.id).toBe(res.headers['x-request-id']);
      for (const value of [IP, 'Navigateur-Temoin', 'Rousseau', 'jeanne.rousseau']) expect(raw).not.toContain(value);
    } finally {
      await db.query('ALTER TABLE journal_pending DROP CONSTRAINT test_refuses_sign_ins');
    }
  });

  it('a failing TypeORM statement logs its text and SQLSTATE, never its parameters', async () => {
    const db = t.app.get(DataSource);
    await db.query('ALTER TABLE aidants RENAME COLUMN email TO email_renamed');
    try {
      const mark = logs.mark;
      const res = await signIn(browser(t), clock, 'personne.inconnue@exemple.fr', { password: 'un-mot-de-passe-tape', ip: IP });
      expect(res.status).toBe(500);
      const raw = logs.raw(mark);
      const failure = logs.since(mark).find((line) => line.msg === 'request failed');
      expect(failure).toMatchObject({ err: expect.objectContaining({ sqlState: '42703', query: expect.stringContaining('email'), parameters: expect.stringContaining('[masqué]') }) });
      // TypeORM's own report of the statement (debug level) is there too, without the values.
      expect(logs.since(mark).some((line) => line.context === 'Database' && line.msg === 'statement failed')).toBe(true);
      for (const value of ['personne.inconnue', 'un-mot-de-passe-tape', IP]) expect(raw).not.toContain(value);
    } finally {
      await db.query('ALTER TABLE aidants RENAME COLUMN email_renamed TO email');
    }
  });

  it('values PostgreSQL quotes in its messages are masked, whoever logs the error and however', async () => {
    const error = await t.app
      .get(DataSource)
      .query('SELECT $1::uuid AS id', ['marie.lefebvre@exemple.fr'])
      .then(() => null, (e: unknown) => e as Error);
    expect(error?.message).toContain('marie.lefebvre@exemple.fr');
    const mark = logs.mark;
    const logger = new Logger('Essai');
    logger.error({ err: error }, 'as the exception filter logs');
    logger.warn(`as the journal sealer logs: ${error!.message}`);
    logger.error(error);
    logger.error({ details: { nested: { failure: error } } }, 'nested');
    const raw = logs.raw(mark);
    expect(logs.since(mark)).toHaveLength(4);
    expect(raw).toContain('invalid input syntax for type uuid');
    expect(raw).not.toContain('marie.lefebvre');
  });

  // ASVS 16.3.3: a refusal by a security control leaves a warning an operator can alert on,
  // naming the control's code and nothing that was sent.
  it('logs a sign-in without its CSRF token, and one with a NUL byte, as warnings', async () => {
    let mark = logs.mark;
    await browser(t).post('/aidant/connexion').type('form').send({ email: 'refus.csrf@vesoul.test', password: 'x' }).expect(403);
    const csrf = logs.since(mark).find((line) => line.msg === 'request refused by a security control');
    expect(csrf).toMatchObject({ level: 40, code: 'csrf', status: 403 });
    expect(logs.raw(mark)).not.toContain('refus.csrf');

    mark = logs.mark;
    const agent = browser(t);
    const token = csrfOf((await agent.get('/aidant/connexion').expect(200)).text);
    await agent.post('/aidant/connexion').type('form').send({ _csrf: token, email: 'nul\u0000@vesoul.test', password: 'x', totp: '123456' }).expect(400);
    const refused = logs.since(mark).find((line) => line.msg === 'request refused by a security control');
    expect(refused).toMatchObject({ level: 40, code: 'input.refused', status: 400 });
  });
});
