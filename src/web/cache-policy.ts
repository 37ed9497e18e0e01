import type { NextFunction, Request, Response } from 'express';

/**
 * `Cache-Control: no-store` on every response unless a handler says
 * otherwise: pages behind a session and pages showing a secret (a TOTP
 * seed, an invitation) must never be kept by a browser or a shared cache,
 * and a default cannot be forgotten on a new page. Static assets (served
 * below `staticPrefixes`, which set their own lifetime) and public
 * documents that name theirs (JWKS, discovery) are the exceptions.
 */
export function noStoreByDefault(staticPrefixes: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!staticPrefixes.some((prefix) => req.path.startsWith(prefix))) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}
