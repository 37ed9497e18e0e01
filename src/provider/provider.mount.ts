import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { PROVIDER_PREFIX } from './provider.configuration.js';
import { asIssuer } from './provider-origin.js';
import { ProviderService } from './provider.service.js';

const DISCOVERY = '/.well-known/openid-configuration';
/** `routes.jwks` of the provider's configuration. */
const JWKS_ROUTE = '/jwks';

/**
 * Mounts oidc-provider under PROVIDER_PREFIX, ahead of Nest's router (so
 * the global CSRF guard and body parsers never see its routes: it
 * authenticates its own callers), and answers discovery for the issuer
 * (PUBLIC_URL) at `/.well-known/openid-configuration` too. oidc-provider
 * derives its endpoint URLs from the mount path it reads in `originalUrl`,
 * and its origin from the request, pinned to PUBLIC_URL (`asIssuer`).
 */
export function mountProvider(app: NestExpressApplication): void {
  const provider = app.get(ProviderService);
  const publicDocuments = [DISCOVERY, `${PROVIDER_PREFIX}${DISCOVERY}`, `${PROVIDER_PREFIX}${JWKS_ROUTE}`];
  const issuer = asIssuer(app.get<AppConfig>(APP_CONFIG).publicUrl, publicDocuments);
  // The logout page sets its own form-action (provider.sessions.ts: showLogoutPage).
  app.use(PROVIDER_PREFIX, issuer, provider.handle);
  app.use(DISCOVERY, issuer, (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    req.originalUrl = `${PROVIDER_PREFIX}${DISCOVERY}`;
    req.url = DISCOVERY;
    provider.handle(req, res, next);
  });
}
