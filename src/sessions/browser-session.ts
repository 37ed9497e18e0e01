import type { Request } from 'express';
import type { SessionData } from 'express-session';
import { regenerateSession, saveSession } from './sessions.js';

/**
 * A request's server-side session as a service may use it: its typed data
 * and the two store operations, without the HTTP request around it. The
 * controller makes one with `browserSessionOf(req)`.
 */
export interface BrowserSession {
  /** The session's data; after `regenerate()`, the new session's. */
  readonly data: Partial<SessionData>;
  /** Writes the session now (before a redirect the browser follows at once). */
  save(): Promise<void>;
  /** Replaces the session by a new, empty one under a new id (the old row is deleted). */
  regenerate(): Promise<void>;
}

export function browserSessionOf(req: Request): BrowserSession {
  if (!req.session) throw new Error('this route needs a session');
  return {
    get data() {
      return req.session;
    },
    save: () => saveSession(req),
    regenerate: () => regenerateSession(req),
  };
}
