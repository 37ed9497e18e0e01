import { describe, expect, it } from '@jest/globals';
import { pairwiseSub, requestedClaimNames, requestedRepScope } from './provider.claims.js';

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
