import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import nunjucks from 'nunjucks';
import { DomainError } from '../shared/domain-error.js';

/**
 * CSRF protection by synchronizer token: one random token per session,
 * put into every form by `{{ csrfField() }}` and checked on every
 * state-changing request by the global `CsrfGuard` (field `_csrf` or header
 * `X-CSRF-Token`). Routes called by other servers (OIDC back channels) opt
 * out with `@SkipCsrf()`.
 */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const SKIP_CSRF = 'procuration:skip-csrf';

export const SkipCsrf = () => SetMetadata(SKIP_CSRF, true);

export class CsrfError extends DomainError {
  readonly code = 'csrf';
  readonly status = 403;
  readonly title = 'Formulaire expiré';
  constructor(logMessage: string) {
    super(
      'Ce formulaire a expiré ou ne provient pas de Procuration (jeton de sécurité manquant ou invalide). Revenez à la page précédente, rechargez-la et recommencez.',
      logMessage,
    );
  }
}

/** The session's token, created on first use. */
export function csrfTokenOf(req: Request): string {
  if (!req.session) throw new Error('CSRF tokens need a session');
  req.session.csrfToken ??= randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

/** Express middleware: makes `csrfField()` and `csrfToken()` available to every template. */
export function csrfLocals(req: Request, res: Response, next: NextFunction): void {
  res.locals.csrfToken = () => csrfTokenOf(req);
  res.locals.csrfField = () =>
    new nunjucks.runtime.SafeString(`<input type="hidden" name="${CSRF_FIELD}" value="${csrfTokenOf(req)}">`);
  next();
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(req.method)) return true;
    const skip = this.reflector.getAllAndOverride<boolean>(SKIP_CSRF, [context.getHandler(), context.getClass()]);
    if (skip) return true;
    const expected = req.session?.csrfToken;
    const body = req.body as Record<string, unknown> | undefined;
    const given = typeof body?.[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : req.headers[CSRF_HEADER];
    if (!expected || typeof given !== 'string' || !same(expected, given)) {
      throw new CsrfError(expected ? 'CSRF token missing or wrong' : 'no CSRF token in session');
    }
    return true;
  }
}
