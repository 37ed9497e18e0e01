import { describe, expect, it } from '@jest/globals';
import { toProblem } from '../web/error-page.filter.js';
import {
  FranceConnectAccessDeniedError,
  FranceConnectClaimsInvalidError,
  FranceConnectProviderError,
  FranceConnectStateMismatchError,
  FranceConnectTokenInvalidError,
  FranceConnectUnavailableError,
  FranceConnectUserinfoInvalidError,
  type FranceConnectError,
} from './franceconnect.errors.js';

const cause = new Error('library detail');

describe('FranceConnect errors', () => {
  it.each<[FranceConnectError, string, number]>([
    [new FranceConnectAccessDeniedError(), 'franceconnect.access_denied', 403],
    [new FranceConnectProviderError('temporarily_unavailable'), 'franceconnect.provider_error', 502],
    [new FranceConnectStateMismatchError(), 'franceconnect.state_mismatch', 400],
    [new FranceConnectTokenInvalidError('bad signature', { cause }), 'franceconnect.token_invalid', 502],
    [new FranceConnectUserinfoInvalidError('bad sub', { cause }), 'franceconnect.userinfo_invalid', 502],
    [new FranceConnectClaimsInvalidError(['birthdate']), 'franceconnect.claims_invalid', 502],
    [new FranceConnectUnavailableError('down', { cause }), 'franceconnect.unavailable', 503],
  ])('%s becomes a French problem with a stable code', (error, code, status) => {
    const problem = toProblem(error);
    expect(problem).toMatchObject({ code, status });
    expect(problem.detail).toMatch(/FranceConnect|identité/);
    expect(problem.detail).toContain('enregistré');
    expect(problem.title.length).toBeGreaterThan(0);
  });

  it('keeps the library error as cause and names claims without their values', () => {
    expect(new FranceConnectTokenInvalidError('x', { cause }).cause).toBe(cause);
    const error = new FranceConnectClaimsInvalidError(['birthdate', 'gender']);
    expect(error.message).toBe('invalid identity claims: birthdate, gender');
  });
});
