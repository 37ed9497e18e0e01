/**
 * FranceConnect v2 validates the authorize and end-session parameters
 * against a whitelist before anything else; oidc-provider alone would ignore
 * unknown parameters and accept more than FranceConnect does. These pure
 * checks run in front of it.
 */

export interface ParamsProblem {
  error: 'invalid_request';
  description: string;
}

const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'acr_values',
  'prompt',
  'claims',
  'idp_hint',
] as const;
const PKCE_PARAMS = ['code_challenge', 'code_challenge_method'] as const;
const REQUIRED_AUTHORIZE = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'acr_values'];
const END_SESSION_PARAMS = ['id_token_hint', 'state', 'post_logout_redirect_uri'] as const;

export const MIN_STATE_LENGTH = 32;
const MAX_VALUE_LENGTH = 1024;
export const SUPPORTED_ACR = ['eidas1'];
const ALLOWED_PROMPTS = ['login', 'consent'];

function problem(description: string): ParamsProblem {
  return { error: 'invalid_request', description };
}

function whitelist(params: URLSearchParams, allowed: readonly string[]): ParamsProblem | undefined {
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (!allowed.includes(name)) return problem(`unknown parameter: ${name.slice(0, 64)}`);
    if (seen.has(name)) return problem(`parameter given more than once: ${name}`);
    if (value.length > MAX_VALUE_LENGTH) return problem(`parameter too long: ${name}`);
    seen.add(name);
  }
  return undefined;
}

export function checkAuthorizeParams(params: URLSearchParams, options: { acceptPkce: boolean }): ParamsProblem | undefined {
  const allowed: readonly string[] = options.acceptPkce ? [...AUTHORIZE_PARAMS, ...PKCE_PARAMS] : AUTHORIZE_PARAMS;
  const listed = whitelist(params, allowed);
  if (listed) return listed;
  const missing = REQUIRED_AUTHORIZE.find((name) => !params.get(name));
  if (missing) return problem(`missing parameter: ${missing}`);
  for (const name of ['state', 'nonce']) {
    if ((params.get(name) as string).length < MIN_STATE_LENGTH) {
      return problem(`${name} must be at least ${MIN_STATE_LENGTH} characters long`);
    }
  }
  const acr = (params.get('acr_values') as string).split(' ');
  if (!acr.every((value) => SUPPORTED_ACR.includes(value))) return problem('acr_values must be eidas1');
  const prompt = params.get('prompt');
  if (prompt !== null && !prompt.split(' ').every((value) => ALLOWED_PROMPTS.includes(value))) {
    return problem('prompt must be login and/or consent');
  }
  if (params.get('response_type') !== 'code') return problem('response_type must be code');
  return undefined;
}

export function checkEndSessionParams(params: URLSearchParams): ParamsProblem | undefined {
  const listed = whitelist(params, END_SESSION_PARAMS);
  if (listed) return listed;
  if (!params.get('id_token_hint')) return problem('missing parameter: id_token_hint');
  if (params.get('post_logout_redirect_uri') && !params.get('state')) return problem('missing parameter: state');
  return undefined;
}
