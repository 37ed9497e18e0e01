import nunjucks from 'nunjucks';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { LIFETIMES } from './provider.configuration.js';

/** The provider's resume route (`/authorize/:uid`), where a finished interaction becomes a code. */
const RESUME = /^\/authorize\/[A-Za-z0-9_-]+$/;
const LOGOUT_CONFIRM = '/session/end/confirm';
/** The Nest route that signs the aidant out of Procuration, then hands the same form on to LOGOUT_CONFIRM. */
export const SIGN_OUT_TOO_PATH = '/partenaires/deconnexion';

/** What the logout page stored in the provider session's logout state (beside oidc-provider's own `secret`, `clientId`…). */
interface LogoutState {
  secret?: string;
  clientId?: string;
  postLogoutRedirectUri?: string;
  /** The `sid` of the partner sign-in the logout ends. */
  signInSid?: string;
}

/**
 * Every sign-in starts a provider session of its own (docs/decisions/0603):
 * when the browser comes back from an interaction, the provider session its
 * cookie names (an earlier sign-in, in this tab or another) is dropped
 * first. Nothing depends on it any more (tokens are not bound to sessions),
 * and otherwise oidc-provider, seeing another account, would answer with a
 * self-submitting logout page of its own instead of the code.
 */
export async function freshSessionOnResume(provider: Provider, ctx: KoaContextWithOIDC): Promise<void> {
  if (ctx.method !== 'GET' || !RESUME.test(ctx.path)) return;
  const session = await provider.Session.get(ctx as never);
  if (session.accountId) await session.destroy();
}

/** Before the logout confirmation runs: the partner sign-in it will end (read now, the session is gone after). */
export async function signInBeingLoggedOut(provider: Provider, ctx: KoaContextWithOIDC): Promise<{ clientId: string; sid: string } | null> {
  if (ctx.method !== 'POST' || ctx.path !== LOGOUT_CONFIRM) return null;
  const state = (await provider.Session.get(ctx as never)).state as LogoutState | undefined;
  return state?.clientId && state.signInSid ? { clientId: state.clientId, sid: state.signInSid } : null;
}

/**
 * After oidc-provider checked the logout request (id_token_hint, registered
 * post-logout URI) and stored its state: our page, always (also when the
 * browser's provider session has no account, where the library would post
 * a self-submitting form), naming what each button ends; the sign-in to end
 * is remembered in the state. The page's `form-action` allows its own posts
 * and the partner's post-logout origin they are redirected to.
 */
export async function showLogoutPage(ctx: KoaContextWithOIDC): Promise<void> {
  const session = ctx.oidc.session!;
  const state = session.state as LogoutState;
  const client = ctx.oidc.client;
  const hint = ctx.oidc.entities.IdTokenHint as { payload?: { sid?: unknown } } | undefined;
  const hintedSid = typeof hint?.payload?.sid === 'string' ? hint.payload.sid : undefined;
  state.signInSid = client ? (hintedSid ?? session.authorizations?.[client.clientId]?.sid) : undefined;
  const now = Math.floor(Date.now() / 1000);
  await session.save(typeof session.exp === 'number' && session.exp > now ? session.exp - now : LIFETIMES.Session);

  ctx.type = 'html';
  ctx.status = 200;
  ctx.body = nunjucks.render('provider/views/logout.njk', {
    pageTitle: 'Déconnexion',
    action: ctx.oidc.urlFor('end_session_confirm'),
    signOutToo: SIGN_OUT_TOO_PATH,
    xsrf: state.secret,
    clientName: client?.clientName ?? null,
  });
  const destination = state.postLogoutRedirectUri ? new URL(state.postLogoutRedirectUri).origin : null;
  ctx.set('Content-Security-Policy', withFormAction(String(ctx.response.get('Content-Security-Policy') ?? ''), destination));
}

/** The CSP with `form-action 'self'` plus the origin the logout redirects to (browsers apply it to that redirect). */
export function withFormAction(csp: string, destination: string | null): string {
  const directive = ["form-action 'self'", ...(destination ? [destination] : [])].join(' ');
  const others = csp
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d && !d.startsWith('form-action'));
  return [...others, directive].join('; ');
}
