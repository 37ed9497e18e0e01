import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { clickButton } from '../franceconnect/support/browser.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, submitForm, usagerBrowser } from '../support/usagers.js';

/** A compact JWS (what an ID token looks like), anywhere in a text. */
const COMPACT_JWS = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

interface SessionRow {
  sid: string;
  data: Record<string, unknown>;
}

/**
 * The FranceConnect ID token kept for `id_token_hint` at the usager's
 * sign-out, read straight from the session table: never there in clear,
 * gone once the sign-out has used it.
 */
describe('FranceConnect ID token at rest (session table)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  const sessionRows = async (): Promise<SessionRow[]> => {
    const rows: { sid: string; data: unknown }[] = await t.app.get(DataSource).query(`SELECT sid, data FROM http_sessions`);
    return rows.map((row) => ({ sid: row.sid, data: (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown> }));
  };

  it('keeps only a sealed ID token in the usager session, and drops it at sign-out', async () => {
    const browser = usagerBrowser();
    const space = await signInAsUsager(t, browser, 'angela');
    expect(space.html).toContain('Angela');

    const rows = await sessionRows();
    const withUsager = rows.filter((row) => row.data.usager !== undefined);
    expect(withUsager).toHaveLength(1);
    const stored = JSON.stringify(withUsager[0]!.data);
    expect(stored).not.toMatch(COMPACT_JWS);
    const usager = withUsager[0]!.data.usager as Record<string, unknown>;
    expect(usager.idTokenHint).toBeUndefined();
    expect(typeof usager.sealedIdTokenHint).toBe('string');
    const sealed = usager.sealedIdTokenHint as string;
    expect(sealed).toMatch(/^v1\./);
    // Nothing in the whole table looks like a token.
    expect(JSON.stringify(rows)).not.toMatch(COMPACT_JWS);

    // The sign-out still sends the real ID token to FranceConnect (opened from the seal)...
    const logout = await submitForm(browser, space, '/usager/deconnexion');
    const hint = new URL(logout.url).searchParams.get('id_token_hint');
    expect(hint).toMatch(COMPACT_JWS);
    const done = await clickButton(browser, logout, 'logout', 'yes');
    expect(new URL(done.url).pathname).toBe('/usager/deconnexion');

    // ...and afterwards no row holds it, sealed or not.
    const after = JSON.stringify(await sessionRows());
    expect(after).not.toContain(sealed);
    expect(after).not.toContain(hint!);
    expect(after).not.toMatch(COMPACT_JWS);
  });

  it('a seal copied into another usager session does not open (bound to its usager)', async () => {
    const usagerRows = async () => (await sessionRows()).filter((row) => row.data.usager !== undefined);
    await signInAsUsager(t, usagerBrowser(), 'paul');
    const [paulRow] = await usagerRows();
    const second = usagerBrowser();
    const secondSpace = await signInAsUsager(t, second, 'lucia');
    const luciaRow = (await usagerRows()).find((row) => row.sid !== paulRow!.sid)!;
    const paulSeal = (paulRow!.data.usager as Record<string, unknown>).sealedIdTokenHint;
    const luciaData = { ...luciaRow.data, usager: { ...(luciaRow.data.usager as object), sealedIdTokenHint: paulSeal } };
    await t.app.get(DataSource).query(`UPDATE http_sessions SET data = $2 WHERE sid = $1`, [luciaRow.sid, JSON.stringify(luciaData)]);

    // The sign-out still ends the Procuration session; FranceConnect is not asked with another person's token.
    const logout = await submitForm(second, secondSpace, '/usager/deconnexion');
    expect(new URL(logout.url).pathname).toBe('/usager/deconnexion');
    expect(new URL(logout.url).searchParams.get('id_token_hint')).toBeNull();
    expect((await sessionRows()).some((row) => row.sid === luciaRow.sid)).toBe(false);
  });
});
