import { describe, expect, it } from '@jest/globals';
import { stateMatches } from './state-check.js';

const STATE = 'Zq3x9Jk2LmN8pQr4StUv6WxY0aBcDeFgHiJ';

describe('stateMatches', () => {
  it('matches the same state', () => {
    expect(stateMatches(STATE, `${STATE}`)).toBe(true);
  });

  it.each([
    ['another state', 'Aq3x9Jk2LmN8pQr4StUv6WxY0aBcDeFgHiJ', STATE],
    ['a prefix', STATE.slice(0, 10), STATE],
    ['a longer value', `${STATE}x`, STATE],
    ['no returned state', undefined, STATE],
    ['an empty returned state', '', STATE],
    ['null', null, STATE],
    ['no expected state', STATE, undefined],
    ['both empty', '', ''],
  ])('refuses %s', (_what, returned, expected) => {
    expect(stateMatches(returned, expected)).toBe(false);
  });
});
