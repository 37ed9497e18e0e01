import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Role } from './roles.js';

/**
 * The signed-in aidant acting in their current structure, as the guard
 * established it for this request (status re-read from the database).
 */
export interface AidantActor {
  aidantId: string;
  structureId: string;
  structureName: string;
  roles: Role[];
  /** Holds the `aidant` role: may open and use mandates (a référent alone may not). */
  canOpenMandates: boolean;
  isReferent: boolean;
  givenName: string;
  familyName: string;
  /** When the last TOTP code was accepted (ms since epoch). */
  totpAt: number;
  /** Structures the aidant may act in now (active, membership not suspended), the current one included. */
  usableStructures: number;
}

declare module 'express' {
  interface Request {
    aidantActor?: AidantActor;
  }
}

/** `@CurrentAidant() actor: AidantActor` in a handler behind `SignedInAidantGuard`. */
export const CurrentAidant = createParamDecorator((_data: unknown, context: ExecutionContext): AidantActor => {
  const actor = context.switchToHttp().getRequest<Request>().aidantActor;
  if (!actor) throw new Error('CurrentAidant used on a route without SignedInAidantGuard');
  return actor;
});
