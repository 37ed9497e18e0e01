import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { Clock } from '../clock/clock.js';
import { Logger } from '@nestjs/common';
import { sendProblem, toProblem } from '../web/error-page.filter.js';
import { PgSessionStore } from './pg-session-store.js';
import { SessionUnavailableError } from './sessions.errors.js';
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
    SESSIONLESS.test(req.path)
      ? next()
      : middleware(req, res, (error?: unknown) => (error ? sessionReadFailed(req, res, error) : saveBeforeRedirect(req, res, next)));
  app.use(withSession);
}

const logger = new Logger('Sessions');

/**
 * The store's read failed: express-session calls back with the error and
 * leaves `req.session` unset, and with `unset: 'destroy'` it would then
 * delete the stored session when the response ends, signing the person out
 * and losing their work in progress. Forgetting the session id for this
 * request keeps the row (and the browser's cookie) as they are; the person
 * gets a temporary French error instead.
 */
function sessionReadFailed(req: Request, res: Response, error: unknown): void {
  delete (req as { sessionID?: string }).sessionID;
  const failure = new SessionUnavailableError({ cause: error });
  logger.error({ err: error, code: failure.code }, 'session read failed: answered 503, stored session kept');
  res.set({ 'Cache-Control': 'no-store', 'Retry-After': '5' });
  sendProblem(req, res, toProblem(failure));
}

/**
 * express-session saves a changed session when the response ends, but it
 * sends the status line and headers first and holds back only the body's
 * last byte until the row is written. A browser follows a redirect as soon
 * as it reads the Location header: with a pool of database connections, the
 * next request could read the session as it was before (a wizard step lost).
 * Redirects therefore wait for the save. A session that holds nothing (no
 * cookie sent yet) is not written.
 */
export function saveBeforeRedirect(req: Request, res: Response, next: NextFunction): void {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    const session = req.session as (typeof req.session & Record<string, unknown>) | undefined;
    if (!session || Object.keys(session).every((key) => key === 'cookie')) return redirect(...args);
    session.save((error) => (error ? next(error) : redirect(...args)));
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
