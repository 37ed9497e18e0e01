import type { NextFunction, Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { PartnersService } from '../partners/partners.service.js';

const PUBLIC_LIFETIME = 'public, max-age=300';

/**
 * oidc-provider builds every endpoint URL (discovery, redirects, the
 * audience it expects in client assertions) from the request's host and
 * scheme, reading `X-Forwarded-*` when told to trust a proxy. Requests for
 * another host are already refused (publicHostOnly); this pins the rest to
 * the issuer too, so that the provider answers as PUBLIC_URL whatever the
 * proxy reports (an `X-Forwarded-Proto: https` in front of an http issuer,
 * say). `publicDocuments` (full paths: discovery, keys), which partners
 * fetch often, get a public cache lifetime.
 */
export function asIssuer(publicUrl: string, publicDocuments: readonly string[]) {
  const { protocol, host } = new URL(publicUrl);
  const cacheable = new Set(publicDocuments);
  const scheme = protocol.slice(0, -1);
  return (req: Request, res: Response, next: NextFunction): void => {
    req.headers.host = host;
    req.headers['x-forwarded-host'] = host;
    req.headers['x-forwarded-proto'] = scheme;
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (cacheable.has(req.originalUrl.split('?')[0]!)) res.setHeader('Cache-Control', PUBLIC_LIFETIME);
    }
    next();
  };
}

/**
 * The logout confirmation page (served by oidc-provider) posts to itself,
 * and the answer redirects to the partner's registered post-logout URI;
 * browsers apply `form-action` to that redirect. The page keeps the one CSP
 * with `form-action` widened to our origin and the origins of the
 * post-logout URIs registered by active partners, nothing else.
 */
export function logoutFormAction(partners: PartnersService, dataSource: DataSource) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.path.startsWith('/session/end')) return next();
    partners.list(dataSource.manager).then((all) => {
      const origins = new Set(all.filter((p) => p.active).flatMap((p) => p.postLogoutRedirectUris.map((uri) => new URL(uri).origin)));
      const csp = res.getHeader('Content-Security-Policy');
      if (typeof csp === 'string') res.setHeader('Content-Security-Policy', withFormAction(csp, ["'self'", ...origins]));
      next();
    }, next);
  };
}

function withFormAction(csp: string, sources: string[]): string {
  return csp
    .split(';')
    .map((d) => (d.trim().startsWith('form-action') ? `form-action ${sources.join(' ')}` : d))
    .join(';');
}
