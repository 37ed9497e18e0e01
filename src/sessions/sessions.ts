import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { Clock } from '../clock/clock.js';
import { PgSessionStore } from './pg-session-store.js';
import './session-data.js';

export const SESSION_COOKIE = 'procuration.sid';

/** Paths that never need a session (assets, probes). */
const SESSIONLESS = /^\/(dsfr|static|health)(\/|$)/;

/**
 * Server-side sessions: a signed, HttpOnly, SameSite=Lax cookie (Secure
 * behind https) that only carries the session id; the data is in PostgreSQL.
 */
export function configureSessions(app: NestExpressApplication, config: AppConfig): void {
  const store = new PgSessionStore(app.get(DataSource), app.get(Clock));
  const middleware = session({
    name: SESSION_COOKIE,
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    proxy: config.trustProxy,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.publicUrl.startsWith('https:'),
      path: '/',
    },
  });
  const withSession: RequestHandler = (req: Request, res: Response, next: NextFunction) =>
    SESSIONLESS.test(req.path) ? next() : middleware(req, res, () => saveBeforeRedirect(req, res, next));
  app.use(withSession);
}

/**
 * express-session saves a changed session while the response is ending,
 * after the status line and headers are already sent. A browser follows a
 * redirect as soon as it reads the headers, so on PostgreSQL (a pool of
 * connections) the next request could read the session before the write
 * lands: signed in, then "connectez-vous". Redirects therefore wait for the
 * save. (PGlite's single connection happened to keep the order.)
 */
function saveBeforeRedirect(req: Request, res: Response, next: NextFunction): void {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    // A visitor's empty session is not stored (saveUninitialized: false); keep it that way.
    const holdsData = req.session && Object.keys(req.session).some((key) => key !== 'cookie');
    if (!holdsData) return redirect(...args);
    req.session.save((error) => (error ? next(error) : redirect(...args)));
  }) as Response['redirect'];
  next();
}

export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}
