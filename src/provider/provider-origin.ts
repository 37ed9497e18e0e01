import type { NextFunction, Request, Response } from 'express';

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
