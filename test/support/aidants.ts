import { Secret, TOTP } from 'otpauth';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import type { ManualClock } from '../../src/clock/clock.js';
import { KnownAccounts, type KnownAccount } from '../../src/seed/accounts.js';
import type { TestApp } from './test-app.js';

export const TEST_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
export const TEST_PASSWORD = 'Procuration-test-2026';

/** The code an authenticator app shows at the clock's current time. */
export function totpAt(clock: ManualClock, secret = TEST_SECRET, period = 30): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), period, digits: 6, timestamp: clock.nowMs() });
}

/** The CSRF token of a rendered form. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field in the page');
  return match[1]!;
}

export async function seedStructure(t: TestApp, name: string, siret: string) {
  const known = new KnownAccounts(t.app);
  return t.app.get(TransactionRunner).run(async (m) =>
    (await known.structure(m, { name, siret, type: 'mediatheque', address: '1 place de la Mairie' })).structure,
  );
}

export async function seedAidant(t: TestApp, account: Partial<KnownAccount> & Pick<KnownAccount, 'email' | 'memberships'>) {
  const known = new KnownAccounts(t.app);
  return t.app.get(TransactionRunner).run(async (m) =>
    (
      await known.aidant(m, {
        givenName: 'Camille',
        familyName: 'Martin',
        password: TEST_PASSWORD,
        totpSecret: TEST_SECRET,
        ...account,
      })
    ).id,
  );
}

/** A browser: a cookie jar on the test app. */
export function browser(t: TestApp): TestAgent {
  return request.agent(t.url);
}

let nextIp = 0;
/** A distinct client address per attempt (the app trusts X-Forwarded-For in these tests). */
export function freshIp(): string {
  nextIp += 1;
  return `10.1.${nextIp >> 8}.${nextIp & 255}`;
}

/** Signs in through the real form (GET for the CSRF token, then POST). */
export async function signIn(
  agent: TestAgent,
  clock: ManualClock,
  email: string,
  options: { password?: string; totp?: string; ip?: string } = {},
) {
  const form = await agent.get('/aidant/connexion').expect(200);
  const post = agent.post('/aidant/connexion').type('form');
  post.set('X-Forwarded-For', options.ip ?? freshIp());
  return post.send({
    _csrf: csrfOf(form.text),
    email,
    password: options.password ?? TEST_PASSWORD,
    totp: options.totp ?? totpAt(clock),
  });
}

/** Posts a form with the CSRF token of the page it is on. */
export async function postForm(agent: TestAgent, pagePath: string, action: string, fields: Record<string, string | string[]>) {
  const page = await agent.get(pagePath);
  return agent.post(action).type('form').send({ _csrf: csrfOf(page.text), ...fields });
}

export interface JournalRow {
  chain: string;
  action: string;
  actor_type: string;
  actor_id: string | null;
  aidant_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  usager_id?: string | null;
  mandate_id?: string | null;
  demarche?: string | null;
}

/** Sealed journal entries of these actions, oldest first (the sequencer is flushed first). */
export async function journalOf(t: TestApp, ...actions: string[]): Promise<JournalRow[]> {
  await t.app.get(JournalService).flush();
  return t.app
    .get(DataSource)
    .query(
      `SELECT chain, action, actor_type, actor_id, aidant_id, ip, details, user_agent, request_id, usager_id, mandate_id, partner_id, demarche
         FROM journal_entries WHERE action = ANY($1) ORDER BY at, seq`,
      [actions],
    );
}

/**
 * The path of the last link of this kind mailed to `recipient` (the outbox
 * keeps mails when no SMTP server is configured, as in tests): links go to
 * the person by mail, never on the inviting référent's page.
 */
export async function mailedLink(t: TestApp, recipient: string, kind: 'invitation' | 'rejoindre'): Promise<string> {
  const rows: { body: string }[] = await t.app
    .get(DataSource)
    .query(`SELECT body FROM mail_outbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1`, [recipient]);
  const match = new RegExp(`https?://[^/\\s]+(/aidant/${kind}\\?jeton=[A-Za-z0-9_-]{43})`).exec(rows[0]?.body ?? '');
  if (!match) throw new Error(`no ${kind} link mailed to this recipient`);
  return match[1]!;
}
