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
    SESSIONLESS.test(req.path) ? next() : middleware(req, res, next);
  app.use(withSession);
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
