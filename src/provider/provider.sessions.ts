import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** The provider's resume route (`/authorize/:uid`), where a finished interaction becomes a code. */
const RESUME = /^\/authorize\/[A-Za-z0-9_-]+$/;

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
