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
import type { SessionEndReason } from './session-data.js';
import './session-data.js';

declare module 'express' {
  interface Request {
    /** Set when the browser came with a session ended from elsewhere (by whom, see the reason). */
    endedSessionReason?: SessionEndReason;
  }
}

const SESSION_COOKIE = 'procuration.sid';

/** Cookies are Secure when the service is reached over https (always, in production behind TLS). */
export function secureCookies(config: Pick<AppConfig, 'publicUrl'>): boolean {
  return config.publicUrl.startsWith('https:');
}

/**
 * The session cookie's name and attributes. Over https it takes the
 * `__Host-` prefix: browsers then accept it only with Secure, Path=/ and no
 * Domain, so neither a sibling sub-domain nor a plain-http response can
 * plant or overwrite it (session fixation from a neighbour).
 */
export function sessionCookie(config: Pick<AppConfig, 'publicUrl'>) {
  const secure = secureCookies(config);
  return {
    name: secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE,
    options: { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' },
  };
}

/** Paths that never need a session (assets, probes). */
const SESSIONLESS = /^\/(dsfr|static|health)(\/|$)/;

/**
 * Server-side sessions: a signed, HttpOnly, SameSite=Lax cookie (Secure and
 * `__Host-` behind https) that only carries the session id; the data is in
 * PostgreSQL.
 */
export function configureSessions(app: NestExpressApplication, config: AppConfig): void {
  const store = new PgSessionStore(app.get(DataSource), app.get(Clock));
  const cookie = sessionCookie(config);
  const middleware = session({
    name: cookie.name,
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    proxy: config.trustProxy,
    cookie: { ...cookie.options },
  });
  const withSession: RequestHandler = (req: Request, res: Response, next: NextFunction) =>
    SESSIONLESS.test(req.path)
      ? next()
      : middleware(req, res, (error?: unknown) => {
          // express-session calls back a second time, with the error, when the save at the end of
          // a response fails: the status line and headers are already sent, nothing can be answered.
          if (error && res.headersSent) return sessionSaveFailed(error);
          if (error) return sessionReadFailed(req, res, error);
          replaceEndedSession(req);
          saveBeforeRedirect(req, res, next);
        });
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
 * The save that express-session makes as a response ends failed (the
 * database is overloaded or away): the page has been answered, the change to
 * the session is lost and the next request reads the session as it was. The
 * request must not go on (it already has), and answering again would throw
 * outside any handler and stop the process.
 */
function sessionSaveFailed(error: unknown): void {
  logger.error({ err: error }, 'session save failed after the response was sent: the change is lost');
}

/**
 * A session ended from elsewhere (its row kept, ended, until it expires)
 * is swapped for a new empty one under a new id, which the browser gets as
 * soon as something is written in it (a CSRF token, a sign-in); the reason
 * stays on the request for the aidant guard to tell the person. The ended
 * row is never written again (see PgSessionStore.set).
 */
function replaceEndedSession(req: Request): void {
  const reason = req.session?.endedReason;
  if (!reason) return;
  (req.sessionStore as session.Store & { generate(req: Request): void }).generate(req);
  req.endedSessionReason = reason;
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

/**
 * A new session id for the signed-in aidant after a re-authentication
 * (password change): the old id stops working, the session keeps the
 * aidant's data with a fresh `totpAt` (and gets a new CSRF token).
 */
export async function rotateSessionId(req: Request, totpAt: number): Promise<void> {
  const aidant = req.session.aidant;
  await regenerateSession(req);
  if (aidant) req.session.aidant = { ...aidant, totpAt };
  await saveSession(req);
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}
