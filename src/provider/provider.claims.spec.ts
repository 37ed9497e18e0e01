import { describe, expect, it } from '@jest/globals';
import { claimsParameterProblem, pairwiseSub, releasedIdentityClaims, requestedClaimNames, requestedRepScope } from './provider.claims.js';

const KEY = 'a-test-pairwise-key-of-at-least-32-chars';

describe('pairwise sub', () => {
  it('is stable for one partner and differs across partners and keys', () => {
    const a = pairwiseSub(KEY, 'usager-1', 'partner-a');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(pairwiseSub(KEY, 'usager-1', 'partner-a')).toBe(a);
    expect(pairwiseSub(KEY, 'usager-1', 'partner-b')).not.toBe(a);
    expect(pairwiseSub(KEY, 'usager-2', 'partner-a')).not.toBe(a);
    expect(pairwiseSub(`${KEY}-other`, 'usager-1', 'partner-a')).not.toBe(a);
  });
});

describe('rep_scope in the claims parameter', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['not json', null],
    ['{"id_token":{"acr":null}}', null],
    ['{"id_token":{"rep_scope":{"essential":true,"values":["logement","social"]}}}', ['logement', 'social']],
    ['{"userinfo":{"rep_scope":{"value":"logement"}}}', ['logement']],
    ['{"id_token":{"rep_scope":null}}', []],
  ])('%s → %j', (param, expected) => {
    expect(requestedRepScope(param)).toEqual(expected);
  });

  it('lists the claim names asked for', () => {
    expect(requestedClaimNames('{"id_token":{"rep_scope":null,"acr":null},"userinfo":{"email":null}}').sort()).toEqual([
      'acr',
      'email',
      'rep_scope',
    ]);
    expect(requestedClaimNames('{')).toEqual([]);
  });
});

describe('claims a partner receives', () => {
  const everything = JSON.stringify({ userinfo: { email: null, birthdate: null, given_name: null } });
  it.each([
    ['registered openid only, asking for everything', 'openid', everything, ['openid'], []],
    ['registered given_name, asking by claims', 'openid', everything, ['openid', 'given_name'], ['given_name']],
    ['registered profile, asking by scope', 'openid profile email', null, ['openid', 'profile'], ['given_name', 'family_name', 'preferred_username', 'birthdate', 'gender', 'birthplace', 'birthcountry']],
    ['registered email, not asked', 'openid', null, ['openid', 'email'], []],
  ])('%s', (_label, scope, claims, registered, expected) => {
    expect(releasedIdentityClaims(scope, claims, registered)).toEqual(expected);
  });
});

describe('the claims parameter', () => {
  it.each([
    [{ id_token: { rep_scope: { essential: true, values: ['logement', 'social'] } } }, null],
    [{ userinfo: { rep_scope: { value: 'argent' } } }, null],
    [{ id_token: { rep_scope: null, given_name: null } }, null],
    [{ id_token: { rep_scope: { values: ['logement', 'inconnue'] } } }, 'rep_scope names an unknown démarche'],
    [{ id_token: { rep_scope: { values: 'logement' } } }, 'rep_scope names an unknown démarche'],
    [{ userinfo: { rep_scope: { value: 7 } } }, 'rep_scope names an unknown démarche'],
    [{ id_token: { given_name: true } }, 'claims.id_token members must be null or objects'],
  ])('%j → %s', (claims, problem) => {
    expect(claimsParameterProblem(claims)).toBe(problem);
  });
});
