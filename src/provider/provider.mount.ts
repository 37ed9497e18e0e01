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
  app.use(PROVIDER_PREFIX, relaxFormActionOnLogout, provider.handle);
  app.use(DISCOVERY, (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    req.originalUrl = `${PROVIDER_PREFIX}${DISCOVERY}`;
    req.url = DISCOVERY;
    provider.handle(req, res, next);
  });
}

/**
 * The logout confirmation page posts a form whose answer redirects to the
 * partner's registered post-logout URI; browsers apply `form-action` to that
 * redirect, so this one page (served by oidc-provider) drops the directive.
 */
function relaxFormActionOnLogout(req: Request, res: Response, next: NextFunction): void {
  if (req.path.startsWith('/session/end')) {
    const csp = res.getHeader('Content-Security-Policy');
    if (typeof csp === 'string') {
      res.setHeader(
        'Content-Security-Policy',
        csp
          .split(';')
          .filter((d) => !d.trim().startsWith('form-action'))
          .join(';'),
      );
    }
  }
  next();
}
