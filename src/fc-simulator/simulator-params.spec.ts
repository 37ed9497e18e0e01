import { describe, expect, it } from '@jest/globals';
import { checkAuthorizeParams, checkEndSessionParams } from './simulator-params.js';

const VALID = {
  response_type: 'code',
  client_id: 'procuration',
  redirect_uri: 'http://127.0.0.1:3000/franceconnect/callback',
  scope: 'openid given_name family_name',
  state: 's'.repeat(32),
  nonce: 'n'.repeat(43),
  acr_values: 'eidas1',
  prompt: 'login consent',
};

function check(change: Record<string, string | undefined>, acceptPkce = false) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...VALID, ...change })) {
    if (value !== undefined) params.append(name, value);
  }
  return checkAuthorizeParams(params, { acceptPkce })?.description;
}

describe('FranceConnect simulator: authorize parameters', () => {
  it('accepts a FranceConnect v2 request, with or without prompt', () => {
    expect(check({})).toBeUndefined();
    expect(check({ prompt: undefined })).toBeUndefined();
    expect(check({ prompt: 'login' })).toBeUndefined();
  });

  it('accepts PKCE only when told to', () => {
    const pkce = { code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' };
    expect(check(pkce)).toBe('unknown parameter: code_challenge');
    expect(check(pkce, true)).toBeUndefined();
  });

  it.each([
    [{ foo: 'bar' }, 'unknown parameter: foo'],
    [{ response_mode: 'form_post' }, 'unknown parameter: response_mode'],
    [{ state: undefined }, 'missing parameter: state'],
    [{ nonce: undefined }, 'missing parameter: nonce'],
    [{ acr_values: undefined }, 'missing parameter: acr_values'],
    [{ state: 's'.repeat(31) }, 'state must be at least 32 characters long'],
    [{ nonce: 'short' }, 'nonce must be at least 32 characters long'],
    [{ acr_values: 'eidas2' }, 'acr_values must be eidas1'],
    [{ acr_values: 'eidas1 eidas3' }, 'acr_values must be eidas1'],
    [{ prompt: 'none' }, 'prompt must be login and/or consent'],
    [{ prompt: 'select_account' }, 'prompt must be login and/or consent'],
    [{ response_type: 'code id_token' }, 'response_type must be code'],
  ])('refuses %j', (change, description) => {
    expect(check(change)).toBe(description);
  });

  it('refuses a repeated parameter', () => {
    const params = new URLSearchParams(VALID);
    params.append('state', 't'.repeat(32));
    expect(checkAuthorizeParams(params, { acceptPkce: false })?.description).toBe('parameter given more than once: state');
  });
});

describe('FranceConnect simulator: end session parameters', () => {
  it.each([
    [{ id_token_hint: 'x.y.z', state: 's'.repeat(32), post_logout_redirect_uri: 'http://127.0.0.1/x' }, undefined],
    [{ id_token_hint: 'x.y.z' }, undefined],
    [{ state: 's'.repeat(32), post_logout_redirect_uri: 'http://127.0.0.1/x' }, 'missing parameter: id_token_hint'],
    [{ id_token_hint: 'x.y.z', post_logout_redirect_uri: 'http://127.0.0.1/x' }, 'missing parameter: state'],
    [{ id_token_hint: 'x.y.z', client_id: 'procuration' }, 'unknown parameter: client_id'],
  ])('%j → %s', (params, description) => {
    expect(checkEndSessionParams(new URLSearchParams(params))?.description).toBe(description);
  });
});
