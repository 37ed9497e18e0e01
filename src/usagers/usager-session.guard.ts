import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { browserSessionOf } from '../sessions/browser-session.js';
import { UsagerNotSignedInError } from './usagers.errors.js';
import { UsagerSessionService, type CurrentUsager as UsagerOfSession } from './usager-session.service.js';
import { displayName, type UsagerView } from './usagers.types.js';

declare module 'express' {
  interface Request {
    /** The signed-in usager, as the guard (or the home page) established it for this request. */
    usager?: UsagerView;
  }
}

/**
 * The signed-in usager of this request, or why there is none (a timeout
 * ends the session); a signed-in usager is kept on the request and named
 * in the page header.
 */
export async function currentUsagerOf(sessions: UsagerSessionService, req: Request, res: Response): Promise<UsagerOfSession> {
  const current = await sessions.current(browserSessionOf(req), requestFactsOf(req));
  if (current.usager) {
    req.usager = current.usager;
    res.locals.signedInUsager = { name: displayName(current.usager) };
  }
  return current;
}

const ENDED_MESSAGES = {
  idle_timeout: 'Votre session a expiré après 30 minutes d’inactivité : identifiez-vous de nouveau avec FranceConnect sur /usager.',
  absolute_timeout: 'Votre session a atteint sa durée maximale de 12 heures : identifiez-vous de nouveau avec FranceConnect sur /usager.',
};

/**
 * Every usager route: a live usager session (idle 30 min, absolute 12 h),
 * the usager re-read from the database; an aidant session is refused.
 */
@Injectable()
export class SignedInUsagerGuard implements CanActivate {
  constructor(private readonly sessions: UsagerSessionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const current = await currentUsagerOf(this.sessions, http.getRequest<Request>(), http.getResponse<Response>());
    if (current.usager) return true;
    throw new UsagerNotSignedInError(
      current.ended ? ENDED_MESSAGES[current.ended] : 'Identifiez-vous avec FranceConnect sur /usager pour accéder à cette page.',
      current.ended ? `usager session ended: ${current.ended}` : 'no usager session',
    );
  }
}

/** `@CurrentUsager() usager: UsagerView` in a handler behind `SignedInUsagerGuard`. */
export const CurrentUsager = createParamDecorator((_data: unknown, context: ExecutionContext): UsagerView => {
  const usager = context.switchToHttp().getRequest<Request>().usager;
  if (!usager) throw new Error('CurrentUsager used on a route without SignedInUsagerGuard');
  return usager;
});
