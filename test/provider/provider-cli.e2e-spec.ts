import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { runOperatorCommand } from '../../src/cli/operator-commands.js';
import { ProviderService } from '../../src/provider/provider.service.js';
import { journalOf } from '../support/aidants.js';
import { startProviderTestApp } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

describe('operator CLI: partners and provider keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startProviderTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOperatorCommand(t.app, argv, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      publicUrl: t.url,
      operator: 'ops',
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const tokenCall = (clientId: string, secret: string) =>
    request(t.url)
      .post('/oidc/token')
      .type('form')
      .auth(clientId, secret)
      .send('grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Fp.example%2Fcb&code_verifier=' + 'v'.repeat(43));

  it('adds a partner, prints the secret once, lists it, rotates the secret and disables it', async () => {
    const added = await cli('partner:add', '--name', 'Service logement', '--client-id', 'service-logement', '--redirect-uri', 'https://p.example/cb', '--demarches', 'logement,social', '--scopes', 'openid,given_name,family_name');
    expect(added.code).toBe(0);
    const secret = /client_secret : (\S+)/.exec(added.out)![1]!;
    expect(secret.length).toBeGreaterThanOrEqual(40);
    expect((await tokenCall('service-logement', secret)).body.error).toBe('invalid_grant'); // authenticated

    const list = await cli('partner:list');
    expect(list.out).toContain('service-logement');
    expect(list.out).toContain('logement, social');
    expect(list.out).not.toContain(secret);

    const rotated = await cli('partner:rotate-secret', 'service-logement');
    const next = /client_secret : (\S+)/.exec(rotated.out)![1]!;
    expect(next).not.toBe(secret);
    expect((await tokenCall('service-logement', secret)).body.error).toBe('invalid_client');
    expect((await tokenCall('service-logement', next)).body.error).toBe('invalid_grant');

    expect((await cli('partner:disable', 'service-logement')).code).toBe(0);
    expect((await tokenCall('service-logement', next)).body.error).toBe('invalid_client');
    expect((await cli('partner:list')).out).toMatch(/désactivé\s+service-logement/);

    const entries = await journalOf(t, 'partner.registered', 'partner.secret_rotated', 'partner.disabled');
    expect(entries.map((e) => e.action)).toEqual(['partner.registered', 'partner.secret_rotated', 'partner.disabled']);
    expect(entries.every((e) => e.actor_type === 'operator' && e.actor_id === 'ops')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(secret);
  });

  it.each([
    [['partner:add', '--name', 'X', '--redirect-uri', 'https://p.example/cb', '--demarches', 'inconnue'], 'demarches'],
    [['partner:add', '--name', 'Sans retour', '--demarches', 'logement'], 'redirectUris'],
    [['partner:add', '--name', 'Fragment', '--redirect-uri', 'https://p.example/cb#x', '--demarches', 'logement'], 'redirectUris'],
    [['partner:add', '--name', 'Clés', '--auth', 'private_key_jwt', '--redirect-uri', 'https://p.example/cb', '--demarches', 'logement'], 'jwks'],
    [['partner:add', '--name', 'Méthode', '--auth', 'none', '--redirect-uri', 'https://p.example/cb', '--demarches', 'logement'], 'auth'],
  ])('refuses %j (%s)', async (argv, field) => {
    const result = await cli(...argv);
    expect(result.code).toBe(1);
    expect(result.err).toContain(field);
  });

  it('unknown partners are named in the refusal', async () => {
    const result = await cli('partner:disable', 'nobody-here');
    expect(result.code).toBe(1);
    expect(result.err).toContain('nobody-here');
  });

  it('rotates the provider keys: new keys sign, the old ones stay published', async () => {
    const before = (await request(t.url).get('/oidc/jwks').expect(200)).body.keys.map((k: { kid: string }) => k.kid);
    const rotated = await cli('provider:rotate-keys');
    expect(rotated.code).toBe(0);
    await t.app.get(ProviderService).reloadKeys();
    const after = (await request(t.url).get('/oidc/jwks').expect(200)).body.keys as { kid: string; alg: string }[];
    expect(after).toHaveLength(4);
    for (const kid of before) expect(after.map((k) => k.kid)).toContain(kid);
    // The active key of each algorithm comes first: it is the one oidc-provider signs with.
    expect(before).not.toContain(after[0]!.kid);
    expect(before).not.toContain(after[1]!.kid);
    expect((await journalOf(t, 'keys.rotated')).filter((e) => e.details.purpose === 'provider')).toHaveLength(2);
  });
});
