import type { KoaContextWithOIDC } from 'oidc-provider';

/** Endpoints where a partner authenticates itself. */
const CLIENT_AUTH_ROUTES = new Set(['token', 'introspection', 'revocation']);

/**
 * The authentication method a request used. oidc-provider accepts
 * `client_secret_basic` and `client_secret_post` interchangeably for a
 * client registered with either; a partner must use the one it registered
 * (ASVS 10.4.x: client authentication as registered).
 */
function presentedMethod(ctx: KoaContextWithOIDC): string {
  if (/^basic\s/i.test(ctx.get('authorization'))) return 'client_secret_basic';
  if (ctx.oidc.params?.client_assertion !== undefined) return 'private_key_jwt';
  return 'client_secret_post';
}

/**
 * After the library answered (whatever it answered: the client is known as
 * soon as it presented credentials): whether a partner authenticated with another
 * method than its registered one. The answer is then replaced by
 * `401 invalid_client`; returns the grant whose tokens were issued by that
 * answer (to end them), or null.
 */
export function otherAuthMethod(ctx: KoaContextWithOIDC): { grantId: string | null } | null {
  const client = ctx.oidc?.client;
  if (!client || !CLIENT_AUTH_ROUTES.has(String(ctx.oidc.route))) return null;
  if (presentedMethod(ctx) === client.clientAuthMethod) return null;
  const issued = ctx.oidc.entities.AccessToken as { grantId?: string } | undefined;
  ctx.status = 401;
  ctx.type = 'json';
  ctx.body = { error: 'invalid_client', error_description: 'client authentication failed (not the registered method)' };
  return { grantId: ctx.oidc.route === 'token' ? (issued?.grantId ?? null) : null };
}
