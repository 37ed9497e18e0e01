import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { PROVIDER_PREFIX } from './provider.configuration.js';
import { ProviderService } from './provider.service.js';

const DISCOVERY = '/.well-known/openid-configuration';

/**
 * Mounts oidc-provider under PROVIDER_PREFIX, ahead of Nest's router (so
 * the global CSRF guard and body parsers never see its routes: it
 * authenticates its own callers), and answers discovery for the issuer
 * (PUBLIC_URL) at `/.well-known/openid-configuration` too. oidc-provider
 * derives its endpoint URLs from the mount path it reads in `originalUrl`.
 */
export function mountProvider(app: NestExpressApplication): void {
  const provider = app.get(ProviderService);
  // The logout page sets its own form-action (provider.sessions.ts: showLogoutPage).
  app.use(PROVIDER_PREFIX, provider.handle);
  app.use(DISCOVERY, (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    req.originalUrl = `${PROVIDER_PREFIX}${DISCOVERY}`;
    req.url = DISCOVERY;
    provider.handle(req, res, next);
  });
}
