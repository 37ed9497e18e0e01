import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../config/config.js';
import { validateIdentityClaims } from '../franceconnect/identity-claims.js';
import { simulatorClientFrom, startFcSimulator, startSimulatorIfNeeded } from './fc-simulator.js';
import { simulatedPairwiseSub } from './simulator-configuration.js';
import { SIMULATED_IDENTITIES } from './simulator-identities.js';

const people = SIMULATED_IDENTITIES.filter((identity) => identity.scenario === undefined);

describe('FranceConnect simulator identities', () => {
  it('offers at least six fictional people with valid FranceConnect claims', () => {
    expect(people.length).toBeGreaterThanOrEqual(6);
    for (const person of people) {
      expect([person.id, validateIdentityClaims(person.claims, new Date()).ok]).toEqual([person.id, true]);
    }
  });

  it('covers the cases the relying party must handle', () => {
    const claims = people.map((person) => person.claims);
    expect(claims.some((c) => c.given_name.includes(' ') && c.preferred_username)).toBe(true);
    expect(claims.some((c) => c.birthplace === '' && c.birthcountry === '99134')).toBe(true);
    expect(claims.some((c) => c.birthplace.startsWith('2A'))).toBe(true);
    expect(claims.some((c) => c.email === undefined)).toBe(true);
    expect(new Set(claims.map((c) => c.gender))).toEqual(new Set(['male', 'female']));
  });

  it('has one scenario per failure, the malformed one really malformed', () => {
    const scenarios = SIMULATED_IDENTITIES.map((identity) => identity.scenario).filter(Boolean);
    expect(scenarios).toEqual(['access_denied', 'token_error', 'malformed_claims']);
    const malformed = SIMULATED_IDENTITIES.find((identity) => identity.scenario === 'malformed_claims');
    expect(validateIdentityClaims(malformed?.claims ?? {}, new Date())).toEqual({
      ok: false,
      invalid: ['birthdate', 'gender', 'birthplace', 'email'],
    });
  });
});

describe('FranceConnect simulator start-up', () => {
  it('never starts in production', async () => {
    await expect(startFcSimulator({ port: 0, nodeEnv: 'production', clients: [] })).rejects.toThrow(/never runs in production/);
    const production = { ...loadConfig({}), nodeEnv: 'production' as const };
    expect(await startSimulatorIfNeeded(production)).toBeUndefined();
  });

  it('is not started when an issuer is configured', async () => {
    expect(await startSimulatorIfNeeded(loadConfig({ FC_ISSUER: 'https://fc.example.test/api/v2' }))).toBeUndefined();
  });

  it('registers Procuration with its callback and logout URIs', () => {
    expect(simulatorClientFrom(loadConfig({ PUBLIC_URL: 'http://localhost:3000' }))).toMatchObject({
      clientId: 'procuration-dev',
      redirectUris: ['http://localhost:3000/franceconnect/callback'],
      postLogoutRedirectUris: ['http://localhost:3000/franceconnect/deconnexion'],
    });
  });

  it('shapes pairwise subjects like FranceConnect: 64 hex characters and v1, per client', () => {
    expect(simulatedPairwiseSub('angela', 'a')).toMatch(/^[0-9a-f]{64}v1$/);
    expect(simulatedPairwiseSub('angela', 'a')).toBe(simulatedPairwiseSub('angela', 'a'));
    expect(simulatedPairwiseSub('angela', 'a')).not.toBe(simulatedPairwiseSub('angela', 'b'));
    expect(simulatedPairwiseSub('angela', 'a')).not.toBe(simulatedPairwiseSub('paul', 'a'));
  });
});
